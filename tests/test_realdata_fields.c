/*
 * test_realdata_fields.c: the readers give the same events and rejects
 * as when tests/golden/realdata_fields.txt was written, for every real
 * export in ../shared/realdata and every file of the fuzz corpora that
 * reach the readers (ingest, logs, normalize, json_scan). An input's
 * whole output (fields_dump.h: each event's fields, time, flags, counts,
 * messages and raw record, each reject's line, reason and bytes, the
 * stats) is reduced to a digest; a change shows as the inputs whose
 * digest moved, and their dumps are written to $TMPDIR (or /tmp) for a
 * diff against the same dump from the commit before. UPDATE=1 rewrites
 * the golden file. This is the guard of the scanner's and normalizer's
 * fast paths: they must not change a single field of a real record.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdarg.h>

#include "fields_dump.h"

#define GOLDEN "tests/golden/realdata_fields.txt"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *b = malloc(cap);
	assert_non_null(b);
	size_t k;
	while ((k = fread(b + len, 1, cap - len, f)) > 0) {
		len += k;
		if (len == cap) {
			cap *= 2;
			b = realloc(b, cap);
			assert_non_null(b);
		}
	}
	fclose(f);
	*n = len;
	return b;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The golden file's lines ("name digest events rejects"), read once. */
static char *golden;

static const char *golden_line(const char *name)
{
	size_t n = strlen(name);
	for (const char *p = golden; p && *p;) {
		const char *e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		if ((size_t)(e - p) > n && memcmp(p, name, n) == 0 && p[n] == ' ')
			return p;
		p = *e ? e + 1 : e;
	}
	return NULL;
}

struct run {
	FILE *update; /* UPDATE=1: the golden file being written */
	int checked, failed;
};

/* One input: its dump's digest against the golden line of its name. */
static void one(struct run *r, const char *label, const char *path)
{
	size_t n = 0;
	char *in = slurp(path, &n);
	if (!in)
		fail_msg("cannot read %s", path);
	const char *p = in;
	/* a UTF-8 BOM is the input layer's to drop, before the readers */
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		n -= 3;
	}
	struct fields_dump d = { 0 };
	fields_dump_input(&d, p, n);
	char line[1024];
	snprintf(line, sizeof line, "%s %016llx %llu %llu", label,
		 (unsigned long long)fields_dump_fnv(d.p, d.n), (unsigned long long)d.events,
		 (unsigned long long)d.rejects);
	r->checked++;
	if (r->update) {
		fprintf(r->update, "%s\n", line);
	} else {
		const char *g = golden_line(label);
		size_t ln = strlen(line);
		if (!g || strncmp(g, line, ln) != 0 || (g[ln] != '\n' && g[ln] != '\0')) {
			const char *tmp = getenv("TMPDIR");
			char out[4096], flat[512];
			snprintf(flat, sizeof flat, "%s", label);
			for (char *c = flat; *c; c++)
				if (*c == '/')
					*c = '_';
			snprintf(out, sizeof out, "%s/realdata_fields-%s.txt", tmp ? tmp : "/tmp", flat);
			FILE *f = fopen(out, "wb");
			if (f) {
				fwrite(d.p, 1, d.n, f);
				fclose(f);
			}
			print_message("changed: %s (now %s; golden %.*s); dump in %s\n", label, line,
				      g ? (int)strcspn(g, "\n") : 1, g ? g : "-", out);
			r->failed++;
		}
	}
	free(d.p);
	free(in);
}

/* Every regular file of dir, in name order, labelled prefix/name. */
static void each_file(struct run *r, const char *dir, const char *prefix)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	char *names[512];
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL && nn < 512) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README.md") == 0)
			continue;
		names[nn] = strdup(de->d_name);
		assert_non_null(names[nn]);
		nn++;
	}
	closedir(dp);
	qsort(names, nn, sizeof names[0], cmp_names);
	for (size_t i = 0; i < nn; i++) {
		char path[4096], label[512];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		snprintf(label, sizeof label, "%s/%s", prefix, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			one(r, label, path);
		free(names[i]);
	}
}

static void test_fields_unchanged(void **state)
{
	(void)state;
	struct run r = { 0 };
	const char *up = getenv("UPDATE");
	size_t gn = 0;
	if (up && *up && strcmp(up, "0") != 0) {
		if (!realdata_dir())
			fail_msg("UPDATE=1 needs ../shared/realdata (the golden file lists it)");
		r.update = fopen(GOLDEN, "wb");
		assert_non_null(r.update);
	} else {
		golden = slurp(GOLDEN, &gn);
		if (!golden)
			fail_msg("%s is missing: run with UPDATE=1 to create it", GOLDEN);
		golden = realloc(golden, gn + 1);
		assert_non_null(golden);
		golden[gn] = '\0';
	}
	static const char *const corpora[] = { "ingest", "logs", "normalize", "json_scan" };
	for (size_t i = 0; i < sizeof corpora / sizeof corpora[0]; i++) {
		char dir[256], prefix[256];
		snprintf(dir, sizeof dir, "tests/fuzz-corpus/%s", corpora[i]);
		snprintf(prefix, sizeof prefix, "fuzz-%s", corpora[i]);
		each_file(&r, dir, prefix);
	}
	if (realdata_dir())
		each_file(&r, realdata_dir(), "realdata");
	else
		print_message("realdata absent: only the fuzz corpora checked\n");
	if (r.update)
		fclose(r.update);
	free(golden);
	golden = NULL;
	assert_true(r.checked >= 20);
	if (r.failed)
		fail_msg("%d of %d inputs read differently", r.failed, r.checked);
}

/* The dump itself tells a field's change apart, so that a digest that
 * stays put means the fields stayed put. */
static void test_dump_sees_changes(void **state)
{
	(void)state;
	const char *a = "{\"CreationTime\":\"2023-06-01T00:00:00\",\"Id\":\"x1\",\"Operation\":\"Send\","
			"\"UserId\":\"A@B.com\",\"ClientIP\":\"1.2.3.4:5\"}\n";
	const char *b = "{\"CreationTime\":\"2023-06-01T00:00:00\",\"Id\":\"x1\",\"Operation\":\"Send\","
			"\"UserId\":\"A@B.con\",\"ClientIP\":\"1.2.3.4:5\"}\n";
	struct fields_dump da = { 0 }, db = { 0 };
	fields_dump_input(&da, a, strlen(a));
	fields_dump_input(&db, b, strlen(b));
	assert_int_equal(da.events, 1);
	assert_non_null(strstr(da.p, "user=\"a@b.com\""));
	assert_non_null(strstr(da.p, "ip=\"1.2.3.4\""));
	assert_true(fields_dump_fnv(da.p, da.n) != fields_dump_fnv(db.p, db.n));
	free(da.p);
	free(db.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_sees_changes),
		cmocka_unit_test(test_fields_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
