/*
 * binary.h: is a member binary data, or text that may carry a stray NUL?
 *
 * A member reaches the readers after the input layer has opened what it
 * can open (archives, compressed streams) and transcoded UTF-16. What is
 * left is either a text export (which can carry a stray NUL in a field,
 * or a zero-filled run where a crash cut a write) or a file that is no
 * export at all: an image, a PDF, an executable, an SQLite file, an
 * archive the input layer could not read. The first kind is read row by
 * row (a row holding a NUL is rejected and kept at its line); the second
 * is kept as one rejected row and said to be binary.
 */
#ifndef AUDITSCOPE_BINARY_H
#define AUDITSCOPE_BINARY_H

#include <stddef.h>

/* The first bytes of a member, p[0..n) (ingest looks at 4 KB): NULL when
 * they read as text, else what they look like ("a PDF document", "NUL
 * and control bytes"), a static string. */
const char *binary_kind(const void *p, size_t n);

#endif
