/*
 * test_geoip.c: places of IP addresses offline (core/geoip.c) and their
 * table in a case (core/ipgeo.c): special ranges without any database,
 * the ASN CSV reader on a table written here, the installed databases
 * (geoip/, from make deps; skipped with a message when absent), and the
 * enrichment of real sign-ins from ../shared/realdata.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "geoip.h"
#include "geoplaces.h"
#include "ingest.h"
#include "ipgeo.h"
#include "sqlite/pivots.h"
#include "sqlite/sqlite_store.h"
#include "store.h"
#include "xalloc.h"

static const char *installed_dir(void)
{
	const char *d = getenv("AUDITSCOPE_GEOIP");
	if (!d)
		d = "geoip";
	char p[4096];
	snprintf(p, sizeof p, "%s/asn-ipv4-num.csv", d);
	return access(p, R_OK) == 0 ? d : NULL;
}

#define NEED_INSTALLED(d)                                                                     \
	do {                                                                                  \
		(d) = installed_dir();                                                        \
		if (!(d)) {                                                                   \
			print_message("skipped: geoip/ is absent (make deps installs it)\n"); \
			skip();                                                               \
		}                                                                             \
	} while (0)

static void test_labels_without_databases(void **state)
{
	(void)state;
	const char *dirs[] = { "/nonexistent-geoip", NULL };
	struct geoip *g = geoip_open(dirs);
	assert_false(geoip_has_country(g));
	assert_false(geoip_has_asn(g));
	assert_non_null(geoip_warning(g));
	assert_non_null(strstr(geoip_warning(g), "countries and networks are unknown"));
	assert_string_equal(geoip_describe(g), "country: none; network: none");
	static const struct {
		const char *ip, *label;
	} cases[] = {
		{ "10.20.30.40", "private" },
		{ "192.168.1.1", "private" },
		{ "172.31.255.255", "private" },
		{ "172.32.0.1", NULL },
		{ "127.0.0.1", "loopback" },
		{ "::1", "loopback" },
		{ "169.254.1.1", "link-local" },
		{ "fe80::1", "link-local" },
		{ "192.0.2.55", "documentation" },
		{ "198.51.100.1", "documentation" },
		{ "203.0.113.9", "documentation" },
		{ "2001:db8::42", "documentation" },
		{ "100.64.0.1", "shared" },
		{ "fd12:3456::1", "private" },
		{ "40.107.22.1", "microsoft" },
		{ "52.97.1.2", "microsoft" },
		{ "2603:1026:100::5", "microsoft" },
		{ "8.8.8.8", NULL },
		/* the forms addresses keep after a load (core/addr.c) */
		{ "fe80::1%eth0", "link-local" },
		{ "fe80::a:b%15", "link-local" },
		{ "::ffff:10.1.2.3", "private" },
		{ "::ffff:127.0.0.1", "loopback" },
		{ "2603:10b6:a03:1::12", "microsoft" },
		{ "2a01:111:f402::1", "microsoft" },
		{ "2a01:112::1", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct geoip_place p;
		assert_int_equal(geoip_lookup(g, cases[i].ip, &p), 0);
		if (cases[i].label)
			assert_string_equal(p.label ? p.label : "(null)", cases[i].label);
		else
			assert_null(p.label);
		assert_string_equal(p.country, "");
		assert_int_equal(p.asn, 0);
	}
	struct geoip_place p;
	assert_int_equal(geoip_lookup(g, "not-an-ip", &p), -1);
	assert_int_equal(geoip_lookup(g, "", &p), -1);
	geoip_free(g);
	geoip_free(NULL);
}

