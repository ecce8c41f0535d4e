/*
 * filter_sql.c: the SQLite store's filter compiler: it walks the tree of
 * filter.h into a condition over "events e" whose values are all bound
 * (?100, ?101 ...; sqlite_store.h: struct filter_sql). The functions the
 * condition calls (filter_regexp, filter_cidr, filter_json,
 * filter_sigma) are in filter_func.c.
 *
 * Values that name interned strings (user=, op=, app=Name, ip=CIDR ...)
 * are resolved to value ids while compiling, so that the condition SQLite
 * sees is e.user = ?, which its (user, ts) index answers in time order.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "filter.h"
#include "knownapps.h"
#include "sanitize.h"
#include "sqlite_store.h"
#include "store.h"
#include "util.h"
#include "xalloc.h"

struct cc {
	struct store *st;
	sqlite3 *db;
	unsigned flags;
	struct filter_sql *out;
	struct util_buf w;
	char **cause;
	bool have_last;
	int64_t last_ts;
	bool have_span;
	int64_t span[2]; /* the case's first and last event times (case_span) */
	bool failed;
	int negs;     /* NOTs around the node being compiled (FILTER_SQL_NORAW) */
	bool narrow;  /* the term just compiled can be answered through an index */
	bool noindex; /* this term's column is written +e.col (another term's index was chosen) */
	/* the value ids of the top "and"'s pivot terms, resolved once for
	 * pivot_choice and used again by compile_text_term */
	struct resolved {
		const struct filter_node *n;
		struct util_ivec ids;
	} * known;
	size_t nknown;
};

static void known_free(struct cc *c)
{
	for (size_t i = 0; i < c->nknown; i++)
		free(c->known[i].ids.v);
	free(c->known);
	c->known = NULL;
	c->nknown = 0;
}

static const struct util_ivec *known_ids(const struct cc *c, const struct filter_node *n)
{
	for (size_t i = 0; i < c->nknown; i++)
		if (c->known[i].n == n)
			return &c->known[i].ids;
	return NULL;
}

/* Under FILTER_SQL_NORAW a term that reads the raw record becomes what
 * makes the whole condition weaker: true under an even number of NOTs,
 * false under an odd one. */
static bool relax_raw(struct cc *c)
{
	if (!(c->flags & FILTER_SQL_NORAW))
		return false;
	util_buf_puts(&c->w, c->negs % 2 ? "0" : "1");
	return true;
}

static void bind_text(struct cc *c, const char *s)
{
	struct filter_sql *o = c->out;
	o->binds = xrealloc(o->binds, (o->nbinds + 1) * sizeof *o->binds);
	o->binds[o->nbinds] = (struct filter_bind){ .type = FB_TEXT, .text = xstrdup(s) };
	util_buf_printf(&c->w, "?%zu", FILTER_PARAM_BASE + o->nbinds);
	o->nbinds++;
}

static void bind_int(struct cc *c, int64_t v)
{
	struct filter_sql *o = c->out;
	o->binds = xrealloc(o->binds, (o->nbinds + 1) * sizeof *o->binds);
	o->binds[o->nbinds] = (struct filter_bind){ .type = FB_INT, .i = v };
	util_buf_printf(&c->w, "?%zu", FILTER_PARAM_BASE + o->nbinds);
	o->nbinds++;
}

static void colref(struct cc *c, const char *col)
{
	util_buf_printf(&c->w, "%se.%s", (c->flags & FILTER_SQL_NOINDEX) || c->noindex ? "+" : "", col);
}

static int cc_error(struct cc *c, const char *what)
{
	if (!c->failed)
		set_cause(c->cause, "%s: %s: %s", store_path(c->st), what, sqlite3_errmsg(c->db));
	c->failed = true;
	return -1;
}

/* Add the ids of rows sql (one bound text, arg[0..alen), alen -1: up to
 * its NUL) yields; -1 past max ids. */
static int ids_query_n(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, int alen, size_t max)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) != SQLITE_OK)
		return cc_error(c, "resolving values");
	sqlite3_bind_text(q, 1, arg, alen, SQLITE_TRANSIENT);
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		if (s->n >= max) {
			sqlite3_finalize(q);
			return 1;
		}
		util_ivec_add(s, sqlite3_column_int64(q, 0));
	}
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return cc_error(c, "resolving values");
	return 0;
}

static int ids_query(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, size_t max)
{
	return ids_query_n(c, s, sql, arg, -1, max);
}

