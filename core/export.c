/*
 * export.c: the export's reader (export.h): the matching events, their
 * annotations and provenance, streamed to a writer of the table in
 * export_list.h (export_writer.h is the seam).
 *
 * All through the storage interface: one scan in time order
 * (query_scan_timeline) hands over the matching events with the value ids
 * of their fields, which a cache turns into text; the annotations are
 * held in memory (annot_each_key), or, past export_limits.annotations,
 * probed per row by the scan, and then read for the rows that have any
 * (annot_get_key). Rows are gathered in windows of
 * WINDOW events: the places of new IP values are read once per window,
 * and when the format wants the raw records, a window's records are read
 * in row id order, so that each compressed block (about 350 consecutive
 * ids) is decompressed once per window instead of once per row, as time
 * order would have it when several exports interleave in time; then the
 * window is written in time order.
 */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "export_writer.h"
#include "appnames.h"
#include "knownapps.h"
#include "query.h"
#include "sanitize.h"
#include "timeparse.h"
#include "xalloc.h"

#define WINDOW 2048

#define PROGRESS_EVERY 4096

#define X(e, name) extern const struct export_writer export_writer_##name;
EXPORT_WRITERS(X)
#undef X

static const struct export_writer *const writers[EXPORT_COUNT] = {
#define X(e, name) [EXPORT_##e] = &export_writer_##name,
	EXPORT_WRITERS(X)
#undef X
};

static const struct export_limits default_limits = { .annotations = 4000000, .marks_sorted = 100000 };

int export_format_parse(const char *s)
{
	for (int i = 0; i < EXPORT_COUNT; i++)
		if (!strcmp(s, writers[i]->name) || (writers[i]->alias && !strcmp(s, writers[i]->alias)))
			return i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Rows */

const char *const export_field_names[NFIELDS] = {
#define X(f, name) name,
	EXPORT_ROW_FIELDS(X)
#undef X
};

/* The columns the scan hands over, in this order (the fields after the
 * C_FIELDS first ones; record_id among them as text). */
enum { C_ID, C_TS, C_LINE, C_OP_COUNT, C_KIND, C_FLAGS, C_SOURCE, C_FIELDS };
#define C_PROBE (C_FIELDS + NFIELDS) /* marked, tagged, noted: when probing */
static const char *const scan_cols[C_PROBE + 3] = {
	"id",
	"ts",
	"line",
	"op_count",
	"kind",
	"flags",
	"source",
#define X(f, name) name,
	EXPORT_ROW_FIELDS(X)
#undef X
		"marked",
	"tagged",
	"noted",
};

/* What the reader keeps beside a row of the window until it is written:
 * where each text sits in the row's buffer, and the IP's place when it
 * is still to be read. */
struct export_pend {
	size_t off[NFIELDS + 3]; /* the fields, then country, asn, as_org; SIZE_MAX: none */
	int64_t ip;              /* the IP's value id, 0: none */
	ssize_t place;           /* index into the window's new places, -1: from the cache */
};

/* Forget r's values; its text buffer stays for the next row. */
static void row_clear(struct export_row *r)
{
	char *buf = r->buf;
	size_t cap = r->cap;
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	for (size_t i = 0; i < r->nnotes; i++) {
		free(r->notes[i].author);
		free(r->notes[i].created);
		free(r->notes[i].text);
	}
	free(r->notes);
	free(r->raw);
	memset(r, 0, sizeof *r);
	r->buf = buf;
	r->cap = cap;
}

/* Append n bytes of s and a NUL to r's buffer; its offset. */
static size_t row_put(struct export_row *r, const char *s, size_t n)
{
	r->buf = xgrow(r->buf, &r->cap, r->len + n + 1, 1);
	memcpy(r->buf + r->len, s, n);
	r->buf[r->len + n] = '\0';
	size_t off = r->len;
	r->len += n + 1;
	return off;
}

/*
 * Texts of value ids, direct-mapped: an export asks for the same few
 * operations, users, apps and IPs a million times, and a look-up per
 * field and row cost more than everything else together (the profile of
 * a million-row CSV export). Unique values (tokens, sessions) just miss
 * and are read again; memory stays bounded. Keyed by field and id: a
 * store may number each field's values on its own.
 */
#define VCACHE_SLOTS 65536

struct vcache {
	int64_t id[VCACHE_SLOTS];
	unsigned char field[VCACHE_SLOTS];
	char *text[VCACHE_SLOTS];
};

/* The text of value id of field i (borrowed until the next look-up), or
 * NULL; -1 with *x->cause on an error of the case. */
static int vcache_get(struct exporter *x, int i, int64_t id, const char **out)
{
	struct vcache *c = x->vc;
	size_t slot = (size_t)(((uint64_t)id ^ (uint64_t)i << 56) * 0x9e3779b97f4a7c15ULL >> 48) &
		      (VCACHE_SLOTS - 1);
	if (c->id[slot] == id && c->field[slot] == i && c->text[slot]) {
		*out = c->text[slot];
		return 0;
	}
	free(c->text[slot]);
	c->text[slot] = NULL;
	if (store_value_texts(x->st, export_field_names[i], &id, 1, &c->text[slot], x->cause) < 0)
		return -1;
	c->id[slot] = id;
	c->field[slot] = (unsigned char)i;
	*out = c->text[slot];
	return 0;
}

static void vcache_free(struct vcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < VCACHE_SLOTS; i++)
		free(c->text[i]);
	free(c);
}