static void test_asn_csv(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	/* unsorted on purpose; owners quoted with commas and doubled quotes */
	const char v4[] = "16909056,16909311,64500,\"Example, \"\"Net\"\" Ltd\"\n"
			  "3232235520,3232301055,64501,Private Owner\n"
			  "134744064,134744319,15169,Google LLC\n"
			  "bad,line\n"
			  "134743040,134744063,64502,Before Google\n"
			  "50331648,67108863,64503,Wide Net\n";
	const char v6[] = "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"
			  "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n";
	const char pkg[] = "{\n  \"name\": \"@ip-location-db/asn\",\n  \"version\": \"2.3.2026061719\"\n}\n";
	free(write_file(d, "asn-ipv4-num.csv", v4, sizeof v4 - 1));
	free(write_file(d, "asn-ipv6.csv", v6, sizeof v6 - 1));
	free(write_file(d, "asn.package.json", pkg, sizeof pkg - 1));
	const char *dirs[] = { "/nonexistent-geoip", d, NULL };
	struct geoip *g = geoip_open(dirs);
	assert_true(geoip_has_asn(g));
	assert_false(geoip_has_country(g));
	assert_string_equal(geoip_describe(g), "country: none; network: asn-ipv4-num.csv 2026-06-17");
	assert_non_null(strstr(geoip_warning(g), "countries are unknown"));
	struct geoip_place p;
	assert_int_equal(geoip_lookup(g, "8.8.8.8", &p), 0); /* 134744072 */
	assert_int_equal(p.asn, 15169);
	assert_string_equal(p.as_org, "Google LLC");
	assert_int_equal(geoip_lookup(g, "8.8.7.255", &p), 0); /* last of the range before */
	assert_int_equal(p.asn, 64502);
	assert_int_equal(geoip_lookup(g, "8.8.9.0", &p), 0); /* past every range: a gap */
	assert_int_equal(p.asn, 0);
	assert_null(p.as_org);
	/* a range over many /16s, found from a /16 it does not start in */
	assert_int_equal(geoip_lookup(g, "3.200.1.1", &p), 0);
	assert_int_equal(p.asn, 64503);
	assert_int_equal(geoip_lookup(g, "4.0.0.0", &p), 0);
	assert_int_equal(p.asn, 0);
	assert_int_equal(geoip_lookup(g, "1.2.3.4", &p), 0);
	assert_int_equal(p.asn, 64500);
	assert_string_equal(p.as_org, "Example, \"Net\" Ltd");
	assert_int_equal(geoip_lookup(g, "0.255.255.255", &p), 0); /* before the first range */
	assert_string_equal(p.label, "reserved");                  /* 0/8 */
	assert_int_equal(p.asn, 0);
	assert_int_equal(geoip_lookup(g, "1.2.2.255", &p), 0);
	assert_int_equal(p.asn, 0);
	assert_int_equal(geoip_lookup(g, "2001:4860:4860::8888", &p), 0);
	assert_int_equal(p.asn, 15169);
	assert_int_equal(geoip_lookup(g, "2a00:1451::1", &p), 0);
	assert_int_equal(p.asn, 0);
	/* private ranges are labelled before any table answers */
	assert_int_equal(geoip_lookup(g, "192.168.0.1", &p), 0);
	assert_string_equal(p.label, "private");
	assert_int_equal(p.asn, 0);
	geoip_free(g);
	tmpdir_remove(d);
	free(d);
}

/* A stop while the ASN table is read (a load's Ctrl-C): geoip_open_until
 * gives up between two lines and returns NULL. The table is a FIFO that a
 * thread feeds: 1,000 lines, the stop, then up to 2,000,000 more; the
 * reader stops within its buffers (64 KB of pipe, 4 KB of stdio: a few
 * thousand lines), closes, and the writer's next write fails. Before,
 * the whole table was read whatever the stop (seconds on a busy machine
 * between a load's Ctrl-C and its exit). */
struct feed {
	const char *path;
	volatile sig_atomic_t *stop;
	long written;
};

static void *feed_main(void *arg)
{
	struct feed *f = arg;
	int fd = open(f->path, O_WRONLY);
	if (fd < 0)
		return NULL;
	char line[64];
	for (long i = 0; i < 2001000; i++) {
		if (i == 1000)
			*f->stop = 1;
		int n = snprintf(line, sizeof line, "%ld,%ld,64500,Owner\n", 16777216 + 2 * i,
				 16777217 + 2 * i);
		if (write(fd, line, (size_t)n) != n)
			break;
		f->written++;
	}
	close(fd);
	return NULL;
}

static void test_open_until_stop(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *p = xasprintf("%s/asn-ipv4-num.csv", d);
	const char *dirs[] = { d, NULL };
	/* stopped before: nothing is read */
	volatile sig_atomic_t stop = 1;
	free(write_file(d, "asn-ipv4-num.csv", "1,2,64500,Owner\n", 16));
	assert_null(geoip_open_until(dirs, &stop));
	/* not stopped: the same as geoip_open */
	stop = 0;
	struct geoip *g = geoip_open_until(dirs, &stop);
	assert_non_null(g);
	assert_true(geoip_has_asn(g));
	geoip_free(g);
	/* stopped while the table is read */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	signal(SIGPIPE, SIG_IGN);
	struct feed f = { p, &stop, 0 };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, feed_main, &f), 0);
	assert_null(geoip_open_until(dirs, &stop));
	pthread_join(th, NULL);
	signal(SIGPIPE, SIG_DFL);
	assert_true(f.written >= 1000);
	assert_true(f.written < 100000);
	free(p);
	tmpdir_remove(d);
	free(d);
}

/* The IPv6 table's addresses in every form a line may hold: what the
 * reader's own parser accepts must be what inet_pton accepts, at the
 * same address (each line a one-address range with its own AS). */
