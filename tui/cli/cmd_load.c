/*
 * cmd_load.c: `auditscope load CASE PATH...`: progress on stderr while it
 * runs (when stderr is a terminal), one summary line per source, totals.
 * Ctrl-C stops cleanly: what was committed stays, loading again completes;
 * at once, also while a pipe or a FIFO it reads is silent.
 * The IP databases for the places of the new addresses are read while the
 * load ends (its index builds, last checkpoint and sync), on a thread of
 * their own. A stop skips the places (and stops reading the databases):
 * the next load looks up every address not yet placed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "geoip.h"
#include "ingest.h"
#include "sanitize.h"
#include "stopsig.h"
#include "xalloc.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The IP databases, read on a thread started when the load has given
 * back its streaming's memory (ingest_opts.streamed): ~0.1 s of CPU of a
 * 1M-event load's 0.45 s serial tail, on the core its index builds leave
 * idle (core/sqlite/load.c). Not earlier: the tables take 14 MB (19 at
 * their peak), which the streaming's peak would carry. */
struct geo_open {
	const char *dir; /* --geoip DIR, or NULL */
	struct geoip *g;
	pthread_t th;
	bool started;
};

struct load_ui {
	bool tty;
	bool line_dirty;
	struct geo_open geo;
};

/* The databases, or NULL at a stop (geoip_open_until). */
static struct geoip *geo_open_now(const char *dir)
{
	char **dirs = geoip_default_dirs(dir);
	struct geoip *g = geoip_open_until((const char *const *)dirs, &stop_flag);
	geoip_dirs_free(dirs);
	return g;
}

static void *geo_open_main(void *arg)
{
	struct geo_open *o = arg;
	o->g = geo_open_now(o->dir);
	return NULL;
}

static void on_streamed(void *ctx)
{
	struct load_ui *ui = ctx;
	if (stop_flag)
		return; /* stopped: no places (run) */
	/* blocking the stop signals, like the load's own workers */
	ui->geo.started = stopsig_thread(&ui->geo.th, geo_open_main, &ui->geo) == 0;
}

/* The databases: the thread's, or read now (no thread, or the load ended
 * before it started one). NULL at a stop, before or while they are read:
 * the thread gives up at once. */
static struct geoip *geo_opened(struct load_ui *ui)
{
	if (!ui->geo.started)
		return stop_flag ? NULL : geo_open_now(ui->geo.dir);
	pthread_join(ui->geo.th, NULL);
	ui->geo.started = false;
	if (stop_flag) {
		geoip_free(ui->geo.g);
		return NULL;
	}
	return ui->geo.g;
}