static char *ascii_lower(const char *s)
{
	char *t = xstrdup(s);
	for (char *p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return t;
}

/* The value ids a text field's value names, into s. */
static int resolve_value(struct cc *c, const struct filter_field *f, const char *v, struct util_ivec *s)
{
	/* vals keeps a case-blind hash of each value (values.c) */
	const char *exact = "SELECT id FROM vals WHERE h = val_hash(?1) AND v = ?1";
	const char *nocase = "SELECT id FROM vals WHERE h = val_hash(?1) AND v = ?1 COLLATE NOCASE";
	if (f->flags & FIELD_LOWER) {
		char *lv = ascii_lower(v);
		int r = ids_query(c, s, exact, lv, SIZE_MAX);
		free(lv);
		if (r < 0)
			return -1;
	} else if (ids_query(c, s, (f->flags & FIELD_NOCASE) ? nocase : exact, v, SIZE_MAX) < 0) {
		return -1;
	}
	/* a value with a NUL byte is shown with \x00 there (sanitize_nul):
	 * typed back, or made by a pivot from a cell, it names that value
	 * too */
	size_t bn;
	char *bytes = sanitize_nul_undo(v, &bn);
	if (bytes && bn <= INT_MAX) {
		if (f->flags & FIELD_LOWER)
			for (size_t i = 0; i < bn; i++)
				if (bytes[i] >= 'A' && bytes[i] <= 'Z')
					bytes[i] = (char)(bytes[i] - 'A' + 'a');
		int r = ids_query_n(c, s,
				    (f->flags & FIELD_NOCASE) && !(f->flags & FIELD_LOWER) ? nocase : exact,
				    bytes, (int)bn, SIZE_MAX);
		free(bytes);
		if (r < 0)
			return -1;
	} else {
		free(bytes);
	}
	/* Entra operations in the UAL end with a period ("Consent to
	 * application."), the same operations in Entra's own logs do not */
	if (!strcmp(f->name, "op") && *v && v[strlen(v) - 1] != '.') {
		char *dot = xasprintf("%s.", v);
		int r = ids_query(c, s, nocase, dot, SIZE_MAX);
		free(dot);
		if (r < 0)
			return -1;
	}
	const char *rtype = !strcmp(f->name, "record_type") ? filter_record_type_name(v) : NULL;
	if (rtype && ids_query(c, s, nocase, rtype, SIZE_MAX) < 0)
		return -1;
	/* app=Name: the tenant's own names (apps table), then Microsoft's */
	if (!strcmp(f->name, "app") || !strcmp(f->name, "client_app")) {
		char **names = NULL;
		size_t nn = 0;
		if (knownapps_case_ids(c->st, v, &names, &nn, NULL) == 0) {
			for (size_t i = 0; i < nn; i++) {
				char *lv = ascii_lower(names[i]);
				int r = ids_query(c, s, exact, lv, SIZE_MAX);
				free(lv);
				if (r < 0) {
					knownapps_ids_free(names, nn);
					return -1;
				}
			}
			knownapps_ids_free(names, nn);
		}
	}
	return 0;
}

#define BIND_MAX 256 /* value ids bound as parameters; more go to a table */

/*
 * The value ids sql (over vals, one bound text) yields, into s; when
 * there are more than BIND_MAX, into a temporary table instead, whose
 * name goes to *table (caller frees): a regex such as user~^a can match
 * thousands of values, and a bound list or a sub-select of vals would be
 * rebuilt by every statement run (every page), where a table with the
 * ids as its key is read in place.
 */
static int resolve_set(struct cc *c, struct util_ivec *s, const char *sql, const char *arg, char **table)
{
	struct util_ivec part = { 0 };
	*table = NULL;
	int r = ids_query(c, &part, sql, arg, BIND_MAX);
	if (r < 0) {
		free(part.v);
		return -1;
	}
	if (r == 0) {
		for (size_t i = 0; i < part.n; i++)
			util_ivec_add(s, part.v[i]);
		free(part.v);
		return 0;
	}
	free(part.v);
	static unsigned serial;
	char *name = xasprintf("fi%u", ++serial);
	char *ddl = xasprintf("CREATE TEMP TABLE %s(id INTEGER PRIMARY KEY)", name);
	char *ins = xasprintf("INSERT INTO temp.%s %s", name, sql);
	sqlite3_stmt *q = NULL;
	if (sqlite3_exec(c->db, ddl, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, ins, -1, &q, NULL) != SQLITE_OK) {
		free(ddl);
		free(ins);
		free(name);
		return cc_error(c, "resolving values");
	}
	free(ddl);
	free(ins);
	struct filter_sql *o = c->out;
	o->temps = xrealloc(o->temps, (o->ntemps + 1) * sizeof *o->temps);
	o->temps[o->ntemps++] = xstrdup(name);
	o->db = c->db;
	sqlite3_bind_text(q, 1, arg, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE) {
		free(name);
		return cc_error(c, "resolving values");
	}
	*table = name;
	return 0;
}

static void or_sep(struct cc *c, int *parts)
{
	if ((*parts)++)
		util_buf_puts(&c->w, " OR ");
}

/* The positive condition of a term on an interned text column. */
static int compile_text_term(struct cc *c, const struct filter_node *n, bool *served)
{
	const struct filter_field *f = n->field;
	int parts = 0;
	struct util_ivec s = { 0 };
	bool null = false;
	util_buf_puts(&c->w, "(");
	/* a pivot term whose values pivot_choice resolved */
	const struct util_ivec *known = known_ids(c, n);
	for (size_t i = 0; known && i < known->n; i++)
		util_ivec_add(&s, known->v[i]);
	for (size_t i = 0; !known && i < n->nvals; i++) {
		const char *v = n->vals[i];
		char *table = NULL;
		int r = 0;
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			char *p = (f->flags & FIELD_NOCASE) ? xasprintf("(?i)%s", v) : xstrdup(v);
			r = resolve_set(c, &s, "SELECT id FROM vals WHERE filter_regexp(?1, v)", p, &table);
			free(p);
		} else if (!*v) {
			null = true;
		} else if (!strcmp(f->name, "ip") && strchr(v, '/')) {
			r = resolve_set(c, &s, "SELECT id FROM vals WHERE filter_cidr(?1, v)", v, &table);
		} else {
			r = resolve_value(c, f, v, &s);
		}
		if (r < 0) {
			free(s.v);
			return -1;
		}
		if (table) {
			or_sep(c, &parts);
			colref(c, f->column);
			util_buf_printf(&c->w, " IN (SELECT id FROM temp.%s)", table);
			free(table);
		}
	}
	if (null) {
		or_sep(c, &parts);
		colref(c, f->column);
		util_buf_puts(&c->w, " IS NULL");
	}
	if (s.n) {
		or_sep(c, &parts);
		colref(c, f->column);
		if (s.n == 1) {
			util_buf_puts(&c->w, " = ");
			bind_int(c, s.v[0]);
		} else {
			util_buf_puts(&c->w, " IN (");
			for (size_t i = 0; i < s.n; i++) {
				if (i)
					util_buf_puts(&c->w, ",");
				bind_int(c, s.v[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	}
	if (!parts)
		util_buf_puts(&c->w, "0");
	util_buf_puts(&c->w, ")");
	/* one value id on an indexed column: its (column, ts) index gives
	 * the rows in timeline order */
	*served = (f->flags & FIELD_INDEXED) && parts == 1 && s.n == 1 &&
		  (n->op == FILTER_EQ || n->op == FILTER_RE);
	/* several ids, or a table of them: an index still finds the rows,
	 * though not in time order */
	c->narrow = (f->flags & FIELD_INDEXED) && !null && parts >= 1 &&
		    (n->op == FILTER_EQ || n->op == FILTER_RE);
	free(s.v);
	return 0;
}

static int last_ts(struct cc *c, int64_t *out)
{
	if (!c->have_last) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(c->db, "SELECT max(ts) FROM events", -1, &q, NULL) != SQLITE_OK)
			return cc_error(c, "finding the last event");
		c->last_ts = 0;
		if (sqlite3_step(q) == SQLITE_ROW)
			c->last_ts = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		c->have_last = true;
	}
	*out = c->last_ts;
	return 0;
}

static int compile_time_term(struct cc *c, const struct filter_node *n, bool *served)
{
	int64_t last = 0;
	util_buf_puts(&c->w, "(");
	for (size_t i = 0; i < n->nvals; i++) {
		const char *v = n->vals[i];
		int64_t from, to;
		if (filter_time_is_relative(v) && last_ts(c, &last) < 0)
			return -1;
		if (!*v) {
			util_buf_puts(&c->w, i ? " OR 0" : "0");
			continue;
		}
		if (filter_time_parse(v, last, &from, &to, c->cause) < 0)
			return c->failed = true, -1;
		if (i)
			util_buf_puts(&c->w, " OR ");
		switch (n->op) {
		case FILTER_GT: colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, to); break;
		case FILTER_GE: colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, from); break;
		case FILTER_LT: colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, from); break;
		case FILTER_LE: colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, to); break;
		default:
			util_buf_puts(&c->w, "(");
			colref(c, "ts"), util_buf_puts(&c->w, " >= "), bind_int(c, from);
			util_buf_puts(&c->w, " AND ");
			colref(c, "ts"), util_buf_puts(&c->w, " < "), bind_int(c, to);
			util_buf_puts(&c->w, ")");
		}
	}
	util_buf_puts(&c->w, ")");
	*served = n->op != FILTER_NE && n->nvals == 1;
	c->narrow = n->op != FILTER_NE;
	return 0;
}

