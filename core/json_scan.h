/*
 * json_scan.h: a validating JSON scanner that never allocates.
 *
 * Ingest reads gigabytes of AuditData JSON and needs a dozen fields from
 * each record. A tree parser (jansson) builds and frees thousands of nodes a
 * record and runs near 70 MB/s; this scanner validates a value in one pass
 * and then walks the members of a validated container by skipping, so that
 * a record costs about two passes over its bytes. Values are spans of the
 * input; strings are unescaped only when a caller asks.
 */
#ifndef AUDITSCOPE_JSON_SCAN_H
#define AUDITSCOPE_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

enum jtype { JT_NONE = 0, JT_OBJ, JT_ARR, JT_STR, JT_NUM, JT_TRUE, JT_FALSE, JT_NULL };

/* A value: p/n span its whole text (quotes and brackets included). For a
 * string, esc says whether it holds backslash escapes. */
struct json_ends;
struct jval {
	const char *p;
	size_t n;
	enum jtype t;
	bool esc;
	/* the ends of the containers of the record this value is part of
	 * (json_scan_record), or NULL */
	const struct json_ends *ends;
};

/* Nesting deeper than this is refused as invalid (no record needs it). */
#define JSON_MAX_DEPTH 256

/*
 * Validate one value that starts at p (leading white space allowed).
 * Returns a pointer just past the value and fills v, or NULL with *err set
 * to a static reason and *errat to where the problem is.
 */
const char *json_scan_value(const char *p, const char *end, struct jval *v, const char **err,
			    const char **errat);

/* A member of an object: its key (a string value) and its value. */
struct jmember {
	struct jval key, val;
};

/*
 * json_scan_value that also keeps the spans of the value's top-level
 * members when it is an object (the first max of them; *n says how many):
 * one pass both validates a record and finds its fields.
 */
const char *json_scan_object(const char *p, const char *end, struct jval *v, struct jmember *mem, size_t max,
			     size_t *n, const char **err, const char **errat);

/*
 * Where each container of a validated record ends, in the order they
 * start (the first JSON_ENDS_MAX of them). Normalizing a record walks its
 * containers again (a member's value is cut by skipping over it); with
 * this table skipping a container is a binary search instead of a pass
 * over its bytes: a mail-access record's Folders[] was skipped up to
 * three times after its validation, 7% of a load's parsing thread.
 */
#define JSON_ENDS_MAX 512
/*
 * And the members of those containers as the validation found them (the
 * tape): iterating a container on it reads its members' spans instead of
 * cutting them out of the text again, key by key and value by value
 * (AppAccessContext, OperationProperties, Folders[] and their items were
 * walked that way after the validation had already walked them). One
 * entry per member or element, chained container by container; a
 * container whose members do not all fit (JSON_TAPE_MAX in all) is not
 * on it and is iterated from the text as before.
 */
#define JSON_TAPE_MAX 2048
struct json_tape {
	uint32_t key, klen; /* offsets from the record's base (an element: 0, 0) */
	uint32_t val, vlen;
	uint32_t next; /* the container's next member: its index + 1, or 0 */
	uint8_t t;     /* enum jtype of the value */
	uint8_t esc;   /* 1: the key has escapes, 2: the value */
};
struct json_ends {
	const char *lo, *hi; /* the record: only values inside it are looked up */
	size_t n;
	const char *start[JSON_ENDS_MAX], *stop[JSON_ENDS_MAX];
	/* the tape: first[i] is container i's first member (index + 1, 0
	 * for none), taped[i] whether all its members are there */
	const char *base;
	size_t ntape;
	/* the container last looked up (json_iter_init), where the next
	 * search starts: iterators write it though the table is theirs to
	 * read only */
	size_t hint;
	uint32_t first[JSON_ENDS_MAX];
	bool taped[JSON_ENDS_MAX];
	struct json_tape tape[JSON_TAPE_MAX];
	/* whether the last scan skipped a newline between tokens (a string
	 * never holds one); set by every scan given the table */
	bool nl;
};
/*
 * json_scan_object that also fills ends (which may be NULL), and marks v
 * and the members with it, so that iterators over them use it. The table
 * must outlive the values and the record's bytes must not change while
 * they are used (both hold for a record held in the input's window).
 */
const char *json_scan_record(const char *p, const char *end, struct jval *v, struct jmember *mem, size_t max,
			     size_t *n, struct json_ends *ends, const char **err, const char **errat);
/*
 * Member names numbered by their owner (1..JSON_NAMES_MAX-1; 0 is none),
 * looked up while a record is validated (json_scan_named) instead of in
 * a second pass over its members: the normalizer's names, about 30 a
 * record. The hash reads the length and the first and last bytes, not
 * every byte; names that collide take the next slot (json_names_add).
 */