static void test_asn_csv_v6_forms(void **state)
{
	(void)state;
	static const char *const forms[] = {
		"2a0b:1::1",
		"2A0B:0002:0000:0000:0000:0000:0000:0001",
		"2a0b:3::",
		"2a0b:4::1.2.3.4",
		"2a0b:5:0:0:0:0:0:1:2",
		"2a0b:6::1::2",
		"2a0b:7::1:",
		"2a0b:8::12345",
		"2a0b:9:a:b:c:d:e:f",
		"2a0b:a:b:c:d:e:f::",
		"2a0b:b:c:d::e:f:1:2",
		":2a0b::1",
		"2a0b:d::g",
		" 2a0b:e::1",
		"2a0b:f:0::",
		"2a0b:10:1:2:3:4:5:6:",
		"2a0b:11",
		"2a0b::12:0:0:0:0:1",
		"2a0b:0013::00ff",
	};
	size_t n = sizeof forms / sizeof *forms;
	char *text = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s,%s,%zu,AS %zu\n", text, forms[i], forms[i], 65000 + i, i);
		free(text);
		text = t;
	}
	const char v4[] = "16909056,16909311,64500,Some Net\n";
	char *d = tmpdir_new();
	free(write_file(d, "asn-ipv4-num.csv", v4, sizeof v4 - 1));
	free(write_file(d, "asn-ipv6.csv", text, strlen(text)));
	const char *dirs[] = { d, NULL };
	struct geoip *g = geoip_open(dirs);
	size_t valid = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char a[16];
		if (inet_pton(AF_INET6, forms[i], a) != 1)
			continue;
		valid++;
		char canon[INET6_ADDRSTRLEN];
		assert_non_null(inet_ntop(AF_INET6, a, canon, sizeof canon));
		struct geoip_place p;
		assert_int_equal(geoip_lookup(g, canon, &p), 0);
		if (p.asn != 65000 + i)
			fail_msg("%s (as %s): AS %u, want %zu", forms[i], canon, p.asn, 65000 + i);
		char want[32];
		snprintf(want, sizeof want, "AS %zu", i);
		assert_string_equal(p.as_org, want);
	}
	assert_true(valid >= 8 && valid < n); /* both kinds were tried */
	geoip_free(g);
	tmpdir_remove(d);
	free(d);
	free(text);
}

static void test_installed(void **state)
{
	(void)state;
	const char *d;
	NEED_INSTALLED(d);
	const char *dirs[] = { d, NULL };
	struct geoip *g = geoip_open(dirs);
	assert_true(geoip_has_country(g));
	assert_true(geoip_has_asn(g));
	assert_null(geoip_warning(g));
	struct geoip_place p;
	assert_int_equal(geoip_lookup(g, "8.8.8.8", &p), 0);
	assert_string_equal(p.country, "US");
	assert_int_equal(p.asn, 15169);
	assert_int_equal(geoip_lookup(g, "2001:4860:4860::8888", &p), 0);
	assert_int_equal(p.asn, 15169);
	assert_int_equal(geoip_lookup(g, "20.190.128.10", &p), 0); /* login.microsoftonline.com */
	assert_int_equal(p.asn, 8075);
	assert_string_equal(p.label, "microsoft");
	geoip_free(g);
}

/* Real sign-ins get a country and an AS number, stored once per address. */
static void test_realdata_signins(void **state)
{
	(void)state;
	const char *d;
	NEED_INSTALLED(d);
	char path[4096];
	REALDATA("entra-interactive-signins.csv", path);
	char *dir = tmpdir_new();
	char case_path[4200];
	snprintf(case_path, sizeof case_path, "%s/g.case", dir);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(case_path, STORE_CREATE, &st, &cause), 0);
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	assert_int_equal(ingest_paths(st, paths, 1, &o, &t, &cause), 0);
	const char *dirs[] = { d, NULL };
	struct geoip *g = geoip_open(dirs);
	struct ipgeo_stats s;
	assert_int_equal(ipgeo_enrich(st, g, &s, &cause), 0);
	assert_true(s.looked_up > 0);
	assert_int_equal(s.located, s.looked_up);
	assert_int_equal(s.networks, s.looked_up);
	/* every sign-in with an address has a place; again: nothing new */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(store_db(st),
					    "SELECT count(*), count(g.country), count(g.asn) FROM events e"
					    " LEFT JOIN ipgeo g ON g.val = e.ip WHERE e.ip IS NOT NULL",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_true(sqlite3_column_int64(q, 0) > 200);
	assert_int_equal(sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 0));
	assert_int_equal(sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 0));
	sqlite3_finalize(q);
	assert_int_equal(ipgeo_enrich(st, g, &s, &cause), 0);
	assert_int_equal(s.looked_up, 0);
	char *dbs = ipgeo_databases(st);
	assert_non_null(dbs);
	assert_string_equal(dbs, geoip_describe(g));
	free(dbs);
	/* other databases (none here): the places are redone, as unknown */
	const char *none[] = { "/nonexistent-geoip", NULL };
	struct geoip *g2 = geoip_open(none);
	assert_int_equal(ipgeo_enrich(st, g2, &s, &cause), 0);
	assert_true(s.looked_up > 0);
	assert_int_equal(s.located, 0);
	geoip_free(g2);
	geoip_free(g);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* The addresses to look up are the values of the IP posting lists
 * (pivots.h), not a pass over the events: 200,000 events over three
 * addresses read a few pages (at 10M events a pass over an index of the
 * addresses filled the whole page cache). An address whose every event
 * was replaced by a richer copy since is not looked up. */