static const char *sql_cmp(enum filter_op op)
{
	switch (op) {
	case FILTER_GT: return " > ";
	case FILTER_GE: return " >= ";
	case FILTER_LT: return " < ";
	case FILTER_LE: return " <= ";
	default: return " = ";
	}
}

static int compile_term(struct cc *c, const struct filter_node *n, bool *served)
{
	*served = false;
	bool neg = n->op == FILTER_NE || n->op == FILTER_NRE;
	/* a negative term is NOT of its positive form, with an absent
	 * value counting as "not equal" */
	if (neg) {
		util_buf_puts(&c->w, "NOT coalesce(");
		c->negs++;
	}
	int r = 0;
	if ((n->term == FILTER_JSON || n->term == FILTER_RAW || n->term == FILTER_SIGMA) && relax_raw(c)) {
		c->out->raw = true;
	} else if (n->term == FILTER_SIGMA) {
		/* the term's own text, parsed again (once per statement) by
		 * filter_sigma (filter_func.c): the condition is compiled by
		 * sigma_field.c and matched by sigma_match.c */
		c->out->raw = true;
		const struct filter_node *pos = n;
		struct filter_node tmp;
		if (n->op == FILTER_NE) {
			tmp = *n;
			tmp.op = FILTER_EQ;
			pos = &tmp;
		}
		char *t = filter_node_text(pos);
		util_buf_puts(&c->w, "filter_sigma(raw_json(e.id), ");
		bind_text(c, t);
		util_buf_puts(&c->w, ")");
		free(t);
	} else if (n->term == FILTER_JSON) {
		c->out->raw = true;
		bool absent = n->nvals == 1 && !*n->vals[0] && (n->op == FILTER_EQ || n->op == FILTER_NE);
		if (absent)
			util_buf_puts(&c->w, "NOT ");
		util_buf_puts(&c->w, "filter_json(raw_json(e.id), ");
		bind_text(c, n->path);
		if (absent) {
			util_buf_puts(&c->w, ", '?')");
		} else if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, ", '~', ");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ")");
		} else {
			util_buf_puts(&c->w, ", '='");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, ", ");
				bind_text(c, n->vals[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	} else if (n->term == FILTER_RAW) {
		c->out->raw = true;
		char *p = xasprintf("(?i)%s", n->vals[0]);
		util_buf_puts(&c->w, "filter_regexp(");
		bind_text(c, p);
		util_buf_puts(&c->w, ", raw_json(e.id))");
		free(p);
	} else if (n->term == FILTER_TAG) {
		/* the few tagged events looked up through ridx rather than
		 * every event tested */
		util_buf_puts(&c->w,
			      "(e.id IN (" SQLITE_RIDX_IDS_HEAD "SELECT record_id, kind FROM tags t WHERE ");
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ", t.tag)" SQLITE_RIDX_IDS_TAIL "))");
		} else {
			bool any = false;
			util_buf_puts(&c->w, "0");
			for (size_t i = 0; i < n->nvals; i++) {
				if (!*n->vals[i]) {
					any = true;
					continue;
				}
				util_buf_puts(&c->w, " OR t.tag = ");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, " COLLATE NOCASE");
			}
			util_buf_puts(&c->w, SQLITE_RIDX_IDS_TAIL ")");
			/* tag="" is "has no tag" */
			if (any)
				util_buf_puts(&c->w,
					      " OR (e.record_id, e.kind) NOT IN (SELECT record_id, kind FROM tags)");
			util_buf_puts(&c->w, ")");
		}
	} else if (n->field->flags & FIELD_TEXT) {
		r = compile_text_term(c, n, served);
	} else if (n->field->flags & FIELD_TIME) {
		r = compile_time_term(c, n, served);
	} else if (n->field->flags & FIELD_KIND) {
		/* a small integer column: names to numbers, or a regex over
		 * the names */
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, n->op == FILTER_NRE ? "NOT filter_regexp(" : "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, ", CASE e.kind");
			for (int k = 0; k < KIND_COUNT; k++) {
				char num[32];
				snprintf(num, sizeof num, " WHEN %d THEN ", k);
				util_buf_puts(&c->w, num);
				bind_text(c, event_kind_name(k));
			}
			util_buf_puts(&c->w, " ELSE '' END)");
		} else {
			util_buf_puts(&c->w, n->op == FILTER_NE ? "e.kind NOT IN (-1" : "e.kind IN (-1");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, ", ");
				bind_int(c, event_kind_parse(n->vals[i]));
			}
			util_buf_puts(&c->w, ")");
		}
	} else if (n->field->flags & FIELD_NUMBER) {
		util_buf_puts(&c->w, "(0");
		for (size_t i = 0; i < n->nvals; i++) {
			int64_t x = 0;
			util_buf_puts(&c->w, " OR ");
			if (!*n->vals[i]) {
				colref(c, n->field->column);
				util_buf_puts(&c->w, " IS NULL");
				continue;
			}
			filter_value_int(n->field, n->vals[i], &x);
			colref(c, n->field->column);
			util_buf_puts(&c->w, sql_cmp(n->op));
			bind_int(c, x);
		}
		util_buf_puts(&c->w, ")");
	} else if (n->field->flags & FIELD_GEO) {
		/* the place of e.ip, looked up once per address after the load
		 * (core/ipgeo.c): the addresses that match, which the (ip, ts)
		 * index then finds */
		bool asn = !strcmp(n->field->column, "asn");
		bool absent = false;
		util_buf_puts(&c->w, "(e.ip IN (SELECT val FROM ipgeo WHERE ");
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			char *p = xasprintf("(?i)%s", n->vals[0]);
			bind_text(c, p);
			free(p);
			util_buf_puts(&c->w, asn                          ? ", 'AS' || asn)"
					     : n->field->column[0] == 'c' ? ", country)"
									  : ", as_org)");
		} else {
			util_buf_puts(&c->w, "0");
			for (size_t i = 0; i < n->nvals; i++) {
				const char *v = n->vals[i];
				if (!*v) {
					absent = true;
					continue;
				}
				util_buf_puts(&c->w, " OR ");
				util_buf_puts(&c->w, n->field->column);
				util_buf_puts(&c->w, " = ");
				if (asn) {
					int64_t x = 0;
					filter_value_int(n->field, v, &x);
					bind_int(c, x);
				} else {
					bind_text(c, v);
					util_buf_puts(&c->w, " COLLATE NOCASE");
				}
			}
		}
		util_buf_puts(&c->w, ")");
		if (absent) { /* country="" : no address, or one not placed */
			util_buf_puts(&c->w, " OR e.ip IS NULL OR e.ip NOT IN (SELECT val FROM ipgeo WHERE ");
			util_buf_puts(&c->w, n->field->column);
			util_buf_puts(&c->w, " IS NOT NULL)");
		}
		util_buf_puts(&c->w, ")");
	} else if (n->field->flags & FIELD_SOURCE) {
		/* a path, or a file name at the end of one */
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "e.source IN (SELECT id FROM sources WHERE filter_regexp(");
			bind_text(c, n->vals[0]);
			util_buf_puts(&c->w, ", path))");
		} else {
			util_buf_puts(&c->w, "e.source IN (SELECT id FROM sources WHERE 0");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, " OR path = ");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, " OR substr(path, -1 - length(");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, ")) = '/' || ");
				bind_text(c, n->vals[i]);
			}
			util_buf_puts(&c->w, ")");
		}
	} else { /* record_id: a column of events itself */
		if (n->op == FILTER_RE || n->op == FILTER_NRE) {
			util_buf_puts(&c->w, "filter_regexp(");
			bind_text(c, n->vals[0]);
			util_buf_puts(&c->w, ", rid_text(e.record_id))");
		} else if ((c->flags & FILTER_SQL_NOINDEX) || c->noindex) {
			util_buf_puts(&c->w, "(0");
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, " OR ");
				colref(c, "record_id");
				util_buf_puts(&c->w, " = rid_key(");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, ")");
			}
			util_buf_puts(&c->w, ")");
		} else if (!n->nvals) {
			util_buf_puts(&c->w, "0");
		} else { /* the events of those ids through ridx */
			util_buf_puts(&c->w, "e.id IN (" SQLITE_RIDX_IDS_HEAD);
			for (size_t i = 0; i < n->nvals; i++) {
				util_buf_puts(&c->w, i ? " UNION SELECT rid_key(" : "SELECT rid_key(");
				bind_text(c, n->vals[i]);
				util_buf_puts(&c->w, ") AS record_id");
			}
			util_buf_puts(&c->w, SQLITE_RIDX_IDS_ANY_TAIL ")");
		}
	}
	if (neg) {
		util_buf_puts(&c->w, ", 0)");
		c->negs--;
		*served = false;
		c->narrow = false;
	}
	return r;
}