#define JSON_NAMES_MAX 128
#define JSON_NAMES_SLOTS 512
#define JSON_NAMES_PAD 24 /* the longest name and the tail of an 8-byte load */
struct json_names {
	unsigned char slot[JSON_NAMES_SLOTS];
	unsigned char len[JSON_NAMES_MAX];
	char pad[JSON_NAMES_MAX][JSON_NAMES_PAD]; /* the names, zero-padded */
};
/* Number name id (strlen(name) < JSON_NAMES_PAD) in t, which starts zeroed. */
void json_names_add(struct json_names *t, unsigned id, const char *name);

static inline unsigned json_names_hash(const char *p, size_t n)
{
	return ((unsigned)n << 5 ^ (unsigned)(unsigned char)p[n - 1] << 2 ^ (unsigned)(unsigned char)p[0]) &
	       (JSON_NAMES_SLOTS - 1);
}

/* n bytes at p (1 <= n <= JSON_NAMES_PAD, only those read) against a
 * padded name: two or three overlapping word loads instead of a call to
 * memcmp (the call was half of the lookup's 64 instructions a name) */
static inline bool json_names_eq(const char *p, const char *name, size_t n)
{
	if (n >= 8)
		return util_load8(p) == util_load8(name) && util_load8(p + n - 8) == util_load8(name + n - 8) &&
		       (n <= 16 || util_load8(p + 8) == util_load8(name + 8));
	if (n >= 4)
		return util_load4(p) == util_load4(name) && util_load4(p + n - 4) == util_load4(name + n - 4);
	return p[0] == name[0] && p[n - 1] == name[n - 1] && p[n / 2] == name[n / 2];
}

/* The number of the unescaped name [p, p+n), or 0. */
__attribute__((always_inline)) static inline unsigned json_names_find(const struct json_names *t,
								      const char *p, size_t n)
{
	if (n == 0 || n > JSON_NAMES_PAD)
		return 0;
	unsigned h = json_names_hash(p, n);
	while (t->slot[h]) {
		unsigned id = t->slot[h];
		if (t->len[id] == n && json_names_eq(p, t->pad[id], n))
			return id;
		h = (h + 1) & (JSON_NAMES_SLOTS - 1);
	}
	return 0;
}

/*
 * json_scan_record whose caller wants the record's top-level members by
 * name rather than all of them: byname[id] gets the value of the first
 * member named names' id (among the first max members; *n says how many
 * there were, at most max), marked with ends. byname holds a value for
 * every id of names, zeroed by the caller. A member name written with an
 * escape is not looked up: byname[0] gets the value of the first such
 * (so that a caller can take that record the general way). A member without escapes in its name is
 * looked up as the validation passes it: storing every member for a
 * second pass that looked each up was 5% of a CSV load's parsing thread.
 */
const char *json_scan_named(const char *p, const char *end, struct jval *v, const struct json_names *names,
			    struct jval *byname, size_t max, size_t *n, struct json_ends *ends,
			    const char **err, const char **errat);
/*
 * json_scan_named (names not NULL) or json_scan_record (mem) for a JSON
 * Lines reader: the scan also ends, and fails, at the first newline it
 * skips between tokens (ends->nl is then set), so that the reader need not
 * find a line's end before it scans the line's record, unless the record
 * has a newline in it (the memchr of every line was 1.3% of the parsing
 * thread on JSON Lines). ends must not be NULL.
 */
const char *json_scan_line(const char *p, const char *end, struct jval *v, struct jmember *mem,
			   const struct json_names *names, struct jval *byname, size_t max, size_t *n,
			   struct json_ends *ends);
/*
 * Find the end of the value that starts at p without validating it: the
 * fast way to cut records out of a stream. Returns a pointer past the
 * value, or NULL when the input ends first (the value is incomplete).
 */
const char *json_skip_value(const char *p, const char *end);

/*
 * json_skip_value for a value that arrives in pieces: a record cut out
 * of a stream whose window grows until the record ends. The state keeps
 * how far the calls before got (in a string or not, how many containers
 * open), so that each byte is examined once however often the window
 * grows: scanning from the value's start at every growth made one record
 * of 100 MB quadratic (~200 windows of 512 KB, 10 GB scanned; 12.2 s of
 * CPU for a string of escapes). Zero the state before the first call for
 * a value; p is the value's start at every call (the buffer may move),
 * end the window's end. Returns what json_skip_value(p, end) returns,
 * for an end that grows or stays; for an end short of what was examined
 * (the value did not end before it), NULL. `examined` counts the bytes
 * looked at (tests: at most the value's length and one byte a call).
 */
struct json_skip {
	size_t done;     /* bytes from p examined */
	int depth;       /* containers open at done */
	int phase;       /* before the value, in a scalar, a string, a container */
	size_t examined; /* bytes examined in all */
};
const char *json_skip_more(const char *p, const char *end, struct json_skip *k);

/* Skip JSON white space. */
const char *json_skip_ws(const char *p, const char *end);

/* Iterate the members of a VALIDATED object or array (from
 * json_scan_value). For arrays key is left as JT_NONE; key may be NULL
 * (an object's keys are then skipped). */
