/*
 * json_path.h: where a json.PATH leads in a raw record. The one walker
 * behind every reader of such a path: the filter's json.PATH terms
 * (filter_json.c, on every store: the SQLite store's SQL function and
 * the ClickHouse store's client-side pass) and the stacks of json.PATH
 * (stack.c), so that a stack's row and the filter it drills into count
 * the same records; and, read more loosely (JSON_PATH_DOTTED and
 * JSON_PATH_LOOSE), the field names of Sigma rules (sigma_match.c).
 *
 * The path is split at '.'; each segment enters an object by member name
 * (any case; every member of that name), an array by index (digits), or
 * an array of {Name, Value} pairs (Value, NewValue or value) by Name; any
 * other object element of an array: the path goes on inside it with the
 * same segment (Folders.Path reaches every folder's path). A string that
 * holds a JSON object or array is walked into when the path goes on
 * (UAL's AuditData, ModifiedProperties' values and Exchange's parameters
 * carry JSON so), up to JSON_PATH_STRINGS strings deep. null is never
 * reached.
 *
 * A value reached is handed over as text: a string unescaped (a \u0000
 * as a NUL byte: the length counts), a number or boolean by its literal,
 * a container by its JSON text. Whoever shows one shows a NUL as \x00
 * (sanitize_nul); the filter's = takes that form too, so that a value
 * shown can be typed back into a filter.
 */
#ifndef AUDITSCOPE_JSON_PATH_H
#define AUDITSCOPE_JSON_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "json_scan.h"

#define JSON_PATH_STRINGS 8 /* strings holding JSON walked into, nested */

/* How loosely a path reads a record (json_path_new_flags): Sigma rules
 * name fields the way many logs write them, the filter's json.PATH
 * names one record's members. */
enum {
	/* a member's or a pair's name may hold dots: the segments i..j
	 * joined by '.' name it too ("ConsentContext.IsAdminConsent" is
	 * one name in the UAL) */
	JSON_PATH_DOTTED = 1 << 0,
	/* pairs are also named by displayName, key or Key, and valued by
	 * newValue; an array's elements that are arrays, or strings
	 * holding JSON, are walked into like its objects */
	JSON_PATH_LOOSE = 1 << 1,
};

struct json_path {
	char **seg; /* the segments, in order */
	size_t n;
	unsigned flags;
	char *text;  /* the path; segment i begins at text + off[i] */
	size_t *off; /* (for JSON_PATH_DOTTED's joined names) */
};

/* path as given after "json." (NULL: the empty path, the record itself). */
struct json_path *json_path_new(const char *path);
/* The same, read as flags (JSON_PATH_*) say. */
struct json_path *json_path_new_flags(const char *path, unsigned flags);
void json_path_free(struct json_path *p);
/* The path's last segment that names a member (not an array index), or
 * NULL when every segment is an index. */
const char *json_path_last_name(const struct json_path *p);

/* fn(text, n, ctx) for each value the path reaches under v, in document
 * order; text is borrowed for the call. fn returns true to stop, and
 * json_path_each then returns true. */
typedef bool (*json_path_fn)(const char *text, size_t n, void *ctx);
bool json_path_each(const struct json_path *p, const struct jval *v, json_path_fn fn, void *ctx);

/* The same, handing over each value reached as it is in the record
 * (never null): for a caller that reads a container or a string's JSON
 * itself. */
typedef bool (*json_path_val_fn)(const struct jval *v, void *ctx);
bool json_path_each_val(const struct json_path *p, const struct jval *v, json_path_val_fn fn, void *ctx);

/* Is elem (an object) a {Name, Value} pair named s[0..n), without
 * regard to case (flags: JSON_PATH_LOOSE's names and values too)? -1
 * not so named; 1 with its value in *val; 0 named but valueless. */
int json_path_pair(const struct jval *elem, const char *s, size_t n, unsigned flags, struct jval *val);

/* The same on the JSON text raw[0..n) (false for text that is not JSON). */
bool json_path_each_text(const struct json_path *p, const char *raw, size_t n, json_path_fn fn, void *ctx);

#endif