/* A rough order of cost, so that an "and" tests columns before it reads
 * a raw record (SQLite evaluates the terms left to right). */
static int node_cost(const struct filter_node *n)
{
	switch (n->type) {
	case FILTER_TEXT: return 3;
	case FILTER_MARKED: return 1;
	case FILTER_TERM:
		return n->term == FILTER_JSON || n->term == FILTER_RAW || n->term == FILTER_SIGMA ? 3
		       : n->term == FILTER_TAG                                                    ? 1
												  : 0;
	default: {
		int m = 0;
		for (size_t i = 0; i < n->nkids; i++) {
			int k = node_cost(n->kids[i]);
			if (k > m)
				m = k;
		}
		return m;
	}
	}
}

/*
 * The index of an "and" of pivot terms (user=X app=Y ip=Z). Values are
 * bound parameters, so SQLite's planner sees equally good (field, ts)
 * indexes and takes the last: on 1M events user=X app=Y ip=Z walked the
 * IP's index (half the case) where user=X alone reads a few rows. A page
 * through an index reads its entries until enough match, so the term
 * with the fewest events (the fewest in the stretch of time a page
 * covers) is the one to walk, whatever the data's shape. The other
 * terms' columns are then written +e.col, which leaves SQLite the chosen
 * index alone.
 *
 * Each value id of a term is read from its own index at both ends of
 * time, PIVOT_EDGE entries each way, without reading an event row: a
 * value with fewer entries has its exact count; a busier one an estimate
 * from how much of the case's time its first and last PIVOT_EDGE events
 * span (its density where the first and last pages are read). A term's
 * estimate is the sum over its ids. On 1M events the choice for three
 * terms costs about a quarter of a page of user=X alone (callgrind:
 * 0.8M instructions against 3.1M), where counting each term to 2,048
 * and then sampling 2,048 events cost 7.5M. The values the choice
 * resolved are kept for the condition itself (c->known).
 */