struct jiter {
	const char *p, *end;
	bool obj;
	const struct json_ends *ends; /* the container's (struct jval) */
	bool tape;                    /* on ends' tape, from member ti (index + 1; 0: done) */
	uint32_t ti;
};
/*
 * The slot of the container of a validated record that starts at p in
 * its table, or SIZE_MAX if the table does not have it: the normalizers
 * walk containers in their order, so the one after the last found is
 * tried first, in line (json_iter_init's call was 43 instructions,
 * about 7 a record), before a search (json_ends_search).
 */
size_t json_ends_search(const struct json_ends *e, const char *p);
static inline size_t json_ends_slot(const struct json_ends *e, const char *p)
{
	if (!e || p < e->lo || p >= e->hi)
		return SIZE_MAX;
	size_t h = e->hint + 1;
	if (h < e->n && e->start[h] == p) {
		((struct json_ends *)(uintptr_t)e)->hint = h;
		return h;
	}
	return json_ends_search(e, p);
}

static inline void json_iter_init(struct jiter *it, const struct jval *c)
{
	it->obj = c->t == JT_OBJ;
	it->p = c->p + 1;
	it->end = c->p + c->n - 1;
	it->ends = c->ends;
	it->tape = false;
	it->ti = 0;
	if (c->ends && (c->t == JT_OBJ || c->t == JT_ARR)) {
		size_t i = json_ends_slot(c->ends, c->p);
		if (i != SIZE_MAX && c->ends->taped[i]) {
			it->tape = true;
			it->ti = c->ends->first[i];
		}
	}
}
bool json_iter_next_text(struct jiter *it, struct jval *key, struct jval *val);
/* In line for a container on the tape: a member is a few loads (the
 * call was 45 instructions a member, 23 members a mail-access record
 * walked by the normalizers). */
static inline bool json_iter_next(struct jiter *it, struct jval *key, struct jval *val)
{
	if (!it->tape)
		return json_iter_next_text(it, key, val);
	if (!it->ti)
		return false;
	const struct json_ends *e = it->ends;
	const struct json_tape *t = &e->tape[it->ti - 1];
	it->ti = t->next;
	val->p = e->base + t->val;
	val->n = t->vlen;
	val->t = (enum jtype)t->t;
	val->esc = (t->esc & 2) != 0;
	val->ends = e;
	if (!key)
		return true;
	if (it->obj) {
		key->p = e->base + t->key;
		key->n = t->klen;
		key->t = JT_STR;
		key->esc = (t->esc & 1) != 0;
		key->ends = e;
	} else {
		key->t = JT_NONE;
		key->p = val->p;
		key->n = 0;
		key->esc = false;
		key->ends = NULL;
	}
	return true;
}

/* The content of a string value without its quotes. */
static inline const char *json_str_ptr(const struct jval *s)
{
	return s->p + 1;
}
static inline size_t json_str_len(const struct jval *s)
{
	return s->n - 2;
}

/*
 * Unescape the string value s into out, which must hold json_str_len(s)
 * bytes at least (unescaping never grows a string). Returns the length;
 * out is not NUL-terminated. Lone surrogates become U+FFFD.
 */
size_t json_unescape(const struct jval *s, char *out);

/* Does string value s (or key) equal the literal lit exactly? Handles
 * escaped keys. */
bool json_str_eqn(const struct jval *s, const char *lit, size_t n);
/* The common case in line: a key without escapes against a literal,
 * whose length is folded here and whose compare the compiler expands
 * (the nested walks' key tests were 26 calls and 1.8k instructions a
 * mail-access record through json_str_eqn and memcmp). */
static inline bool json_str_eq(const struct jval *s, const char *lit)
{
	size_t n = strlen(lit);
	if (s->t == JT_STR && !s->esc)
		return s->n == n + 2 && memcmp(s->p + 1, lit, n) == 0;
	return json_str_eqn(s, lit, n);
}

/* Member of a validated object by key, or false. Linear. */
bool json_get(const struct jval *obj, const char *key, struct jval *out);

/* A number value as long long (truncating a fraction); false if not a
 * number, or if it is a string holding an integer, that too. */
bool json_get_int_any(const struct jval *v, long long *out);
/* In line for what nearly every call reads, a number of up to 18 digits
 * alone (a message's SizeInBytes, OperationCount, RecordType): the call
 * was 85 instructions, four a mail-access record. */
static inline bool json_get_int(const struct jval *v, long long *out)
{
	if (v->t == JT_NUM && v->n - 1 < 18) {
		long long x = 0;
		size_t i = 0;
		for (; i < v->n && (unsigned)(unsigned char)v->p[i] - '0' <= 9; i++)
			x = x * 10 + (v->p[i] - '0');
		if (i == v->n) {
			*out = x;
			return true;
		}
	}
	return json_get_int_any(v, out);
}

#endif
