/*
 * hunt_raw.c: the raw records the admin hunts read (inbox rules,
 * forwarding, consents, audit settings: fields the store does not
 * normalize). Candidates are chosen by operation (store_pick, which the
 * store answers from its operation index) and their raw records read in
 * id order by batches (store_raw_each: each compressed block once),
 * split over a few threads that each open their own read-only handle on
 * the case; each hunt's evaluator (hunt_entry.raw.eval) runs on the
 * worker that read the record. Also the finding rows the admin hunts
 * make, and the JSON and Exchange-identity helpers their evaluators
 * share.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "hunt_entry.h"
#include "sanitize.h"
#include "store.h"
#include "sanitize.h"
#include "xalloc.h"

static void rawshare_clear(struct hunt_rawshare *sh);

/* ------------------------------------------------------------------ */
/* Text */

bool hunt_raw_truthy(const char *v)
{
	return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "$true") == 0 || strcmp(v, "1") == 0);
}

bool hunt_raw_falsy(const char *v)
{
	return v && (strcasecmp(v, "false") == 0 || strcasecmp(v, "$false") == 0 || strcmp(v, "0") == 0);
}

bool hunt_raw_blank(const char *v)
{
	if (!v)
		return true;
	for (; *v; v++)
		if (!isspace((unsigned char)*v))
			return false;
	return true;
}

/* Case-insensitive substring search. */
const char *hunt_raw_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}


/* ------------------------------------------------------------------ */
/* Records */

/* The record t (len bytes, NUL-terminated) as JSON, unwrapped from the
 * Graph audit query's auditData (or a wrapper's AuditData string); NULL
 * when not JSON. Needs no store: worker threads call it. */
static json_t *raw_parse(const char *t, size_t len)
{
	/* The loader keeps records jansson refuses: a \u0000 in a string
	 * (JSON_ALLOW_NUL) and invalid UTF-8, here repaired to U+FFFD, so
	 * that a hunt sees every record the timeline shows. */
	json_t *j;
	if (sanitize_needed(t, len)) {
		char *fixed = json_text_safe(t, len);
		j = json_loadb(fixed, strlen(fixed), JSON_ALLOW_NUL, NULL);
		free(fixed);
	} else {
		j = json_loadb(t, len, JSON_ALLOW_NUL, NULL);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	json_t *in = json_object_get(j, "auditData");
	if (!in)
		in = json_object_get(j, "AuditData");
	if (json_is_object(in)) {
		json_incref(in);
		json_decref(j);
		return in;
	}
	if (json_is_string(in)) {
		json_t *p = json_loadb(json_string_value(in), json_string_length(in), JSON_ALLOW_NUL, NULL);
		if (json_is_object(p)) {
			json_decref(j);
			return p;
		}
		json_decref(p);
	}
	return j;
}

/* A JSON value as text (caller frees): strings whole (a \u0000 as the
 * visible \x00, not the end of the text), true/false as PowerShell
 * prints them, the rest compact JSON; NULL for null. */
char *hunt_raw_jtext(json_t *v)
{
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return sanitize_nul(json_string_value(v), json_string_length(v));
	if (json_is_true(v))
		return xstrdup("True");
	if (json_is_false(v))
		return xstrdup("False");
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *d = xstrdup(s ? s : "");
	free(s);
	return d;
}

/* Member key of o as an array; a string holding a JSON array (Sentinel
 * rows) is parsed into *owned. */
json_t *hunt_raw_jarray(json_t *o, const char *key, json_t **owned)
{
	*owned = NULL;
	json_t *a = json_object_get(o, key);
	if (json_is_string(a)) {
		*owned = json_loadb(json_string_value(a), json_string_length(a),
				    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		a = *owned;
	}
	return json_is_array(a) ? a : NULL;
}

/* Value of the {Name, Value} pair called name in o[key] (any case), as
 * text (caller frees), or NULL. ModifiedProperties give NewValue. */
char *hunt_raw_nv(json_t *o, const char *key, const char *name)
{
	json_t *owned;
	json_t *a = hunt_raw_jarray(o, key, &owned);
	char *out = NULL;
	size_t i;
	json_t *el;
	json_array_foreach(a, i, el)
	{
		json_t *n = json_object_get(el, "Name");
		if (!json_is_string(n) || strcasecmp(json_string_value(n), name) != 0)
			continue;
		json_t *v = json_object_get(el, "Value");
		if (!v)
			v = json_object_get(el, "NewValue");
		out = hunt_raw_jtext(v);
		break;
	}
	json_decref(owned);
	return out;
}

char *hunt_raw_param(json_t *o, const char *name)
{
	return hunt_raw_nv(o, "Parameters", name);
}

/* The part of an Exchange identity after the last '\' (a rule's name in
 * "mailbox\rule"), or NULL when there is none. */
const char *hunt_raw_after_backslash(const char *s)
{
	const char *b = s ? strrchr(s, '\\') : NULL;
	return b ? b + 1 : NULL;
}

/* The mailbox of an identity "…/contoso.onmicrosoft.com/user@x\rule" or
 * "user@x\rule" (caller frees), or NULL. */
char *hunt_raw_identity_owner(const char *s)
{
	if (!s)
		return NULL;
	const char *end = strrchr(s, '\\');
	if (!end)
		end = s + strlen(s);
	const char *start = s;
	for (const char *p = s; p < end; p++)
		if (*p == '/')
			start = p + 1;
	if (end == start || !memchr(start, '@', (size_t)(end - start)))
		return NULL; /* a mailbox GUID or a path: the caller knows better */
	return xstrndup(start, (size_t)(end - start));
}

/* An Exchange identity without its organisation path
 * ("NAMPR.../Microsoft Exchange Hosted Organizations/x.onmicrosoft.com/
 * Discovery Management" becomes "Discovery Management"); caller frees. */
char *hunt_raw_short_id(const char *s)
{
	if (!s)
		return NULL;
	const char *t = strrchr(s, '/');
	return xstrdup(t && t[1] ? t + 1 : s);
}

void hunt_raw_cands_free(struct hunt_cand *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].optext);
	free(c);
}