#define PIVOT_EDGE 128

/* A term an index of its field answers: field=value (in time order), or
 * field=a,b (several runs of the index, sorted). */
static bool pivot_term(const struct filter_node *n)
{
	if (n->type != FILTER_TERM || n->term != FILTER_FIELD || n->op != FILTER_EQ || !n->nvals ||
	    !(n->field->flags & FIELD_INDEXED) || !(n->field->flags & FIELD_TEXT))
		return false;
	for (size_t i = 0; i < n->nvals; i++)
		if (!*n->vals[i] || (!strcmp(n->field->name, "ip") && strchr(n->vals[i], '/')))
			return false;
	return true;
}

/* The case's first and last event times, into c->span (once). */
static int case_span(struct cc *c)
{
	if (c->have_span)
		return 0;
	sqlite3_stmt *q;
	/* two subqueries: each is an edge of the ts index */
	if (sqlite3_prepare_v2(c->db, "SELECT (SELECT min(ts) FROM events), (SELECT max(ts) FROM events)", -1,
			       &q, NULL) != SQLITE_OK)
		return cc_error(c, "counting a pivot");
	int r = sqlite3_step(q);
	c->span[0] = sqlite3_column_int64(q, 0);
	c->span[1] = sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	if (r != SQLITE_ROW)
		return cc_error(c, "counting a pivot");
	c->have_span = true;
	return 0;
}

