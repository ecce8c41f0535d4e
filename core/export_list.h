/*
 * export_list.h: the table of export writers, one line each: X(ENUM,
 * name) stands for EXPORT_ENUM in enum export_format and for the writer
 * `const struct export_writer export_writer_name` that export_name.c
 * defines. Adding a format is that file and one line here.
 */
#ifndef AUDITSCOPE_EXPORT_LIST_H
#define AUDITSCOPE_EXPORT_LIST_H

#define EXPORT_WRITERS(X)         \
	X(CSV, csv)               \
	X(JSONL, jsonl)           \
	X(TIMESKETCH, timesketch) \
	X(MARKDOWN, markdown)

#endif
