/*
 * ingest.c: drives a load: paths -> members -> format -> reader -> store.
 *
 * The format of a member is told from its first bytes (after the input
 * layer has removed any BOM and transcoded UTF-16): '[' or '{' is JSON,
 * anything else is CSV recognised by its header. Each member becomes one
 * source row in the case with its SHA-256, detected format, encoding,
 * counts and a status, committed together with its events.
 */
#include "ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "binary.h"
#include "xalloc.h"

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ingest_add_warning(struct ingest_stats *st, const char *w)
{
	if (!st->warning) {
		st->warning = xstrdup(w);
		return;
	}
	char *both = xasprintf("%s; %s", st->warning, w);
	free(st->warning);
	st->warning = both;
}

/* Say what PowerShell's depth limit cost the records of this source. */
static void truncation_warning(struct ingest_stats *st)
{
	if (!st->truncated)
		return;
	char *w =
		st->lost_msgids
			? xasprintf("%llu records were cut by PowerShell's ConvertTo-Json depth limit "
				    "(nested values written as \"@{...}\" text and System.Object[]); their "
				    "scalar values were recovered, but %llu MailItemsAccessed records lost the "
				    "internet message ids of the messages they exposed: export again with a "
				    "larger -Depth",
				    (unsigned long long)st->truncated, (unsigned long long)st->lost_msgids)
			: xasprintf("%llu records were cut by PowerShell's ConvertTo-Json depth limit "
				    "(nested values written as \"@{...}\" text and System.Object[]); their "
				    "scalar values were recovered, nested lists were lost: export again with a "
				    "larger -Depth",
				    (unsigned long long)st->truncated);
	ingest_add_warning(st, w);
	free(w);
}

static int stream_by_content(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
			     struct ingest_stats *st, char **cause);

int ingest_stream(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
		  struct ingest_stats *st, char **cause)
{
	int rc = stream_by_content(s, sink, stop, st, cause);
	truncation_warning(st);
	return rc;
}

static int stream_by_content(struct stream *s, const struct sink *sink, volatile sig_atomic_t *stop,
			     struct ingest_stats *st, char **cause)
{
	if (stream_need(s, 4096) < 0)
		return set_cause(cause, "read error");
	const char *p = stream_ptr(s);
	size_t n = stream_avail(s);
	if (n == 0) {
		st->format = "empty";
		st->warning = xstrdup("empty file: no records");
		return 0;
	}
	/* white space alone, and nothing after it: empty too (it was a
	 * CSV header of blanks, rejected, and a failed source) */
	size_t blank = 0;
	while (blank < n && (p[blank] == ' ' || p[blank] == '\t' || p[blank] == '\r' || p[blank] == '\n'))
		blank++;
	if (n < 4096 && blank == n) {
		st->format = "empty";
		st->warning = xstrdup("empty file: white space only, no records");
		return 0;
	}
	size_t look = n < 4096 ? n : 4096;
	const char *kind = binary_kind(p, look);
	if (kind) {
		st->format = "binary";
		st->error =
			xasprintf("binary data (%s), not a text export (its first %zu bytes kept as one rejected row)",
				  kind, look);
		st->records++;
		st->rejects++;
		char *why = xasprintf("binary data (%s), not a text export", kind);
		int rc = sink->reject(sink->ctx, 1, why, p, look, cause);
		free(why);
		return rc;
	}
	/* text that may begin with a zero-filled run (binary.h): the
	 * readers reject the line that holds it */
	size_t i = 0;
	while (i < look && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '\0'))
		i++;
	if (i < look && (p[i] == '[' || p[i] == '{'))
		return ingest_json(s, sink, stop, st, cause);
	return ingest_csv(s, sink, stop, st, cause);
}

/* ------------------------------------------------------------------ */

struct run {
	struct store_load *ld;
	const struct ingest_opts *o;
	struct ingest_totals *tot;
	struct sink inner;
	struct input *in;
	double start, last;
	uint64_t since_check;
	bool interrupted;
	bool cancelled;             /* by the struct progress */
	volatile sig_atomic_t stop; /* what the readers poll: a signal or a cancel */
	char *fatal;
	/* per format of Graph page: does the last page loaded say more
	 * follow (@odata.nextLink), and which source it was */
	struct {
		const char *format;
		char *source;
	} open_pages[16];
	size_t nopen;
	/* closed sources whose summary waits for the commit that holds
	 * them (say_committed): "N new events" is said of what is in the
	 * case, not of what a failure could still take back */
	struct pending_source {
		struct ingest_source s; /* its strings owned */
		uint64_t mark;          /* store_load_mark */
	} * pend;
	size_t npend, cpend;
	/* a pipe on stdin is a source from the load's start (early_stdin) */
	bool early;
};