static void test_enrich_seeks_addresses(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	char case_path[4200];
	snprintf(case_path, sizeof case_path, "%s/seek.case", dir);
	struct store *st;
	char *cause = NULL;
	assert_int_equal(store_open(case_path, STORE_CREATE, &st, &cause), 0);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "BEGIN;"
				      "INSERT INTO vals(id, v, h) VALUES (1, '8.8.8.8', 1), (2, '10.0.0.1', 2),"
				      " (3, '2001:db8::1', 3), (4, 'not an address', 4), (5, '192.0.2.9', 5);"
				      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000)"
				      " INSERT INTO events(id, ts, record_id, kind, ip, source, line)"
				      " SELECT i, i, 'r' || i, 0, CASE WHEN i % 4 = 0 THEN NULL ELSE i % 4 END, 1, i"
				      " FROM c;"
				      /* 192.0.2.9's only event, gone since */
				      "INSERT INTO events(id, ts, record_id, kind, ip, source, line)"
				      " VALUES (200001, 200001, 'r200001', 0, 5, 1, 200001);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	/* the lists of those events, as a load writes them */
	assert_int_equal(pivots_build(store_db(st), &cause), 0);
	assert_int_equal(sqlite3_exec(store_db(st),
				      "DELETE FROM events WHERE id = 200001;"
				      "INSERT INTO pivot_gone(col, val, n) VALUES (2, 5, 1);"
				      "COMMIT",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(st);
	assert_int_equal(store_open(case_path, 0, &st, &cause), 0);
	sqlite3 *db = store_db(st);
	int cur, hi;
	assert_int_equal(sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 1), SQLITE_OK);
	const char *none[] = { "/nonexistent-geoip", NULL };
	struct geoip *g = geoip_open(none);
	struct ipgeo_stats s;
	assert_int_equal(ipgeo_enrich(st, g, &s, &cause), 0);
	assert_int_equal(s.looked_up, 3);
	assert_int_equal(s.total, 3);
	assert_int_equal(sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 0), SQLITE_OK);
	assert_in_range(cur, 1, 40);
	/* and the events are that large: a pass would read far more */
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM dbstat WHERE name = 'events'", -1, &q,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_true(sqlite3_column_int(q, 0) > 400);
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM ipgeo WHERE val = 5", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 0);
	sqlite3_finalize(q);
	geoip_free(g);
	store_close(st);
	tmpdir_remove(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* The ASN tables' cache (core/geoip.c): used only while it matches the
 * tables it was built from, and whole. Whether an open used it is told
 * by the cache file itself: a miss writes a new one (rename: another
 * inode), a hit leaves it alone. */

static const char cache_v4[] = "16909056,16909311,64500,\"Example, \"\"Net\"\" Ltd\"\n"
			       "134744064,134744319,15169,Google LLC\n"
			       "134743040,134744063,64502,Before Google\n"
			       "50331648,67108863,64503,Wide Net\n";
static const char cache_v6[] = "2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n";

/* The tables' times must be older than the open's by more than a tick of
 * the file system's clock, or the cache is (rightly) not written. */
static void settle(void)
{
	usleep(150000);
}

static bool cache_ino(const char *path, ino_t *ino)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return false;
	*ino = sb.st_ino;
	return true;
}

/* The AS of ip in the tables of dir, opened afresh (0 when none). */
static uint32_t asn_in(const char *dir, const char *ip)
{
	const char *dirs[] = { dir, NULL };
	struct geoip *g = geoip_open(dirs);
	struct geoip_place p;
	assert_int_equal(geoip_lookup(g, ip, &p), 0);
	uint32_t asn = p.asn;
	geoip_free(g);
	return asn;
}