/* The time of the PIVOT_EDGE-th entry of value id in col's index from
 * the start (desc: from the end), into *ts; 0 when it has fewer. The
 * statement is prepared on first use, into *q. */
static int pivot_edge(struct cc *c, sqlite3_stmt **q, const char *col, bool desc, int64_t id, int64_t *ts)
{
	if (!*q) {
		/* the column's name comes from the field table, not the filter */
		char *sql = xasprintf("SELECT ts FROM events WHERE %s = ?1 ORDER BY ts%s LIMIT 1 OFFSET %d",
				      col, desc ? " DESC" : "", PIVOT_EDGE - 1);
		int r = sqlite3_prepare_v2(c->db, sql, -1, q, NULL);
		free(sql);
		if (r != SQLITE_OK)
			return cc_error(c, "counting a pivot");
	}
	sqlite3_reset(*q);
	sqlite3_bind_int64(*q, 1, id);
	int r = sqlite3_step(*q);
	if (r == SQLITE_ROW)
		*ts = sqlite3_column_int64(*q, 0);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return cc_error(c, "counting a pivot");
	return r == SQLITE_ROW;
}

/* What pivot_count and pivot_busy find of a term. */
struct pivot_est {
	double n; /* its events: counted for the values with few, estimated for the others */
	/* the values with PIVOT_EDGE events or more, and the time of their
	 * PIVOT_EDGE-th */
	struct util_ivec busy, first;
};