/*
 * A pipe on stdin may bring its first bytes long after the load starts
 * (a slow export, a tail): it is a source at once, "loading", so that
 * info and the interface show it while nothing has come yet (issue 10,
 * finding 15). Its first member takes that row over; a member of
 * another name (stdin was an archive) ends it first.
 */
static void early_stdin(struct run *r, const char *path)
{
	struct stat sb;
	if (strcmp(path, "-") != 0 || fstat(STDIN_FILENO, &sb) != 0 || S_ISREG(sb.st_mode))
		return;
	char *cause = NULL;
	if (store_load_source(r->ld, "-", -1, &cause) < 0) {
		r->fatal = cause;
		return;
	}
	r->early = true;
}

/* Does the source for name exist already (early_stdin)? Ends the early
 * row when name is another one. */
static bool early_taken(struct run *r, const char *name)
{
	if (!r->early)
		return false;
	r->early = false;
	if (strcmp(name, "-") == 0)
		return true;
	char *cause = NULL;
	if (store_load_source_end(r->ld, NULL, "archive", NULL, "complete", NULL, &cause) < 0)
		r->fatal = cause;
	return false;
}

static void defer_source(struct run *r, const struct ingest_source *s)
{
	if (!r->o->source_done)
		return;
	r->pend = xgrow(r->pend, &r->cpend, r->npend + 1, sizeof *r->pend);
	struct pending_source *p = &r->pend[r->npend++];
	p->s = *s;
	p->s.path = xstrdup(s->path);
	p->s.format = xstrdup(s->format);
	p->s.encoding = s->encoding ? xstrdup(s->encoding) : NULL;
	p->s.sha256 = s->sha256 ? xstrdup(s->sha256) : NULL;
	p->s.status = xstrdup(s->status);
	p->s.warning = s->warning ? xstrdup(s->warning) : NULL;
	p->mark = store_load_mark(r->ld);
}

/* Hand the summaries of the sources committed so far to source_done, in
 * order; all of them with all set (the load's end committed them), then
 * with status, when not NULL, in place of theirs (the load failed). */
static void say_committed(struct run *r, bool all, const char *status)
{
	uint64_t done = all ? UINT64_MAX : store_load_committed(r->ld);
	size_t i = 0;
	for (; i < r->npend && r->pend[i].mark <= done; i++) {
		struct ingest_source *s = &r->pend[i].s;
		const char *own = s->status;
		if (status)
			s->status = status;
		r->o->source_done(s, r->o->ctx);
		free((char *)s->path);
		free((char *)s->format);
		free((char *)s->encoding);
		free((char *)s->sha256);
		free((char *)own);
		free((char *)s->warning);
	}
	if (i == 0)
		return; /* (also when nothing is held: pend is NULL then) */
	memmove(r->pend, r->pend + i, (r->npend - i) * sizeof *r->pend);
	r->npend -= i;
	if (!r->npend) {
		free(r->pend);
		r->pend = NULL;
		r->cpend = 0;
	}
}

/* The last page of each kind of Graph results read so far: a page with
 * an @odata.nextLink leaves its results open until a page without one. */
static void note_pages(struct run *r, const struct ingest_stats *st, const char *name)
{
	if (!st->pages || !st->format)
		return;
	size_t i = 0;
	while (i < r->nopen && strcmp(r->open_pages[i].format, st->format) != 0)
		i++;
	if (i == r->nopen) {
		if (i == sizeof r->open_pages / sizeof r->open_pages[0])
			return;
		r->open_pages[r->nopen++].format = st->format;
	}
	free(r->open_pages[i].source);
	r->open_pages[i].source = st->next_links >= st->pages ? xstrdup(name) : NULL;
}