/* The same for the places of IP value ids (core/ipgeo.h): a few
 * thousand addresses, each read once. */
#define GCACHE_SLOTS 4096

struct gcache {
	int64_t id[GCACHE_SLOTS];
	struct store_place p[GCACHE_SLOTS];
	bool have[GCACHE_SLOTS];
};

static size_t gcache_slot(int64_t id)
{
	return (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 52) & (GCACHE_SLOTS - 1);
}

static const struct store_place *gcache_find(const struct gcache *c, int64_t id)
{
	size_t slot = gcache_slot(id);
	return c->have[slot] && c->id[slot] == id ? &c->p[slot] : NULL;
}

/* Keep p (taken) as id's place. */
static void gcache_put(struct gcache *c, int64_t id, struct store_place *p)
{
	size_t slot = gcache_slot(id);
	store_place_clear(&c->p[slot]);
	c->p[slot] = *p;
	memset(p, 0, sizeof *p);
	c->id[slot] = id;
	c->have[slot] = true;
}

static void gcache_free(struct gcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < GCACHE_SLOTS; i++)
		store_place_clear(&c->p[i]);
	free(c);
}

/*
 * The annotated keys, in memory: which (record id, kind) are bookmarked,
 * noted, and their tags. Probing the marks and tags once per exported row
 * costs a random B-tree search each, and once an analyst bulk-marks
 * hundreds of thousands of events those tables no longer fit the page
 * cache: a million-row CSV export went from 4 to 15 CPU seconds. Read
 * once in key order they cost a fraction of a second. Memory grows with
 * the annotations (about 80 bytes each, and a note's text), never with
 * the events; past
 * export_limits.annotations rows the export falls back to probing.
 */
struct annnote {
	const char *author, *created, *text; /* in the arena, or NULL */
};

struct annent {
	const char *rid; /* in the arena; for kind -1 the interned tag text */
	int kind;
	bool marked;
	uint32_t ntags, nnotes;
	const char **tags;     /* interned */
	struct annnote *notes; /* oldest first */
};

struct annset {
	struct annent *ent;
	size_t n, cap;
	uint32_t *slot; /* index + 1 into ent, 0 empty */
	size_t mask;
	char **chunks; /* the arena */
	size_t nchunks, used, chunk_cap;
};

#define ARENA_CHUNK ((size_t)1 << 20)

static const char *annset_str(struct annset *a, const char *s)
{
	size_t n = strlen(s) + 1;
	if (!a->nchunks || a->used + n > ARENA_CHUNK) {
		a->chunks = xgrow(a->chunks, &a->chunk_cap, a->nchunks + 1, sizeof *a->chunks);
		a->chunks[a->nchunks++] = xmalloc(n > ARENA_CHUNK ? n : ARENA_CHUNK);
		a->used = 0;
	}
	char *d = a->chunks[a->nchunks - 1] + a->used;
	memcpy(d, s, n);
	a->used += n;
	return d;
}