struct cand_fill {
	struct hunt_cand *c;
	size_t n, cap;
};

static int cand_row(void *ctx, const struct store_cell *col)
{
	struct cand_fill *f = ctx;
	f->c = xgrow(f->c, &f->cap, f->n + 1, sizeof *f->c);
	f->c[f->n++] = (struct hunt_cand){ .id = col[0].i,
					   .ts = col[1].i,
					   .kind = col[2].i,
					   .op = col[3].i,
					   .user = col[4].i,
					   .ip = col[5].i,
					   .app = col[6].i,
					   .mailbox = col[7].i };
	return 0;
}

static int cmp_cand_id(const void *a, const void *b)
{
	const struct hunt_cand *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Events whose op is one of ops, in id order (raw blocks read once). */
static int candidates(struct hctx *h, const struct util_ivec *ops, struct hunt_cand **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!ops->n)
		return 0;
	static const char *const cols[] = { "id", "ts", "kind", "op", "user", "ip", "app", "mailbox" };
	struct store_pick p;
	store_pick_init(&p);
	p.field = "op";
	p.ids = ops->v;
	p.n = ops->n;
	struct cand_fill f = { 0 };
	if (hunt_pick(h, &p, cols, sizeof cols / sizeof *cols, cand_row, &f) < 0) {
		free(f.c);
		return -1;
	}
	/* a pick comes in the store's order: ClickHouse's copy by operation
	 * gives each operation's events in time order, whose ids are spread
	 * over all of raw's range for it (every batch of ids then read most
	 * of that range: 1.6M rows for 87k records at 10M) */
	bool sorted = true;
	for (size_t k = 1; k < f.n && sorted; k++)
		sorted = f.c[k - 1].id <= f.c[k].id;
	if (!sorted)
		qsort(f.c, f.n, sizeof *f.c, cmp_cand_id);
	char **optext = xcalloc(ops->n, sizeof *optext);
	for (size_t i = 0; i < ops->n; i++)
		optext[i] = hunt_vtext(h, "op", ops->v[i]);
	for (size_t k = 0; k < f.n; k++) {
		struct hunt_cand *c = &f.c[k];
		for (size_t i = 0; i < ops->n; i++)
			if (ops->v[i] == c->op && optext[i])
				c->optext = xstrdup(optext[i]);
		if (!c->optext)
			c->optext = xstrdup("");
	}
	for (size_t i = 0; i < ops->n; i++)
		free(optext[i]);
	free(optext);
	*out = f.c;
	*n = f.n;
	return h->err ? -1 : 0;
}

void hunt_raw_facts_free(struct hunt_facts *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].why);
		free(f[i].name);
		free(f[i].owner);
		free(f[i].app);
		free(f[i].object);
	}
	free(f);
}