static void report(struct run *r, bool force)
{
	if (r->npend)
		say_committed(r, false, NULL);
	if (r->o->stop && *r->o->stop)
		r->stop = 1;
	if (!r->o->progress && !r->o->prog)
		return;
	double t = now_sec();
	if (!force && t - r->last < 0.05)
		return;
	r->last = t;
	if (r->o->prog && r->in) {
		int64_t size = input_size(r->in);
		double done = size > 0 ? (double)input_bytes_in(r->in) / (double)size : -1;
		if (progress_report(r->o->prog, done > 1 ? 1 : done)) {
			r->cancelled = true;
			r->stop = 1;
		}
	}
	if (!r->o->progress)
		return;
	struct store_counts c;
	store_load_counts(r->ld, &c);
	struct ingest_progress p = {
		.member = input_name(r->in),
		.bytes_in = input_bytes_in(r->in),
		.size = input_size(r->in),
		.events = r->tot->events + c.events,
		.records = r->tot->records + c.records,
		.elapsed = t - r->start,
	};
	r->o->progress(&p, r->o->ctx);
}

static int run_event(void *ctx, const struct event *ev, char **cause)
{
	struct run *r = ctx;
	if (r->o->stop && *r->o->stop)
		r->stop = 1;
	if (++r->since_check >= 2048) {
		r->since_check = 0;
		report(r, false);
	}
	return r->inner.event(r->inner.ctx, ev, cause);
}

static char *run_room(void *ctx, size_t n)
{
	struct run *r = ctx;
	return r->inner.room ? r->inner.room(r->inner.ctx, n) : NULL;
}

static int run_reject(void *ctx, uint64_t line, const char *why, const char *raw, size_t n, char **cause)
{
	struct run *r = ctx;
	if (++r->since_check >= 2048) {
		r->since_check = 0;
		report(r, false);
	}
	return r->inner.reject(r->inner.ctx, line, why, raw, n, cause);
}

static ssize_t member_read(void *ctx, char *buf, size_t n)
{
	return input_read(ctx, buf, n);
}

static ssize_t member_lend(void *ctx, const char **p, size_t *room)
{
	return input_lend(ctx, p, room);
}

static void member_unlend(void *ctx)
{
	input_unlend(ctx);
}

static void warn(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct run *r, const char *fmt, ...)
{
	if (!r->o->warn)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	r->o->warn(m, r->o->ctx);
	free(m);
}

static void walk_warn(const char *msg, void *ctx)
{
	struct run *r = ctx;
	if (r->o->warn)
		r->o->warn(msg, r->o->ctx);
}

/* Something the walk could not read at all (an encrypted or not regular
 * member, an archive too deep, damaged or cut short): a source row of its
 * own, with the reason as its status, so that the case says what is not
 * in it, and one line naming it through the caller's error callback. */
static void walk_skip(const char *name, const char *why, void *ctx)
{
	struct run *r = ctx;
	/* not read: the load fails, so the line is the caller's error */
	void (*say)(const char *, void *) = r->o->error ? r->o->error : r->o->warn;
	if (say) {
		char *m = xasprintf("%s: %s", name, why);
		say(m, r->o->ctx);
		free(m);
	}
	if (r->fatal || r->interrupted)
		return;
	char *cause = NULL;
	char *status = xasprintf("error: %s", why);
	bool taken = early_taken(r, name);
	if (r->fatal) {
		free(status);
		return;
	}
	if ((!taken && store_load_source(r->ld, name, -1, &cause) < 0) ||
	    store_load_source_end(r->ld, NULL, "unread", NULL, status, NULL, &cause) < 0)
		r->fatal = cause ? cause : xstrdup("cannot record a source");
	free(status);
	r->tot->sources++;
	r->tot->failed_sources++;
}

