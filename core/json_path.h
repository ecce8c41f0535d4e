/*
 * json_path.h: where a json.PATH leads in a raw record. The one walker
 * behind every reader of such a path: the filter's json.PATH terms
 * (filter_json.c, on every store: the SQLite store's SQL function and
 * the ClickHouse store's client-side pass) and the stacks of json.PATH
 * (stack.c), so that a stack's row and the filter it drills into count
 * the same records.
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

struct json_path {
	char **seg; /* the segments, in order */
	size_t n;
};

/* path as given after "json." (NULL: the empty path, the record itself). */
struct json_path *json_path_new(const char *path);
void json_path_free(struct json_path *p);
/* The path's last segment that names a member (not an array index), or
 * NULL when every segment is an index. */
const char *json_path_last_name(const struct json_path *p);

/* fn(text, n, ctx) for each value the path reaches under v, in document
 * order; text is borrowed for the call. fn returns true to stop, and
 * json_path_each then returns true. */
typedef bool (*json_path_fn)(const char *text, size_t n, void *ctx);
bool json_path_each(const struct json_path *p, const struct jval *v, json_path_fn fn, void *ctx);

/* The same on the JSON text raw[0..n) (false for text that is not JSON). */
bool json_path_each_text(const struct json_path *p, const char *raw, size_t n, json_path_fn fn, void *ctx);

#endif