static void test_asn_cache(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *cache = xasprintf("%s/.asn-ranges.cache", d);
	free(write_file(d, "asn-ipv4-num.csv", cache_v4, sizeof cache_v4 - 1));
	free(write_file(d, "asn-ipv6.csv", cache_v6, sizeof cache_v6 - 1));
	settle();
	const char *dirs[] = { d, NULL };
	struct geoip *g = geoip_open(dirs);
	ino_t ino, ino2;
	assert_true(cache_ino(cache, &ino)); /* written (on a0e612f: no cache) */
	/* the same answers from the cache as from the tables */
	struct geoip *c = geoip_open(dirs);
	assert_true(cache_ino(cache, &ino2));
	assert_true(ino == ino2); /* used, not rewritten */
	assert_string_equal(geoip_describe(c), geoip_describe(g));
	assert_true(geoip_has_asn(c));
	static const char *const ips[] = { "8.8.8.8",      "8.8.7.255",   "8.8.9.0",   "3.200.1.1",
					   "4.0.0.0",      "1.2.3.4",     "1.2.2.255", "0.255.255.255",
					   "2001:4860::1", "2001:4861::", "10.1.1.1",  "255.255.255.255" };
	for (size_t i = 0; i < sizeof ips / sizeof *ips; i++) {
		struct geoip_place a, b;
		assert_int_equal(geoip_lookup(g, ips[i], &a), 0);
		assert_int_equal(geoip_lookup(c, ips[i], &b), 0);
		assert_int_equal(a.asn, b.asn);
		assert_string_equal(a.as_org ? a.as_org : "-", b.as_org ? b.as_org : "-");
		assert_string_equal(a.label ? a.label : "-", b.label ? b.label : "-");
	}
	struct geoip_place p;
	assert_int_equal(geoip_lookup(c, "1.2.3.4", &p), 0);
	assert_string_equal(p.as_org, "Example, \"Net\" Ltd");
	geoip_free(g);
	geoip_free(c);

	/* the table rewritten in place to the same size, its mtime put back:
	 * its change time still differs, and the new AS answers */
	struct stat sb;
	char *p4 = xasprintf("%s/asn-ipv4-num.csv", d);
	assert_int_equal(stat(p4, &sb), 0);
	char *v4 = xstrdup(cache_v4);
	memcpy(strstr(v4, "15169"), "15170", 5);
	free(write_file(d, "asn-ipv4-num.csv", v4, strlen(v4)));
	struct timespec times[2] = { sb.st_atim, sb.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, p4, times, 0), 0);
	settle();
	assert_int_equal(asn_in(d, "8.8.8.8"), 15170);
	assert_true(cache_ino(cache, &ino));
	assert_true(ino != ino2); /* rebuilt */
	assert_int_equal(asn_in(d, "8.8.8.8"), 15170);
	assert_true(cache_ino(cache, &ino2));
	assert_true(ino == ino2);

	/* the IPv6 table gone, then back: never its old ranges */
	char *p6 = xasprintf("%s/asn-ipv6.csv", d);
	assert_int_equal(unlink(p6), 0);
	assert_int_equal(asn_in(d, "2001:4860::1"), 0);
	free(write_file(d, "asn-ipv6.csv", cache_v6, sizeof cache_v6 - 1));
	settle();
	assert_int_equal(asn_in(d, "2001:4860::1"), 15169);

	/* the IPv4 table gone: no network database, whatever the cache */
	assert_int_equal(unlink(p4), 0);
	struct geoip *none = geoip_open(dirs);
	assert_false(geoip_has_asn(none));
	assert_string_equal(geoip_describe(none), "country: none; network: none");
	assert_int_equal(geoip_lookup(none, "8.8.8.8", &p), 0);
	assert_int_equal(p.asn, 0);
	geoip_free(none);

	/* a table written just now (within a tick of the clock) is read but
	 * not cached: a second write in that tick could keep its times */
	assert_int_equal(unlink(cache), 0);
	free(write_file(d, "asn-ipv4-num.csv", cache_v4, sizeof cache_v4 - 1));
	assert_int_equal(asn_in(d, "8.8.8.8"), 15169);
	assert_false(cache_ino(cache, &ino));
	free(v4);
	free(p4);
	free(p6);
	free(cache);
	tmpdir_remove(d);
	free(d);
}

/* Damage to the cache (a byte flipped, cut short, another layout, not a
 * file): ignored, the tables answer, and it is rewritten whole. */