static int member(struct input *in, void *ctx)
{
	struct run *r = ctx;
	const struct ingest_opts *o = r->o;
	char *cause = NULL;
	if (r->fatal)
		return -1;
	r->in = in;
	bool taken = early_taken(r, input_name(in));
	if (r->fatal)
		return -1;
	/* the member's own size (input_size is the outermost file's) */
	if (!taken && store_load_source(r->ld, input_name(in), input_member_size(in), &cause) < 0) {
		r->fatal = cause;
		return -1;
	}
	struct stream s;
	stream_init(&s, member_read, in, o->max_record ? o->max_record : (size_t)256 << 20);
	stream_set_lend(&s, member_lend, member_unlend);
	struct sink sk = { run_event, run_reject, r, run_room };
	struct ingest_stats st = { .name = input_name(in), .dates = o->dates };
	report(r, true); /* a cancel before the first record is honoured too */
	int rc = ingest_stream(&s, &sk, &r->stop, &st, &cause);
	stream_free(&s);

	char sha[65] = "";
	/* a read that gave up at a stop (input_limits.stop) failed the
	 * stream: the member is interrupted, not unreadable */
	bool stopped = r->stop || (o->stop && *o->stop);
	bool read_failed = rc < 0 && s.ioerr && !stopped;
	char *status;
	if (rc < 0 && s.ioerr && stopped) {
		status = xstrdup("interrupted");
		r->interrupted = true;
		free(cause);
		cause = NULL;
	} else if (read_failed) {
		status = xasprintf("error: %s", input_error(in) ? input_error(in) : "read error");
		free(cause);
		cause = NULL;
	} else if (rc < 0) {
		/* the store failed: stop the run */
		r->fatal = cause;
		store_load_source_end(r->ld, NULL, st.format, input_encoding(in), "error", NULL, NULL);
		free(st.warning);
		free(st.error);
		return -1;
	} else if (stopped) {
		status = xstrdup("interrupted");
		r->interrupted = true;
	} else if (st.error) {
		status = xasprintf("error: %s", st.error);
	} else {
		status = xstrdup("complete");
	}
	/* read whole: its own bytes are known now (an archive member or a
	 * .gz stream may not have said them), those the hash is of */
	if (!r->interrupted && input_finish(in, sha) == 0 && !read_failed &&
	    store_load_source_bytes(r->ld, (int64_t)input_bytes_raw(in), &cause) < 0) {
		r->fatal = cause;
		free(status);
		free(st.warning);
		free(st.error);
		return -1;
	}
	/* a hash of the bytes read before an I/O error is not the file's: a
	 * responder comparing it with the file's own would take the mismatch
	 * for tampering. The source says error and records no hash. */
	if (read_failed)
		sha[0] = '\0';

	struct store_counts counts;
	if (store_load_sync(r->ld, &cause) < 0) {
		r->fatal = cause;
		free(status);
		free(st.warning);
		free(st.error);
		return -1;
	}
	store_load_counts(r->ld, &counts);
	const struct store_counts *c = &counts;
	char *warning = st.warning ? xstrdup(st.warning) : NULL;
	if (!r->interrupted &&
	    (c->records == 50000 || (c->records == 5000 && st.format && strcmp(st.format, "psh-csv") == 0))) {
		char *w = xasprintf("exactly %llu records: the export was probably cut at the %s limit; "
				    "export the time range in smaller windows",
				    (unsigned long long)c->records,
				    c->records == 50000 ? "portal's 50,000-row" : "5,000-row PowerShell page");
		if (warning) {
			char *both = xasprintf("%s; %s", warning, w);
			free(warning);
			free(w);
			warning = both;
		} else {
			warning = w;
		}
	}
	if (c->conflicts) {
		char *w = xasprintf("%llu records repeat a record id already loaded, with another time or "
				    "value: kept apart as conflicts (info --rejects lists them), not merged",
				    (unsigned long long)c->conflicts);
		if (warning) {
			char *both = xasprintf("%s; %s", warning, w);
			free(warning);
			free(w);
			warning = both;
		} else {
			warning = w;
		}
	}
	if (st.next_links) {
		const char *w =
			"a Graph page with an @odata.nextLink: its results go on in the page that names";
		if (warning) {
			char *both = xasprintf("%s; %s", warning, w);
			free(warning);
			warning = both;
		} else {
			warning = xstrdup(w);
		}
	}
	if (!r->interrupted && input_changed(in)) {
		const char *w = "the file changed while it was being read (it grew, shrank or was written "
				"to): load it again once it is complete";
		if (warning) {
			char *both = xasprintf("%s; %s", warning, w);
			free(warning);
			warning = both;
		} else {
			warning = xstrdup(w);
		}
	}
	note_pages(r, &st, input_name(in));
	const char *fmt = st.format ? st.format : "unknown";
	if (store_load_source_end(r->ld, sha[0] ? sha : NULL, fmt, input_encoding(in), status, warning,
				  &cause) < 0) {
		r->fatal = cause;
		free(status);
		free(warning);
		free(st.warning);
		free(st.error);
		return -1;
	}
	struct ingest_source src = {
		.path = input_name(in),
		.format = fmt,
		.encoding = input_encoding(in),
		.sha256 = sha,
		.status = status,
		.warning = warning,
		.counts = *c,
	};
	r->tot->sources++;
	r->tot->records += c->records;
	r->tot->events += c->events;
	r->tot->duplicates += c->duplicates;
	r->tot->rejects += c->rejects;
	r->tot->conflicts += c->conflicts;
	r->tot->bytes += input_bytes_raw(in);
	if (c->events) {
		if (c->first_ts < r->tot->first_ts)
			r->tot->first_ts = c->first_ts;
		if (c->last_ts > r->tot->last_ts)
			r->tot->last_ts = c->last_ts;
	}
	if (strncmp(status, "error", 5) == 0)
		r->tot->failed_sources++;
	defer_source(r, &src);
	say_committed(r, false, NULL);
	free(status);
	free(warning);
	free(st.warning);
	free(st.error);
	r->in = NULL;
	return r->interrupted ? -1 : 0;
}