/* Does operation text op belong to raw hunt k? */
static bool raw_hunt_has(int k, const char *op)
{
	const struct hunt_raw *r = &hunt_entry_of((enum hunt_id)k)->raw;
	size_t n = strlen(op);
	for (size_t i = 0; r->ops && r->ops[i]; i++) {
		if (strcasecmp(op, r->ops[i]) == 0)
			return true;
		size_t m = strlen(r->ops[i]);
		if (r->dot && n == m + 1 && op[m] == '.' && strncasecmp(op, r->ops[i], m) == 0)
			return true;
	}
	return false;
}

/* The raw hunts, as a mask of (1 << enum hunt_id). */
static unsigned raw_mask(void)
{
	unsigned m = 0;
	for (int k = 0; k < HUNT_COUNT; k++)
		if (hunt_entry_of((enum hunt_id)k)->raw.ops)
			m |= 1u << k;
	return m;
}

/*
 * The hunts that read raw records each name their operations and an
 * evaluator (hunt_entry.raw); alone, a hunt reads its own candidates;
 * hunt_run_all reads the union once and hands each hunt its part (inbox
 * rules and anti-forensics both read New-InboxRule, forwarding and
 * anti-forensics both read Set-Mailbox). Facts are kept in HUNT_COUNT
 * slots per candidate, one per hunt (candidates are few: thousands).
 */
struct hunt_rawshare {
	bool done;
	struct hunt_cand *c;
	size_t n;
	struct hunt_facts *f; /* n * HUNT_COUNT */
};

struct rawjob {
	struct store *st; /* the worker's own connection (or the caller's) */
	const struct hunt_cand *c;
	struct hunt_facts *out; /* HUNT_COUNT slots per candidate */
	size_t n;
	atomic_bool *stop;
};

struct rawjob_at {
	struct rawjob *j;
	size_t i; /* the candidate the next record belongs to */
};

/* One raw record: its candidate evaluated by each raw hunt in its mask. */
static int rawjob_record(void *ctx, int64_t id, const char *t, size_t len)
{
	struct rawjob_at *a = ctx;
	struct rawjob *j = a->j;
	while (a->i < j->n && j->c[a->i].id != id)
		a->i++; /* a candidate whose record the case lacks */
	if (a->i >= j->n)
		return 1;
	if (atomic_load(j->stop))
		return 1;
	size_t i = a->i++;
	char *text = xstrndup(t, len);
	json_t *rec = raw_parse(text, len);
	for (int k = 0; rec && k < HUNT_COUNT; k++) {
		if (!(j->c[i].mask & (1u << k)))
			continue;
		struct hunt_facts *f = &j->out[i * HUNT_COUNT + (size_t)k];
		f->seen = true;
		hunt_entry_of((enum hunt_id)k)->raw.eval(&j->c[i], rec, text, f);
	}
	json_decref(rec);
	free(text);
	return 0;
}

static void rawjob_run(struct rawjob *j)
{
	int64_t *ids = xmalloc((j->n ? j->n : 1) * sizeof *ids);
	for (size_t i = 0; i < j->n; i++)
		ids[i] = j->c[i].id;
	struct rawjob_at a = { j, 0 };
	char *why = NULL;
	/* a record that cannot be read is one the hunts do not see, as
	 * when the case lacks it */
	store_raw_each(j->st, ids, j->n, rawjob_record, &a, &why);
	free(why);
	free(ids);
}

static void *rawjob_thread(void *arg)
{
	rawjob_run(arg);
	return NULL;
}

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The calling thread's slices of candidates (raw_pass) */
#define RAW_SLICE_MS 100
#define RAW_SLICE_MAX 65536

/* Candidates below this many are read on the calling thread alone. */
#define RAW_THREADS_MIN 256
#define RAW_THREADS_MAX 4

/*
 * Read the raw record of each candidate (ascending ids) and evaluate it
 * for each raw hunt in its mask, into out[i * HUNT_COUNT + k]. Raw
 * records are compressed in blocks of a few hundred consecutive events,
 * and candidates picked by operation fall in most of them, so the work
 * is decompressing blocks: it is split into contiguous id ranges, one
 * per core (up to RAW_THREADS_MAX), each read through its own read-only
 * connection to the case. The calling thread takes the first range and
 * polls for cancellation.
 */