/* A count of the events of n's values that have fewer than PIVOT_EDGE,
 * into e->n; the others into e->busy. */
static int pivot_count(struct cc *c, const struct filter_node *n, struct pivot_est *e)
{
	struct util_ivec ids = { 0 };
	for (size_t i = 0; i < n->nvals; i++)
		if (resolve_value(c, n->field, n->vals[i], &ids) < 0) {
			free(ids.v);
			return -1;
		}
	c->known = xrealloc(c->known, (c->nknown + 1) * sizeof *c->known);
	c->known[c->nknown++] = (struct resolved){ n, ids };
	sqlite3_stmt *first = NULL, *count = NULL;
	int rc = 0;
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		int64_t ts = 0;
		int r = pivot_edge(c, &first, n->field->column, false, ids.v[i], &ts);
		if (r < 0) {
			rc = -1;
		} else if (r > 0) {
			util_ivec_push(&e->busy, ids.v[i]);
			util_ivec_push(&e->first, ts);
		} else {
			if (!count) {
				char *sql = xasprintf("SELECT count(*) FROM events WHERE %s = ?1",
						      n->field->column);
				r = sqlite3_prepare_v2(c->db, sql, -1, &count, NULL);
				free(sql);
				if (r != SQLITE_OK) {
					rc = cc_error(c, "counting a pivot");
					break;
				}
			}
			sqlite3_reset(count);
			sqlite3_bind_int64(count, 1, ids.v[i]);
			if (sqlite3_step(count) != SQLITE_ROW)
				rc = cc_error(c, "counting a pivot");
			else
				e->n += (double)sqlite3_column_int64(count, 0);
		}
	}
	sqlite3_finalize(first);
	sqlite3_finalize(count);
	return rc;
}

/* The estimated events of e's busy values of column col, added to e->n:
 * PIVOT_EDGE events in [t0, first] and as many in [last, t1] of the
 * case's time [t0, t1]. */
static int pivot_busy(struct cc *c, const char *col, struct pivot_est *e)
{
	if (!e->busy.n)
		return 0;
	if (case_span(c) < 0)
		return -1;
	sqlite3_stmt *q = NULL;
	int rc = 0;
	for (size_t i = 0; i < e->busy.n && rc == 0; i++) {
		int64_t last = c->span[1];
		if (pivot_edge(c, &q, col, true, e->busy.v[i], &last) < 0) {
			rc = -1;
			break;
		}
		double seen = (double)(e->first.v[i] - c->span[0]) + (double)(c->span[1] - last) + 2;
		e->n += 2.0 * PIVOT_EDGE * ((double)(c->span[1] - c->span[0]) + 1) / seen;
	}
	sqlite3_finalize(q);
	return rc;
}

/* Which kid of the "and" n keeps its index (the one matching the fewest
 * events); n->nkids when SQLite may choose (fewer than two pivots, or
 * the caller switches every index off). A term all of whose values have
 * fewer than PIVOT_EDGE events is counted exactly and has fewer than any
 * other: the others are estimated only when no term is. */
static int pivot_choice(struct cc *c, const struct filter_node *n, size_t *chosen)
{
	*chosen = n->nkids;
	if (c->flags & FILTER_SQL_NOINDEX)
		return 0;
	size_t npiv = 0;
	for (size_t i = 0; i < n->nkids; i++)
		npiv += pivot_term(n->kids[i]);
	if (npiv < 2)
		return 0;
	struct pivot_est *e = xcalloc(n->nkids, sizeof *e);
	int rc = 0;
	bool counted = false;
	for (size_t i = 0; i < n->nkids && rc == 0; i++)
		if (pivot_term(n->kids[i])) {
			rc = pivot_count(c, n->kids[i], &e[i]);
			counted |= !e[i].busy.n;
		}
	double lowest = 0;
	for (size_t i = 0; i < n->nkids && rc == 0; i++) {
		if (!pivot_term(n->kids[i]) || (counted && e[i].busy.n))
			continue;
		rc = pivot_busy(c, n->kids[i]->field->column, &e[i]);
		if (rc == 0 && (*chosen == n->nkids || e[i].n < lowest))
			lowest = e[i].n, *chosen = i;
	}
	for (size_t i = 0; i < n->nkids; i++) {
		free(e[i].busy.v);
		free(e[i].first.v);
	}
	free(e);
	return rc;
}