int ingest_paths(struct store *st, const char *const *paths, size_t npaths, const struct ingest_opts *o,
		 struct ingest_totals *tot, char **cause)
{
	memset(tot, 0, sizeof *tot);
	tot->first_ts = INT64_MAX;
	tot->last_ts = INT64_MIN;
	struct run r = { .o = o, .tot = tot };
	r.start = r.last = now_sec();
	r.ld = store_load_begin(st, cause);
	if (!r.ld)
		return -1;
	if (o->batch)
		store_load_set_batch(r.ld, o->batch);
	store_load_sink(r.ld, &r.inner);
	/* a stop ends a read waiting on a pipe (input.h) */
	struct input_limits lim = o->limits;
	lim.stop = o->stop;
	/* the case and its own files are not evidence: a responder's
	 * `load case.case .` in the folder of exports read them (and its
	 * write-ahead log as it grew), four failed sources */
	static const char *const own[] = { "",         "-wal",     "-shm",         "-journal",
					   "-reserve", "-pending", "-pending-wal", "-pending-shm" };
	struct input_file_id ids[sizeof own / sizeof own[0]];
	size_t nids = 0;
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		char *f = xasprintf("%s%s", store_path(st), own[i]);
		struct stat sb;
		if (stat(f, &sb) == 0 && S_ISREG(sb.st_mode))
			ids[nids++] = (struct input_file_id){ sb.st_dev, sb.st_ino };
		free(f);
	}
	lim.skip = ids;
	lim.nskip = nids;
	for (size_t i = 0; i < npaths; i++) {
		char *c = NULL;
		early_stdin(&r, paths[i]);
		if (r.fatal)
			break;
		if (input_walk_skips(paths[i], &lim, member, walk_warn, walk_skip, &r, &c) < 0) {
			/* a read or an open that waited on a pipe gave up at the
			 * stop: the load is interrupted, PATH is not unreadable */
			if (!r.fatal && o->stop && *o->stop)
				r.interrupted = true;
			if (r.fatal || r.interrupted) {
				free(c);
				break;
			}
			/* PATH itself could not be read: recorded as a source, too */
			const char *why = c ? c : "cannot be read";
			size_t k = strlen(paths[i]);
			if (strncmp(why, paths[i], k) == 0 && why[k] == ':')
				why += k + 1 + (why[k + 1] == ' ');
			walk_skip(paths[i], why, &r);
			free(c);
		}
		if (r.early) /* no member at all: its row ends as it is */
			early_taken(&r, "");
		if ((o->stop && *o->stop) || r.cancelled) {
			r.interrupted = true;
			break;
		}
	}
	tot->seconds = now_sec() - r.start;
	for (size_t i = 0; i < r.nopen; i++) {
		if (r.open_pages[i].source && !r.fatal && !r.interrupted) {
			warn(&r,
			     "%s: the last %s page loaded has an @odata.nextLink: the results were cut "
			     "(the page it names was not loaded)",
			     r.open_pages[i].source, r.open_pages[i].format);
			tot->cut_pages++;
		}
		free(r.open_pages[i].source);
	}
	if (r.fatal) {
		store_load_abort(r.ld);
		say_committed(&r, true, "error: not committed (the load failed)");
		set_cause(cause, "%s", r.fatal);
		free(r.fatal);
		return -1;
	}
	if (r.interrupted) {
		/* the abort commits what was written, the closed sources too */
		store_load_abort(r.ld);
		say_committed(&r, true, NULL);
		if (r.cancelled)
			return set_cause(cause, PROGRESS_CANCELLED);
		return 1;
	}
	if (o->streamed)
		store_load_on_streamed(r.ld, o->streamed, o->ctx);
	if (store_load_end(r.ld, cause) < 0) {
		say_committed(&r, true, "error: not committed (the load failed)");
		return -1;
	}
	say_committed(&r, true, NULL);
	tot->seconds = now_sec() - r.start;
	return 0;
}