static int raw_pass(struct hctx *h, const struct hunt_cand *c, size_t n, struct hunt_facts **out)
{
	*out = xcalloc(n ? n * HUNT_COUNT : 1, sizeof **out);
	if (!n)
		return 0; /* and no pointer arithmetic on an empty list */
	atomic_bool stop;
	atomic_init(&stop, false);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = n < RAW_THREADS_MIN || cpus < 2
			    ? 1
			    : (size_t)(cpus < RAW_THREADS_MAX ? cpus : RAW_THREADS_MAX);
	/* tests and benchmarks choose (1: the calling thread only) */
	const char *force = getenv("AUDITSCOPE_HUNT_THREADS");
	if (force && atoi(force) >= 1)
		nt = (size_t)(atoi(force) < RAW_THREADS_MAX ? atoi(force) : RAW_THREADS_MAX);
	if (nt > n)
		nt = n ? n : 1;
	struct rawjob jobs[RAW_THREADS_MAX];
	pthread_t tids[RAW_THREADS_MAX];
	bool started[RAW_THREADS_MAX] = { false };
	json_object_seed(0); /* before any thread makes objects */
	for (size_t t = 0; t < nt; t++) {
		size_t a = n * t / nt, b = n * (t + 1) / nt;
		jobs[t] = (struct rawjob){ h->st, c + a, *out + a * HUNT_COUNT, b - a, &stop };
		if (t == 0)
			continue;
		char *why = NULL;
		if (store_open(store_path(h->st), STORE_READONLY, &jobs[t].st, &why) < 0) {
			free(why);
			jobs[t].st = NULL; /* read this range here afterwards */
			continue;
		}
		if (pthread_create(&tids[t], NULL, rawjob_thread, &jobs[t]) == 0) {
			started[t] = true;
		} else {
			store_close(jobs[t].st);
			jobs[t].st = NULL;
		}
	}
	/* the first range here, in slices, looking at cancel in between: a
	 * slice doubles while one takes under RAW_SLICE_MS, so that cancel
	 * stays prompt and a store whose every read has a fixed cost (a
	 * server: ClickHouse reads a granule of each part for every id
	 * range) is asked few times */
	struct rawjob mine = jobs[0];
	size_t step = 64;
	for (size_t i = 0; i < mine.n && !atomic_load(&stop);) {
		struct rawjob slice = mine;
		slice.c += i;
		slice.out += i * HUNT_COUNT;
		slice.n = mine.n - i < step ? mine.n - i : step;
		int64_t t0 = mono_ms();
		rawjob_run(&slice);
		i += slice.n;
		if (mono_ms() - t0 < RAW_SLICE_MS && step < RAW_SLICE_MAX)
			step *= 2;
		if (hunt_cancelled(h))
			atomic_store(&stop, true);
	}
	for (size_t t = 1; t < nt; t++) {
		if (started[t]) {
			pthread_join(tids[t], NULL);
			store_close(jobs[t].st);
		} else if (!atomic_load(&stop)) {
			jobs[t].st = h->st;
			rawjob_run(&jobs[t]);
		}
	}
	if (atomic_load(&stop) || hunt_cancelled(h)) {
		hunt_raw_facts_free(*out, n * HUNT_COUNT);
		*out = NULL;
		if (!h->err)
			h->err = xstrdup(PROGRESS_CANCELLED);
		return -1;
	}
	return 0;
}

/* Candidates of the raw hunts in mask, each with its mask set. */
static int raw_select(struct hctx *h, unsigned mask, struct hunt_cand **c, size_t *n)
{
	struct util_ivec ops = { 0 };
	for (int k = 0; k < HUNT_COUNT; k++)
		if (mask & (1u << k) && hunt_val_ids(h, "op", hunt_entry_of((enum hunt_id)k)->raw.ops,
						     hunt_entry_of((enum hunt_id)k)->raw.dot, &ops) < 0) {
			util_ivec_free(&ops);
			return -1;
		}
	int rc = candidates(h, &ops, c, n);
	util_ivec_free(&ops);
	for (size_t i = 0; rc == 0 && i < *n; i++)
		for (int k = 0; k < HUNT_COUNT; k++)
			if (mask & (1u << k) && raw_hunt_has(k, (*c)[i].optext))
				(*c)[i].mask |= 1u << k;
	return rc;
}

struct hunt_rawshare *hunt_rawshare_new(void)
{
	return xcalloc(1, sizeof(struct hunt_rawshare));
}