static uint64_t annset_hash(const char *s, int kind)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(kind + 2);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static void annset_grow(struct annset *a)
{
	size_t nslots = a->mask ? (a->mask + 1) * 2 : 1024;
	free(a->slot);
	a->slot = xcalloc(nslots, sizeof *a->slot);
	a->mask = nslots - 1;
	for (size_t i = 0; i < a->n; i++) {
		size_t j = annset_hash(a->ent[i].rid, a->ent[i].kind) & a->mask;
		while (a->slot[j])
			j = (j + 1) & a->mask;
		a->slot[j] = (uint32_t)i + 1;
	}
}

/* The entry of (rid, kind), added when add is set; else NULL if absent. */
static struct annent *annset_get(struct annset *a, const char *rid, int kind, bool add)
{
	if (!rid)
		rid = ""; /* a crafted case's NULL record id or tag */
	if (add && (a->n + 1) * 2 > a->mask + 1)
		annset_grow(a);
	if (!a->mask)
		return NULL;
	size_t j = annset_hash(rid, kind) & a->mask;
	for (; a->slot[j]; j = (j + 1) & a->mask) {
		struct annent *e = &a->ent[a->slot[j] - 1];
		if (e->kind == kind && strcmp(e->rid, rid) == 0)
			return e;
	}
	if (!add)
		return NULL;
	a->ent = xgrow(a->ent, &a->cap, a->n + 1, sizeof *a->ent);
	struct annent *e = &a->ent[a->n];
	memset(e, 0, sizeof *e);
	e->rid = annset_str(a, rid);
	e->kind = kind;
	a->slot[j] = (uint32_t)++a->n;
	return e;
}

static void annset_free(struct annset *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->ent[i].tags);
		free(a->ent[i].notes);
	}
	free(a->ent);
	free(a->slot);
	for (size_t i = 0; i < a->nchunks; i++)
		free(a->chunks[i]);
	free(a->chunks);
	free(a);
}

static int annset_add(const struct annot_key *k, void *ctx)
{
	struct annset *a = ctx;
	struct annent *e = annset_get(a, k->record_id, k->kind, true);
	if (k->what == ANNOT_KEY_MARK) {
		e->marked = true;
	} else if (k->what == ANNOT_KEY_NOTE) {
		e->notes = xrealloc(e->notes, (e->nnotes + 1) * sizeof *e->notes);
		struct annnote *n = &e->notes[e->nnotes++];
		n->author = k->note->author ? annset_str(a, k->note->author) : NULL;
		n->created = k->note->created ? annset_str(a, k->note->created) : NULL;
		n->text = k->note->text ? annset_str(a, k->note->text) : NULL;
	} else {
		/* tags interned as entries of kind -1 (e may move) */
		size_t idx = (size_t)(e - a->ent);
		const char *tag = annset_get(a, k->tag, -1, true)->rid;
		e = &a->ent[idx];
		e->tags = xrealloc(e->tags, (e->ntags + 1) * sizeof *e->tags);
		e->tags[e->ntags++] = tag;
	}
	return 0;
}

/* Every annotation key; NULL (with *cause unset) when they are too many
 * to hold, NULL with *cause on an error. */
static struct annset *annset_load(struct store *st, const struct annot_counts *ac, int64_t max, char **cause)
{
	if (ac->marks + ac->tags + ac->notes > max)
		return NULL;
	struct annset *a = xcalloc(1, sizeof *a);
	if (annot_each_key(st, annset_add, a, cause) < 0) {
		annset_free(a);
		return NULL;
	}
	return a;
}

const struct export_source *export_source_of(const struct exporter *x, int64_t id)
{
	/* source ids are 1.. in load order: a direct hit, else a search */
	if (id >= 1 && (size_t)id <= x->nsrc && x->src[id - 1].id == id)
		return &x->src[id - 1];
	for (size_t i = 0; i < x->nsrc; i++)
		if (x->src[i].id == id)
			return &x->src[i];
	return NULL;
}

const char *export_app_name(const struct exporter *x, const char *id)
{
	return id && x->ka ? appnames_lookup(x->ka, id, NULL) : NULL;
}

static int add_source(const struct store_source_row *r, void *ctx)
{
	struct exporter *x = ctx;
	x->src = xrealloc(x->src, (x->nsrc + 1) * sizeof *x->src);
	struct export_source *s = &x->src[x->nsrc++];
	s->id = r->id;
	s->path = r->path ? xstrdup(r->path) : NULL;
	s->sha256 = r->sha256 ? xstrdup(r->sha256) : NULL;
	return 0;
}