static void test_asn_cache_corrupt(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *cache = xasprintf("%s/.asn-ranges.cache", d);
	free(write_file(d, "asn-ipv4-num.csv", cache_v4, sizeof cache_v4 - 1));
	free(write_file(d, "asn-ipv6.csv", cache_v6, sizeof cache_v6 - 1));
	settle();
	assert_int_equal(asn_in(d, "8.8.8.8"), 15169);
	struct stat sb;
	assert_int_equal(stat(cache, &sb), 0);
	size_t len = (size_t)sb.st_size;
	char *good = xmalloc(len);
	FILE *f = fopen(cache, "rb");
	assert_non_null(f);
	assert_int_equal(fread(good, 1, len, f), len);
	fclose(f);
	/* where 8.8.8.8's AS lies in it: 15169 as four bytes after the
	 * header, in the second range of the sorted table */
	uint32_t asn = 15169;
	char *at = NULL;
	for (size_t i = 0; i + 4 <= len && !at; i++)
		if (memcmp(good + i, &asn, 4) == 0)
			at = good + i;
	assert_non_null(at);
	for (int kind = 0; kind < 5; kind++) {
		char *bad = xmalloc(len);
		memcpy(bad, good, len);
		size_t blen = len;
		if (kind == 0) { /* the AS of the range: a wrong answer if used */
			uint32_t other = 64666;
			memcpy(bad + (at - good), &other, 4);
		} else if (kind == 1) { /* a byte of an owner's name */
			bad[len - 3] ^= 0x20;
		} else if (kind == 2) { /* cut short */
			blen = len / 2;
		} else if (kind == 3) { /* the header zeroed */
			memset(bad, 0, 64);
		}
		unlink(cache);
		if (kind == 4)
			assert_int_equal(mkdir(cache, 0700), 0);
		else
			free(write_file(d, ".asn-ranges.cache", bad, blen));
		ino_t ino, ino2;
		assert_true(cache_ino(cache, &ino));
		assert_int_equal(asn_in(d, "8.8.8.8"), 15169);
		assert_int_equal(asn_in(d, "1.2.3.4"), 64500);
		if (kind == 4) { /* not replaceable: left, and the tables read */
			assert_int_equal(rmdir(cache), 0);
		} else {
			assert_true(cache_ino(cache, &ino2));
			assert_true(ino != ino2); /* rewritten */
			f = fopen(cache, "rb");
			assert_non_null(f);
			memset(bad, 0, len);
			assert_int_equal(fread(bad, 1, len, f), len);
			fclose(f);
			assert_memory_equal(bad, good, len);
		}
		free(bad);
	}
	free(good);
	free(cache);
	tmpdir_remove(d);
	free(d);
}

/* Tables in a folder where the cache cannot be written: it goes to the
 * user's cache folder ($XDG_CACHE_HOME/auditscope) and is used from
 * there. (The folder is made unwritable by a directory in the cache's
 * place: root writes anywhere.) */