static void human_bytes(double b, char *out, size_t n)
{
	const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	int i = 0;
	while (b >= 1000 && i < 4) {
		b /= 1000;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static void clear_line(struct load_ui *ui)
{
	if (ui->line_dirty) {
		fputs("\r\033[K", stderr);
		ui->line_dirty = false;
	}
}

static void on_progress(const struct ingest_progress *p, void *ctx)
{
	struct load_ui *ui = ctx;
	if (!ui->tty)
		return;
	char done[32], total[32] = "";
	human_bytes((double)p->bytes_in, done, sizeof done);
	double rate = p->elapsed > 0 ? (double)p->events / p->elapsed : 0;
	char eta[32] = "";
	if (p->size > 0) {
		human_bytes((double)p->size, total, sizeof total);
		double frac = (double)p->bytes_in / (double)p->size;
		if (frac > 0.01 && frac < 1) {
			/* rate of this member: bytes per second of elapsed time is
			 * skewed by earlier members; good enough for a hint. */
			double bps = (double)p->bytes_in / p->elapsed;
			long secs = bps > 0 ? (long)((double)(p->size - (int64_t)p->bytes_in) / bps) : 0;
			snprintf(eta, sizeof eta, ", ETA %ld:%02ld", secs / 60, secs % 60);
		}
	}
	char *name = sanitize_err(p->member, strlen(p->member));
	size_t cols, k = text_fit(name, strlen(name), 40, &cols); /* never half a character */
	fprintf(stderr, "\r\033[K%.*s: %s%s%s, %llu events, %.0f events/s%s", (int)k, name, done,
		total[0] ? " of " : "", total, (unsigned long long)p->events, rate, eta);
	free(name);
	ui->line_dirty = true;
}

static void on_source(const struct ingest_source *s, void *ctx)
{
	struct load_ui *ui = ctx;
	clear_line(ui);
	char *name = sanitize(s->path, strlen(s->path));
	char first[32] = "-", last[32] = "-";
	if (s->counts.events) {
		cli_time(s->counts.first_ts, first, sizeof first);
		cli_time(s->counts.last_ts, last, sizeof last);
	}
	printf("%s: %s, %s, %llu records: %llu new events, %llu duplicates, %llu rejected; %s .. %s", name,
	       s->format, s->encoding ? s->encoding : "-", (unsigned long long)s->counts.records,
	       (unsigned long long)s->counts.events, (unsigned long long)s->counts.duplicates,
	       (unsigned long long)s->counts.rejects, first, last);
	if (s->counts.conflicts)
		printf(" (%llu conflicting)", (unsigned long long)s->counts.conflicts);
	if (strcmp(s->status, "complete") != 0) {
		char *st = sanitize(s->status, strlen(s->status));
		printf(" [%s]", st);
		free(st);
	}
	putchar('\n');
	if (s->warning) {
		char *w = sanitize_err(s->warning, strlen(s->warning));
		char *ename = sanitize_err(s->path, strlen(s->path));
		fprintf(stderr, "auditscope: warning: %s: %s\n", ename, w);
		free(ename);
		free(w);
	}
	fflush(stdout);
	free(name);
}

static void on_warn(const char *msg, void *ctx)
{
	struct load_ui *ui = ctx;
	clear_line(ui);
	char *m = sanitize_err(msg, strlen(msg));
	fprintf(stderr, "auditscope: warning: %s\n", m);
	free(m);
}

/* Something not read at all: the load exits 1, so an error line. */
static void on_error(const char *msg, void *ctx)
{
	struct load_ui *ui = ctx;
	clear_line(ui);
	cli_error("%s", msg);
}

static int run(const struct cli_args *a)
{
	const char *case_path = a->args[0];
	const char **paths = (const char **)a->args + 1;
	size_t npaths = (size_t)a->nargs - 1;
	struct ingest_opts o = { 0 };
	int64_t rec = -1, member = -1, ratio = -1;
	if (!cli_opt_count(a, "--max-record-mb", &rec) || !cli_opt_count(a, "--max-member-mb", &member) ||
	    !cli_opt_count(a, "--max-ratio", &ratio))
		return 2;
	if (rec >= 0)
		o.max_record = (size_t)rec << 20;
	if (member >= 0)
		o.limits.max_member_bytes = (uint64_t)member << 20;
	if (ratio >= 0)
		o.limits.max_ratio = (double)ratio;
	const char *dates = cli_opt(a, "--dates");
	if (dates) {
		if (strcmp(dates, "dmy") == 0)
			o.dates = TIME_ORDER_DMY;
		else if (strcmp(dates, "mdy") == 0)
			o.dates = TIME_ORDER_MDY;
		else
			return cli_usage("load: --dates takes dmy or mdy");
	}
	bool quiet = cli_flag(a, "--quiet");
	const char *geoip_dir = cli_opt(a, "--geoip");
	/* load CASE --geoip DIR alone redoes the places with DIR's files */
	if (npaths == 0 && !geoip_dir)
		return cli_usage("load: expected CASE and at least one PATH");
	/* a path that is not there is a mistake in the command: say so
	 * before anything is created or loaded (no empty case for a typo) */
	for (size_t i = 0; i < npaths; i++) {
		struct stat sb;
		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &sb) < 0) {
			cli_error("%s: %s", paths[i], strerror(errno));
			return 1;
		}
	}
	struct store *st = NULL;
	char *cause = NULL;
	if (store_open_cb(case_path, STORE_CREATE, cli_schema_news, NULL, &st, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return 1;
	}
	struct load_ui ui = { .tty = !quiet && isatty(2), .geo.dir = geoip_dir };
	o.progress = on_progress;
	o.streamed = on_streamed;
	o.source_done = quiet ? NULL : on_source;
	o.warn = on_warn;
	o.error = on_error;
	o.ctx = &ui;
	o.stop = &stop_flag;
	/* not SA_RESTART: a FIFO's open waiting for a writer ends at a
	 * stop; the reads that wait on a pipe end at it too (core/stopsig.h) */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	struct ingest_totals t;
	int r = ingest_paths(st, paths, npaths, &o, &t, &cause);
	clear_line(&ui);
	int rc = 0;
	if (r < 0) {
		if (ui.geo.started)
			geoip_free(geo_opened(&ui));
		cli_error("%s", cause);
		free(cause);
		/* a new case that kept nothing goes: a failed creation leaves
		 * no file behind */
		store_close_failed_new(st);
		return 1;
	} else {
		double rate = t.seconds > 0 ? (double)t.records / t.seconds : 0;
		char mb[32];
		human_bytes((double)t.bytes, mb, sizeof mb);
		printf("%s %llu new events from %llu sources (%s) in %.1f s, %.0f records/s; "
		       "%llu duplicates; %llu rejected rows\n",
		       r == 1 ? "interrupted after" : "loaded", (unsigned long long)t.events,
		       (unsigned long long)t.sources, mb, t.seconds, rate, (unsigned long long)t.duplicates,
		       (unsigned long long)t.rejects);
		if (t.conflicts)
			printf("%llu records repeat a record id with another time or value: kept as conflicts\n",
			       (unsigned long long)t.conflicts);
		if (t.rejects || t.conflicts) {
			char *cp = sanitize(case_path, strlen(case_path));
			printf("rejected rows are kept verbatim: see 'auditscope info %s --rejects 100'\n", cp);
			free(cp);
		}
		/* the places of the new addresses, unless stopped (before or
		 * while the databases are read, or the lookups run): those not
		 * placed are the next load's (core/sqlite/ipgeo.c looks up every
		 * address not in ipgeo) */
		struct geoip *g = geo_opened(&ui);
		if (g && cli_geoip_enrich_with(st, g, quiet) != 0)
			rc = 1;
		if (r == 1) {
			fprintf(stderr,
				"auditscope: load interrupted: what was committed is in the case; "
				"run the same load again to complete it%s\n",
				g ? "" : " and look up the places of its IP addresses");
			rc = 130;
		} else if (!g) {
			fprintf(stderr, "auditscope: interrupted: the places of the new IP addresses were not "
					"looked up; the next load into this case looks them up\n");
			rc = 130;
		} else if (t.failed_sources) {
			cli_error("%d source(s) could not be read completely (see above)", t.failed_sources);
			rc = 1;
		} else if (t.cut_pages) {
			cli_error("Graph results cut short: a page's @odata.nextLink names a page not loaded "
				  "(see above)");
			rc = 1;
		} else if (t.records && !t.events && !t.duplicates && !t.conflicts) {
			cli_error("nothing could be loaded from these paths: every record was rejected");
			rc = 1;
		}
	}
	store_close(st);
	return rc;
}

static const struct cli_opt opts[] = {
	{ "--quiet", "-q", NULL, "no progress and no line per source, only the totals", NULL },
	{ "--max-record-mb", NULL, "N", "a record over N MiB stops its file (256)", NULL },
	{ "--max-member-mb", NULL, "N", "a member decompressing past N MiB stops (65536)", NULL },
	{ "--max-ratio", NULL, "N", "a member past N times its compressed size stops (1000)", NULL },
	{ "--geoip", NULL, "DIR", "your own MaxMind .mmdb files, before the installed IP databases", NULL },
	{ "--dates", NULL, "ORDER",
	  "day or month first where every date of a file could be either (07/12/2026; default: month, warned)",
	  "dmy mdy" },
	{ 0 },
};

const struct cli_cmd cli_cmd_load = {
	.name = "load",
	.usage = "CASE PATH...",
	.summary = "create CASE if needed and load PATHs into it",
	.details = "PATH: files, folders, .zip/.tar/.tar.gz/.tar.xz/.7z/.gz archives, - for stdin.\n"
		   "Ctrl-C keeps what was committed; running the same load again completes it.\n",
	.opts = opts,
	.min_args = 1,
	.max_args = -1,
	.run = run,
};