/* Tags (when the scan probed) and notes of r, by its key. */
static int read_annotations(struct exporter *x, struct export_row *r, bool tags, bool notes)
{
	struct annot_info *ai = NULL;
	if (annot_get_key(x->st, r->buf + x->pend[x->nwin].off[F_record_id], r->kind, &ai, x->cause) < 0)
		return -1;
	if (tags && ai->ntags) {
		r->tags = ai->tags;
		r->ntags = ai->ntags;
		ai->tags = NULL;
		ai->ntags = 0;
	}
	if (notes && ai->nnotes) {
		r->notes = xmalloc(ai->nnotes * sizeof *r->notes);
		for (size_t i = 0; i < ai->nnotes; i++) {
			struct annot_note *n = &ai->notes[i];
			r->notes[i] = (struct export_note){ n->author, n->created, n->text };
			n->author = n->created = n->text = NULL;
		}
		r->nnotes = ai->nnotes;
	}
	annot_info_free(ai);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The run */

static int cmp_id(const void *a, const void *b)
{
	const struct export_row *const *x = a, *const *y = b;
	return (*x)->id < (*y)->id ? -1 : (*x)->id > (*y)->id;
}

/* The places of the window's new IP values, in one call; then each row's
 * place into its buffer. */
static int read_places(struct exporter *x)
{
	int64_t *ids = NULL;
	size_t n = 0;
	for (size_t i = 0; i < x->nwin; i++) {
		struct export_pend *p = &x->pend[i];
		if (p->ip) { /* on_row found it new */
			ids = xrealloc(ids, (n + 1) * sizeof *ids);
			p->place = (ssize_t)n;
			ids[n++] = p->ip;
		}
	}
	if (!n || !ids)
		return 0;
	struct store_place *got = xcalloc(n, sizeof *got);
	if (store_value_places(x->st, ids, n, got, x->cause) < 0) {
		free(ids);
		free(got);
		return -1;
	}
	for (size_t i = 0; i < x->nwin; i++) {
		struct export_pend *p = &x->pend[i];
		if (p->place < 0)
			continue;
		const struct store_place *g = &got[p->place];
		const char *t[3] = { g->country, g->asn, g->as_org };
		for (int k = 0; k < 3; k++)
			if (t[k])
				p->off[NFIELDS + k] = row_put(&x->win[i], t[k], strlen(t[k]));
	}
	for (size_t i = 0; i < n; i++)
		gcache_put(x->gc, ids[i], &got[i]); /* an id asked twice: kept once */
	free(ids);
	free(got);
	return 0;
}

/* Write the window: places and raw records first, records read in row id
 * order. */
static int flush(struct exporter *x)
{
	if (!x->nwin)
		return 0;
	if (read_places(x) < 0)
		return -1;
	for (size_t i = 0; i < x->nwin; i++) {
		struct export_row *r = &x->win[i];
		const size_t *off = x->pend[i].off;
		for (int k = 0; k < NFIELDS; k++)
			r->f[k] = off[k] == SIZE_MAX ? NULL : r->buf + off[k];
		r->country = off[NFIELDS] == SIZE_MAX ? NULL : r->buf + off[NFIELDS];
		r->asn = off[NFIELDS + 1] == SIZE_MAX ? NULL : r->buf + off[NFIELDS + 1];
		r->as_org = off[NFIELDS + 2] == SIZE_MAX ? NULL : r->buf + off[NFIELDS + 2];
	}
	if (x->w->raw) {
		struct export_row **by_id = xmalloc(x->nwin * sizeof *by_id);
		for (size_t i = 0; i < x->nwin; i++)
			by_id[i] = &x->win[i];
		qsort(by_id, x->nwin, sizeof *by_id, cmp_id);
		const char *bad = NULL;
		for (size_t i = 0; i < x->nwin && !bad; i++) {
			size_t len;
			char *t = store_raw(x->st, by_id[i]->id, &len);
			/* a stored record is the JSON the reader parsed; made
			 * safe for a terminal, it is still that JSON */
			by_id[i]->raw = t ? json_one_line(json_text_safe(t, len)) : NULL;
			free(t);
			if (!t)
				bad = store_raw_error(x->st); /* a damaged block: no row */
		}
		free(by_id);
		if (bad) {
			set_cause(x->cause, "%s", bad);
			for (size_t i = 0; i < x->nwin; i++)
				row_clear(&x->win[i]);
			x->nwin = 0;
			return -1;
		}
	}
	for (size_t i = 0; i < x->nwin; i++) {
		struct export_row *r = &x->win[i];
		x->w->row(x, r);
		row_clear(r);
	}
	x->nwin = 0;
	return ferror(x->out) ? set_cause(x->cause, "write error: %s", strerror(errno ? errno : EIO)) : 0;
}

/* The state of the scan: what the rows need that the exporter lacks. */
struct reading {
	struct exporter *x;
	struct export_stats *stats;
	bool marked_in_c; /* bookmarked events only, told by the annotations in memory */
	bool probe;       /* the scan probes the annotations per row */
	int64_t scanned;
	bool cancelled, failed;
};

/* One matching event from the scan: into the window. Non-zero stops. */
static int on_row(void *ctx, const struct store_cell *c)
{
	struct reading *rd = ctx;
	struct exporter *x = rd->x;
	if (++rd->scanned % PROGRESS_EVERY == 0) {
		if (rd->stats)
			rd->stats->events = x->done;
		if (progress_report(&x->o->progress, -1))
			return rd->cancelled = true;
	}
	struct export_row *r = &x->win[x->nwin];
	struct export_pend *p = &x->pend[x->nwin];
	r->kind = (int)c[C_KIND].i;
	r->len = 0;
	for (size_t k = 0; k < NFIELDS + 3; k++)
		p->off[k] = SIZE_MAX;
	p->ip = 0;
	p->place = -1;
	const struct store_cell *rid = &c[C_FIELDS + F_record_id];
	if (rid->s)
		p->off[F_record_id] = row_put(r, rid->s, rid->n);
	const char *rid_text = rid->s ? r->buf + p->off[F_record_id] : NULL;
	const struct annent *ae = x->ann ? annset_get(x->ann, rid_text, r->kind, false) : NULL;
	if (rd->marked_in_c && !(ae && ae->marked))
		return 0;
	r->id = c[C_ID].i;
	r->ts = c[C_TS].i;
	r->line = c[C_LINE].i;
	r->op_count = c[C_OP_COUNT].i;
	r->flags = (unsigned)c[C_FLAGS].i;
	r->source = c[C_SOURCE].i;
	bool has_tags = false, has_notes = false;
	if (rd->probe) {
		r->marked = c[C_PROBE].i;
		has_tags = c[C_PROBE + 1].i;
		has_notes = c[C_PROBE + 2].i;
	} else if (ae) {
		r->marked = ae->marked;
		if (ae->ntags) {
			r->tags = xmalloc(ae->ntags * sizeof *r->tags);
			for (uint32_t i = 0; i < ae->ntags; i++)
				r->tags[i] = xstrdup(ae->tags[i]);
			r->ntags = ae->ntags;
		}
		if (ae->nnotes) {
			r->notes = xmalloc(ae->nnotes * sizeof *r->notes);
			for (uint32_t i = 0; i < ae->nnotes; i++) {
				const struct annnote *n = &ae->notes[i];
				r->notes[i] = (struct export_note){ n->author ? xstrdup(n->author) : NULL,
								    n->created ? xstrdup(n->created) : NULL,
								    n->text ? xstrdup(n->text) : NULL };
			}
			r->nnotes = ae->nnotes;
		}
	}
	for (int k = 0; k < NFIELDS; k++) {
		int64_t id = c[C_FIELDS + k].i;
		if (k == F_record_id || !id)
			continue;
		const char *v;
		if (vcache_get(x, k, id, &v) < 0)
			return rd->failed = true;
		if (v)
			p->off[k] = row_put(r, v, strlen(v));
	}
	p->ip = c[C_FIELDS + F_ip].i;
	if (p->ip) {
		/* a place already known goes in now, a new one with the window */
		const struct store_place *g = gcache_find(x->gc, p->ip);
		if (g) {
			const char *t[3] = { g->country, g->asn, g->as_org };
			for (int k = 0; k < 3; k++)
				if (t[k])
					p->off[NFIELDS + k] = row_put(r, t[k], strlen(t[k]));
			p->ip = 0;
		}
	}
	if ((has_tags || has_notes) && rid_text && read_annotations(x, r, has_tags, has_notes) < 0)
		return rd->failed = true;
	x->nwin++;
	x->done++;
	if (x->nwin == WINDOW && flush(x) < 0)
		return rd->failed = true;
	return 0;
}

static int scan_progress(void *ctx, double done)
{
	(void)done;
	const struct exporter *x = ctx;
	return progress_report(&x->o->progress, -1);
}

int export_run(struct store *st, FILE *out, const struct export_opts *o, struct export_stats *stats,
	       char **cause)
{
	if ((unsigned)o->format >= EXPORT_COUNT)
		return set_cause(cause, "export: no such format");
	struct exporter x = { .st = st, .out = out, .o = o, .w = writers[o->format], .cause = cause };
	const struct export_limits *lim = o->limits ? o->limits : &default_limits;
	bool marked = o->marked || x.w->marked;
	int rc = -1;
	if (stats)
		memset(stats, 0, sizeof *stats);
	if (query_new(st, o->filter, &x.q, cause) < 0)
		return -1;
	query_set_progress(x.q, &(struct progress){ scan_progress, &x });
	if (query_prepare(x.q, cause) < 0)
		goto out;
	/* from here the export reports itself, every PROGRESS_EVERY rows with
	 * its stats current: a timer in the scan would also fire inside the
	 * look-ups the rows make (texts, annotations, raw records) */
	query_set_progress(x.q, NULL);
	if (store_each_source(st, add_source, &x, cause) < 0 || !(x.ka = appnames_new(st, cause)))
		goto out;
	x.vc = xcalloc(1, sizeof *x.vc);
	x.gc = xcalloc(1, sizeof *x.gc);
	struct annot_counts ac;
	if (annot_counts(st, &ac, cause) < 0)
		goto out;
	if (!(x.ann = annset_load(st, &ac, lim->annotations, cause)) && cause && *cause)
		goto out;
	/* without the keys in memory, a probe per row by the scan */
	struct reading rd = { .x = &x, .stats = stats, .probe = !x.ann };
	/* Bookmarked events only: when they are few, the store starts from
	 * them; when there are many, a walk of the whole timeline that skips
	 * the others (told by the keys in memory, or by the store) keeps
	 * memory flat. */
	bool few_marks = marked && ac.marks <= lim->marks_sorted;
	unsigned flags = few_marks            ? STORE_SCAN_MARKED | STORE_SCAN_FEW_MARKS
			 : marked && rd.probe ? STORE_SCAN_MARKED
					      : 0;
	rd.marked_in_c = marked && !few_marks && !rd.probe;
	x.label = o->case_label ? o->case_label : store_path(st);
	if (x.w->begin && x.w->begin(&x) < 0)
		goto out;
	x.win = xcalloc(WINDOW, sizeof *x.win);
	x.pend = xcalloc(WINDOW, sizeof *x.pend);
	if (query_scan_timeline(x.q, scan_cols, rd.probe ? C_PROBE + 3 : C_PROBE, flags, on_row, &rd, cause) < 0)
		goto out;
	if (rd.cancelled) {
		set_cause(cause, PROGRESS_CANCELLED);
		goto out;
	}
	if (rd.failed)
		goto out;
	if (flush(&x) < 0)
		goto out;
	if (x.w->end && x.w->end(&x) < 0)
		goto out;
	errno = 0;
	if (fflush(out) != 0 || ferror(out)) {
		set_cause(cause, "write error: %s", strerror(errno ? errno : EIO));
		goto out;
	}
	rc = 0;
	if (stats) {
		stats->events = x.done;
		stats->messages = x.messages;
	}
out:
	for (size_t i = 0; i < (x.win ? WINDOW : 0); i++) {
		row_clear(&x.win[i]);
		free(x.win[i].buf);
	}
	free(x.win);
	free(x.pend);
	vcache_free(x.vc);
	gcache_free(x.gc);
	annset_free(x.ann);
	for (size_t i = 0; i < x.nsrc; i++) {
		free(x.src[i].path);
		free(x.src[i].sha256);
	}
	free(x.src);
	if (x.wstate_free)
		x.wstate_free(x.wstate);
	appnames_free(x.ka);
	query_free(x.q);
	return rc;
}