void hunt_rawshare_free(struct hunt_rawshare *sh)
{
	if (!sh)
		return;
	rawshare_clear(sh);
	free(sh);
}

static void rawshare_clear(struct hunt_rawshare *sh)
{
	hunt_raw_facts_free(sh->f, sh->n * HUNT_COUNT);
	hunt_raw_cands_free(sh->c, sh->n);
	memset(sh, 0, sizeof *sh);
}

int hunt_raw_cmp_ts(const void *a, const void *b)
{
	const struct hunt_cand *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * A row for one event of an admin hunt: time, op, user, <the columns
 * the caller sets>, ip, with a filter selecting the event by operation,
 * user and its second.
 */
struct hunt_row *hunt_raw_event_row(struct hctx *h, const struct hunt_cand *c, size_t ip_col, bool hit)
{
	struct hunt_row *row = hunt_row_new(h, hit);
	char *user = hunt_vtext(h, "user", c->user), *ip = hunt_vtext(h, "ip", c->ip);
	hunt_row_time(row, 0, c->ts);
	hunt_row_set(row, 1, c->optext);
	hunt_row_set(row, 2, user);
	hunt_row_set(row, ip_col, ip);
	hunt_row_event(row, c->id, c->ts);
	struct util_buf f = { 0 };
	hunt_filter_term(&f, "op", c->optext);
	if (user)
		hunt_filter_term(&f, "user", user);
	hunt_filter_time(&f, c->ts, c->ts);
	hunt_row_filter(row, &f);
	free(user);
	free(ip);
	return row;
}

void hunt_raw_finding(struct hctx *h, const struct hunt_cand *c, const struct hunt_facts *f,
		      const struct hunt_raw_cols *k, int (*score)(const char *why))
{
	struct hunt_row *row = hunt_raw_event_row(h, c, k->ip, !f->context);
	if (k->owner) {
		if (f->owner || !k->owner_from_event)
			hunt_row_set(row, k->owner, f->owner);
		else
			hunt_row_take(row, k->owner,
				      hunt_vtext(h, "mailbox", c->mailbox ? c->mailbox : c->user));
	}
	if (k->name)
		hunt_row_set(row, k->name, f->name);
	if (k->why)
		hunt_row_set(row, k->why, f->why);
	hunt_row_reason(row, f->context ? 0 : score(f->why), f->why);
}

int hunt_raw_findings(struct hctx *h, const struct hunt_raw_cols *k, int (*score)(const char *why))
{
	struct hunt_cand *c;
	struct hunt_facts *f;
	size_t n;
	if (hunt_raw_candidates(h, &c, &n, &f) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (f[i].why && *f[i].why)
			hunt_raw_finding(h, &c[i], &f[i], k, score);
	hunt_raw_facts_free(f, n);
	hunt_raw_cands_free(c, n);
	return 0;
}

int hunt_raw_candidates(struct hctx *h, struct hunt_cand **c, size_t *n, struct hunt_facts **f)
{
	int k = (int)h->r->def->id;
	const struct hunt_raw *raw = &hunt_entry_of(h->r->def->id)->raw;
	*c = NULL;
	*f = NULL;
	*n = 0;
	struct hunt_rawshare own = { 0 }, *sh = h->share ? h->share : &own;
	if (!sh->done) {
		unsigned mask = h->share ? raw_mask() : 1u << k;
		int rc = raw_select(h, mask, &sh->c, &sh->n);
		if (rc == 0 && !h->share && raw->prune)
			raw->prune(sh->c, &sh->n);
		if (rc < 0 || raw_pass(h, sh->c, sh->n, &sh->f) < 0) {
			rawshare_clear(sh);
			return -1;
		}
		sh->done = true;
	}
	size_t m = 0;
	for (size_t i = 0; i < sh->n; i++)
		m += (sh->c[i].mask >> k) & 1;
	*c = xcalloc(m ? m : 1, sizeof **c);
	*f = xcalloc(m ? m : 1, sizeof **f);
	for (size_t i = 0; i < sh->n; i++) {
		if (!(sh->c[i].mask & (1u << k)))
			continue;
		(*c)[*n] = sh->c[i];
		(*c)[*n].optext = xstrdup(sh->c[i].optext);
		/* the facts move to the caller */
		struct hunt_facts *src = &sh->f[i * HUNT_COUNT + (size_t)k];
		(*f)[*n] = *src;
		memset(src, 0, sizeof *src);
		(*n)++;
	}
	rawshare_clear(&own);
	return 0;
}