static int compile_node(struct cc *c, const struct filter_node *n, bool top, bool *served)
{
	bool dummy;
	if (!served)
		served = &dummy;
	*served = false;
	switch (n->type) {
	case FILTER_AND: {
		size_t chosen = n->nkids;
		if (top && pivot_choice(c, n, &chosen) < 0)
			return -1;
		util_buf_puts(&c->w, "(");
		bool first = true;
		for (int cost = 0; cost <= 3; cost++) {
			for (size_t i = 0; i < n->nkids; i++) {
				if (node_cost(n->kids[i]) != cost)
					continue;
				if (!first)
					util_buf_puts(&c->w, " AND ");
				first = false;
				bool s = false;
				c->narrow = false;
				c->noindex = chosen < n->nkids && i != chosen && pivot_term(n->kids[i]);
				int r = compile_node(c, n->kids[i], false, &s);
				c->noindex = false;
				if (r < 0)
					return -1;
				if (top && s)
					*served = true;
				if (top && c->narrow)
					c->out->narrowed = true;
			}
		}
		util_buf_puts(&c->w, ")");
		c->narrow = false;
		return 0;
	}
	case FILTER_OR:
		util_buf_puts(&c->w, "(");
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				util_buf_puts(&c->w, " OR ");
			if (compile_node(c, n->kids[i], false, NULL) < 0)
				return -1;
		}
		util_buf_puts(&c->w, ")");
		c->narrow = false;
		return 0;
	case FILTER_NOT:
		util_buf_puts(&c->w, "NOT coalesce(");
		c->negs++;
		if (compile_node(c, n->kids[0], false, NULL) < 0)
			return -1;
		c->negs--;
		util_buf_puts(&c->w, ", 0)");
		c->narrow = false;
		return 0;
	case FILTER_MARKED: util_buf_puts(&c->w, "e.id IN (" MARKED_IDS ")"); return 0;
	case FILTER_TEXT: {
		c->out->raw = true;
		if (relax_raw(c))
			return 0;
		char *p = filter_regex_literal(n->vals[0], true);
		util_buf_puts(&c->w, "filter_regexp(");
		bind_text(c, p);
		util_buf_puts(&c->w, ", raw_json(e.id))");
		free(p);
		return 0;
	}
	case FILTER_TERM: return compile_term(c, n, served);
	}
	return 0;
}

void filter_sql_clear(struct filter_sql *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntemps; i++) {
		char *sql = xasprintf("DROP TABLE IF EXISTS temp.%s", s->temps[i]);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		free(sql);
		free(s->temps[i]);
	}
	free(s->temps);
	free(s->where);
	for (size_t i = 0; i < s->nbinds; i++)
		free(s->binds[i].text);
	free(s->binds);
	memset(s, 0, sizeof *s);
}

int filter_compile(const struct filter *f, struct store *st, unsigned flags, struct filter_sql *out,
		   char **cause)
{
	memset(out, 0, sizeof *out);
	struct cc c = { .st = st, .db = store_db(st), .flags = flags, .out = out, .cause = cause };
	if (filter_register_functions(c.db) < 0)
		return set_cause(cause, "%s: cannot register the filter functions", store_path(st));
	if (filter_is_empty(f)) {
		out->where = xstrdup("1");
		out->empty = true;
		return 0;
	}
	bool served = false;
	c.narrow = false;
	int r = compile_node(&c, filter_root(f), true, &served);
	known_free(&c);
	if (r < 0) {
		free(c.w.p);
		filter_sql_clear(out);
		return -1;
	}
	out->where = util_buf_take(&c.w);
	out->indexed = served;
	if (filter_root(f)->type == FILTER_TERM && c.narrow)
		out->narrowed = true;
	if (served)
		out->narrowed = true;
	return 0;
}

int filter_sql_bind(const struct filter_sql *s, sqlite3_stmt *stmt)
{
	for (size_t i = 0; i < s->nbinds; i++) {
		int idx = (int)(FILTER_PARAM_BASE + i);
		int r = s->binds[i].type == FB_TEXT
				? sqlite3_bind_text(stmt, idx, s->binds[i].text, -1, SQLITE_STATIC)
				: sqlite3_bind_int64(stmt, idx, s->binds[i].i);
		if (r != SQLITE_OK)
			return r;
	}
	return SQLITE_OK;
}
