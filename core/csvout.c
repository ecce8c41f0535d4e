/*
 * csvout.c: formula-safe RFC 4180 cells (csvout.h).
 */
#include "csvout.h"

#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "xalloc.h"

/* Length of a full-width = + - @ at s (3 UTF-8 bytes), else 0. */
static size_t fullwidth_sign(const unsigned char *s)
{
	if (s[0] != 0xef || s[1] != 0xbc)
		return 0;
	return s[2] == 0x9d || s[2] == 0x8b || s[2] == 0x8d || s[2] == 0xa0 ? 3 : 0;
}

/* Length of a blank at s (space, tab, CR, LF, U+3000), else 0. */
static size_t blank(const unsigned char *s)
{
	if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		return 1;
	return s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80 ? 3 : 0;
}

bool csvout_formula(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (*p && strchr("=+-@\t\r'", *p))
		return true;
	for (size_t k; (k = blank(p)) > 0;)
		p += k;
	return (*p && strchr("=+-@", *p)) || fullwidth_sign(p) > 0;
}

char *csvout_neutralise(const char *s)
{
	return csvout_formula(s) ? xasprintf("'%s", s) : xstrdup(s);
}

void csvout_cell(FILE *f, const char *v, bool terminal)
{
	if (!v || !*v)
		return;
	char *safe = NULL;
	if (terminal && sanitize_needed(v, strlen(v)))
		v = safe = sanitize(v, strlen(v));
	bool formula = csvout_formula(v);
	if (strpbrk(v, ",\"\r\n") == NULL) {
		if (formula)
			fputc('\'', f);
		fputs(v, f);
	} else {
		fputc('"', f);
		if (formula)
			fputc('\'', f);
		for (const char *p = v; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	free(safe);
}

void csvout_row(FILE *f, const char *const *vals, size_t n, bool terminal)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		csvout_cell(f, vals[i], terminal);
	}
	fputs("\r\n", f);
}