static void test_asn_cache_user_dir(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *home = tmpdir_new();
	char *had = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;
	setenv("XDG_CACHE_HOME", home, 1);
	char *blocker = xasprintf("%s/.asn-ranges.cache", d);
	assert_int_equal(mkdir(blocker, 0700), 0);
	free(write_file(d, "asn-ipv4-num.csv", cache_v4, sizeof cache_v4 - 1));
	settle();
	assert_int_equal(asn_in(d, "8.8.8.8"), 15169);
	char *cmd = xasprintf("ls %s/auditscope/asn-ranges.cache-*", home);
	FILE *ls = popen(cmd, "r");
	char path[4096] = "";
	assert_non_null(ls);
	assert_non_null(fgets(path, sizeof path, ls));
	pclose(ls);
	path[strcspn(path, "\n")] = '\0';
	ino_t ino, ino2;
	assert_true(cache_ino(path, &ino));
	assert_int_equal(asn_in(d, "8.8.8.8"), 15169);
	assert_true(cache_ino(path, &ino2));
	assert_true(ino == ino2); /* used */
	/* and no leftover temporary file beside the tables */
	char *left = xasprintf("ls -A %s | grep -c XXX; ls -A %s | wc -l", d, d);
	ls = popen(left, "r");
	char out[64] = "";
	assert_non_null(ls);
	assert_non_null(fgets(out, sizeof out, ls)); /* grep's count */
	assert_non_null(fgets(out, sizeof out, ls));
	pclose(ls);
	assert_int_equal(atoi(out), 2); /* the table and the blocker */
	if (had)
		setenv("XDG_CACHE_HOME", had, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(had);
	free(left);
	free(cmd);
	free(blocker);
	tmpdir_remove(d);
	tmpdir_remove(home);
	free(d);
	free(home);
}

static uint64_t cache_rng = 0x2545f4914f6cdd1dULL;
static uint64_t cache_next(void)
{
	cache_rng ^= cache_rng << 13;
	cache_rng ^= cache_rng >> 7;
	cache_rng ^= cache_rng << 17;
	return cache_rng;
}

/* The installed tables read from their CSV and from the cache answer
 * alike for 300,000 random addresses (the tables linked into a folder
 * of the test's, where the cache is written). */
static void test_installed_cache_same(void **state)
{
	(void)state;
	const char *inst;
	NEED_INSTALLED(inst);
	char real[4096];
	assert_non_null(realpath(inst, real));
	char *d = tmpdir_new();
	static const char *const files[] = { "asn-ipv4-num.csv", "asn-ipv6.csv", "asn.package.json",
					     "geo-whois-asn-country.mmdb" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char *from = xasprintf("%s/%s", real, files[i]), *to = xasprintf("%s/%s", d, files[i]);
		assert_int_equal(symlink(from, to), 0);
		free(from);
		free(to);
	}
	char *cache = xasprintf("%s/.asn-ranges.cache", d);
	const char *dirs[] = { d, NULL };
	struct geoip *g = geoip_open(dirs); /* the tables (and a cache written) */
	ino_t ino, ino2;
	assert_true(cache_ino(cache, &ino));
	struct geoip *c = geoip_open(dirs);
	assert_true(cache_ino(cache, &ino2));
	assert_true(ino == ino2);
	assert_string_equal(geoip_describe(c), geoip_describe(g));
	size_t networks = 0;
	for (int i = 0; i < 300000; i++) {
		unsigned char a[16] = { 0 };
		uint64_t r = cache_next(), s = cache_next();
		if (i % 3) {
			a[10] = a[11] = 0xff;
			memcpy(a + 12, &r, 4);
		} else {
			memcpy(a, &r, 8);
			memcpy(a + 8, &s, 8);
			a[0] = (unsigned char)(0x20 | (a[0] & 0x0f)); /* 2000::/4 */
		}
		struct geoip_place x, y;
		geoip_lookup_bin(g, a, &x);
		geoip_lookup_bin(c, a, &y);
		assert_int_equal(x.asn, y.asn);
		assert_string_equal(x.country, y.country);
		assert_string_equal(x.as_org ? x.as_org : "-", y.as_org ? y.as_org : "-");
		assert_string_equal(x.label ? x.label : "-", y.label ? y.label : "-");
		networks += x.asn != 0;
	}
	assert_true(networks > 100000);
	geoip_free(g);
	geoip_free(c);
	free(cache);
	tmpdir_remove(d);
	free(d);
}

/* The countries' places (core/geoplaces.c) from their cache: the same
 * distances as from world-countries.json, and a changed or damaged file
 * is seen. */
static const char countries_json[] = "[{\"cca2\":\"fr\",\"latlng\":[46,2],\"area\":551695},"
				     "{\"cca2\":\"DE\",\"latlng\":[51,9],\"area\":357114},"
				     "{\"cca2\":\"NZ\",\"latlng\":[-41,174],\"area\":270467},"
				     "{\"cca2\":\"XX\",\"latlng\":[1]}]";

static void test_places_cache(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	if (!d) { /* (said so for gcc -O1's format check) */
		fail_msg("no temporary folder");
		return;
	}
	char *cache = xasprintf("%s/.world-countries.cache", d);
	const char pkg[] = "{\"name\":\"world-countries\",\"version\":\"5.1.0\"}";
	free(write_file(d, "world-countries.json", countries_json, sizeof countries_json - 1));
	free(write_file(d, "world-countries.package.json", pkg, sizeof pkg - 1));
	settle();
	const char *dirs[] = { d, NULL };
	struct geoplaces *a = geoplaces_open(dirs);
	assert_non_null(a);
	ino_t ino, ino2;
	assert_true(cache_ino(cache, &ino)); /* written (on a0e612f: no cache) */
	struct geoplaces *b = geoplaces_open(dirs);
	assert_non_null(b);
	assert_true(cache_ino(cache, &ino2));
	assert_true(ino == ino2); /* used */
	assert_string_equal(geoplaces_describe(a), "world-countries.json 5.1.0");
	assert_string_equal(geoplaces_describe(b), geoplaces_describe(a));
	static const char *const cc[] = { "FR", "de", "NZ", "XX", "US" };
	for (size_t i = 0; i < 5; i++)
		for (size_t k = 0; k < 5; k++)
			assert_true(geoplaces_min_km(a, cc[i], cc[k]) == geoplaces_min_km(b, cc[i], cc[k]));
	assert_true(geoplaces_min_km(b, "FR", "NZ") > 15000);
	assert_true(geoplaces_min_km(b, "FR", "XX") < 0);
	double fr_de = geoplaces_min_km(a, "FR", "DE");
	geoplaces_free(a);
	geoplaces_free(b);
	/* New Zealand moved beside France, same size, mtime put back */
	char *p = xasprintf("%s/world-countries.json", d);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	char *moved = xstrdup(countries_json);
	memcpy(strstr(moved, "-41,174"), "46,3.00", 7);
	free(write_file(d, "world-countries.json", moved, strlen(moved)));
	struct timespec times[2] = { sb.st_atim, sb.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
	settle();
	a = geoplaces_open(dirs);
	assert_true(geoplaces_min_km(a, "FR", "NZ") < 1000);
	geoplaces_free(a);
	/* the cache damaged: a byte of France's place */
	assert_int_equal(stat(cache, &sb), 0);
	FILE *f = fopen(cache, "r+b");
	assert_non_null(f);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof buf, f);
	assert_true(n > 200 && n < sizeof buf);
	double lat = 46;
	char *at = NULL;
	for (size_t i = 0; i + 8 <= n && !at; i++)
		if (memcmp(buf + i, &lat, 8) == 0)
			at = buf + i;
	assert_non_null(at);
	double far = -46;
	memcpy(at, &far, 8);
	rewind(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
	a = geoplaces_open(dirs);
	assert_true(geoplaces_min_km(a, "FR", "DE") == fr_de);
	assert_true(geoplaces_min_km(a, "FR", "NZ") < 1000);
	geoplaces_free(a);
	/* the countries gone: none, whatever the cache */
	assert_int_equal(unlink(p), 0);
	assert_null(geoplaces_open(dirs));
	free(moved);
	free(p);
	free(cache);
	tmpdir_remove(d);
	free(d);
}

/* The installed world-countries.json and its cache give the same
 * distance for every pair of its 250 countries. */
static void test_installed_places_cache_same(void **state)
{
	(void)state;
	const char *inst;
	NEED_INSTALLED(inst);
	char real[4096];
	assert_non_null(realpath(inst, real));
	char *d = tmpdir_new();
	static const char *const files[] = { "world-countries.json", "world-countries.package.json" };
	for (size_t i = 0; i < 2; i++) {
		char *from = xasprintf("%s/%s", real, files[i]), *to = xasprintf("%s/%s", d, files[i]);
		assert_int_equal(symlink(from, to), 0);
		free(from);
		free(to);
	}
	const char *dirs[] = { d, NULL };
	struct geoplaces *a = geoplaces_open(dirs), *b = geoplaces_open(dirs);
	assert_non_null(a);
	assert_non_null(b);
	char *cache = xasprintf("%s/.world-countries.cache", d);
	ino_t ino;
	assert_true(cache_ino(cache, &ino));
	assert_string_equal(geoplaces_describe(a), geoplaces_describe(b));
	size_t known = 0;
	char x[3] = "AA", y[3] = "AA";
	for (int i = 0; i < 26 * 26; i++) {
		x[0] = (char)('A' + i / 26);
		x[1] = (char)('A' + i % 26);
		for (int k = 0; k < 26 * 26; k += 7) {
			y[0] = (char)('A' + k / 26);
			y[1] = (char)('A' + k % 26);
			double u = geoplaces_min_km(a, x, y), v = geoplaces_min_km(b, x, y);
			assert_true(memcmp(&u, &v, sizeof u) == 0);
			known += u >= 0;
		}
	}
	assert_true(known > 5000);
	geoplaces_free(a);
	geoplaces_free(b);
	free(cache);
	tmpdir_remove(d);
	free(d);
}

static void test_text(void **state)
{
	(void)state;
	char *t = ipgeo_text("DE", 3320, "Deutsche Telekom AG", NULL);
	assert_string_equal(t, "DE AS3320 Deutsche Telekom AG");
	free(t);
	t = ipgeo_text(NULL, 0, NULL, "private");
	assert_string_equal(t, "private");
	free(t);
	t = ipgeo_text("IE", 8075, "Microsoft Corporation", "microsoft");
	assert_string_equal(t, "microsoft IE AS8075 Microsoft Corporation");
	free(t);
	t = ipgeo_text(NULL, 0, NULL, NULL);
	assert_string_equal(t, "unknown");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_without_databases),
		cmocka_unit_test(test_asn_csv),
		cmocka_unit_test(test_asn_csv_v6_forms),
		cmocka_unit_test(test_open_until_stop),
		cmocka_unit_test(test_installed),
		cmocka_unit_test(test_realdata_signins),
		cmocka_unit_test(test_enrich_seeks_addresses),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_asn_cache),
		cmocka_unit_test(test_asn_cache_corrupt),
		cmocka_unit_test(test_asn_cache_user_dir),
		cmocka_unit_test(test_installed_cache_same),
		cmocka_unit_test(test_places_cache),
		cmocka_unit_test(test_installed_places_cache_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
