/*
 * test_tui_big.c: screens over values of any size. A record whose
 * ClientInfoString is 3 MB (past what the detail view lays out of one
 * value, and past the raw record it pretty-prints with jansson) and a
 * 1.1 MB record nested 200 deep: the detail view lays out a bounded number of
 * lines, each cut value ends in the mark that says how many bytes more
 * and that v shows them; v pages through the whole value (its last line
 * is the value's end), and through the whole raw record; the fact cells
 * of the timeline say the record is too big to read for them. Laid out
 * whole, a 50 MB field took the detail view 15.6 s and ~700 MB.
 */
#include "testutil.h"
#include "tui_util.h"

#include <locale.h>

#include "app.h"
#include "draw.h"
#include "ingest.h"
#include "keys.h"
#include "store.h"
#include "xalloc.h"

#define ROWS 24
#define COLS 120
#define BIG ((size_t)3 << 20)
#define DEEP_STR ((size_t)1100 << 10)

struct fx {
	char *dir, *case_path;
	struct store *st;
	struct app *a;
	SCREEN *scr;
	FILE *out, *in;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	/* the big value: a head, BIG bytes, the end's mark */
	size_t cap = BIG + 4096;
	char *json = xmalloc(cap);
	int k = snprintf(json, cap,
			 "{\"CreationTime\":\"2023-06-18T10:00:00\",\"Id\":\"big-1\",\"Operation\":\"Set-Mailbox\","
			 "\"RecordType\":1,\"Workload\":\"Exchange\",\"UserId\":\"big@contoso.com\","
			 "\"ClientInfoString\":\"HEAD-");
	size_t n = (size_t)k;
	for (size_t i = 0; i < BIG; i++)
		json[n++] = (char)('a' + i % 26);
	n += (size_t)snprintf(json + n, cap - n, "-THE-END\"}\n");
	/* a record nested 200 deep (the reader takes 256), a 1.1 MB string
	 * inside */
	n += (size_t)
		snprintf(json + n, cap - n,
			 "{\"CreationTime\":\"2023-06-18T11:00:00\",\"Id\":\"deep-1\",\"Operation\":\"Set-Mailbox\","
			 "\"RecordType\":1,\"Workload\":\"Exchange\",\"UserId\":\"deep@contoso.com\",\"Parameters\":");
	json = xrealloc(json, n + DEEP_STR + 1000);
	for (int i = 0; i < 200; i++)
		json[n++] = '[';
	json[n++] = '"';
	memset(json + n, 'z', DEEP_STR);
	n += DEEP_STR;
	json[n++] = '"';
	for (int i = 0; i < 200; i++)
		json[n++] = ']';
	memcpy(json + n, "}\n", 2);
	n += 2;
	char *path = write_file(f->dir, "big.jsonl", json, n);
	free(json);
	f->case_path = xasprintf("%s/t.case", f->dir);
	char *cause = NULL;
	struct store *st = NULL;
	const char *paths[] = { path };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	int rc = -1;
	if (store_open(f->case_path, STORE_CREATE, &st, &cause) == 0 &&
	    ingest_paths(st, paths, 1, &o, &t, &cause) == 0 && store_ensure_indexes(st, &cause) == 0)
		rc = t.events == 2 ? 0 : -1;
	if (cause)
		fprintf(stderr, "%s\n", cause);
	store_close(st);
	free(path);
	*state = f;
	return rc;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->case_path);
	free(f);
	return 0;
}

static int open_app(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	if (store_open(f->case_path, 0, &f->st, &cause) < 0)
		return -1;
	setenv("LINES", "24", 1);
	setenv("COLUMNS", "120", 1);
	f->out = fopen("/dev/null", "w");
	f->in = fopen("/dev/null", "r");
	f->scr = newterm("xterm-256color", f->out, f->in);
	f->a = app_new(f->st);
	if (app_start(f->a, &cause) < 0)
		return -1;
	app_draw(f->a);
	return 0;
}

static int close_app(void **state)
{
	struct fx *f = *state;
	app_free(f->a);
	endwin();
	delscreen(f->scr);
	fclose(f->out);
	fclose(f->in);
	store_close(f->st);
	return 0;
}

/* The status line's text (the screen's line before the last). */
static char *status_line(void)
{
	char *text = tui_screen();
	char *end = text + strlen(text);
	if (end > text && end[-1] == '\n')
		*--end = '\0';
	char *last = strrchr(text, '\n');
	if (last)
		*last = '\0';
	char *st = strrchr(text, '\n');
	char *copy = xstrdup(st ? st + 1 : text);
	free(text);
	return copy;
}

static bool on_screen(const char *s)
{
	char *text = tui_screen();
	bool yes = strstr(text, s) != NULL;
	free(text);
	return yes;
}

/* "... of N ..." in the status line */
static size_t of_count(const char *status)
{
	const char *p = strstr(status, " of ");
	return p ? (size_t)strtoull(p + 4, NULL, 10) : 0;
}

static void test_detail_big(void **state)
{
	struct fx *f = *state;
	/* the timeline's fact cells do not read a 3 MB record */
	assert_true(on_screen("(a record of 3,"));
	tui_keys(f->a, "\r");
	char *st = status_line();
	size_t lines = of_count(st);
	/* the field cut at 64 KB (~550 rows), the raw record's line too:
	 * laid out whole, each took ~26,000 rows */
	assert_true(lines > 100);
	assert_true(lines < 2000);
	free(st);
	assert_true(on_screen("HEAD-abcdefghij"));
	assert_true(on_screen("more bytes: v shows all)"));
	assert_false(on_screen("THE-END"));

	/* v: the client info whole, paged; G reaches its end */
	tui_keys(f->a, "v");
	st = status_line();
	char want[64];
	snprintf(want, sizeof want, "%zu bytes, lines 1-19 of 20+ (G: the end)", BIG + 13);
	assert_non_null(strstr(st, want));
	free(st);
	assert_true(on_screen("client info"));
	tui_keys(f->a, "G");
	st = status_line();
	assert_null(strstr(st, "+"));
	/* 3 MB + the marks in lines of at most 118 columns */
	assert_true(of_count(st) >= (BIG + 13) / 118);
	free(st);
	assert_true(on_screen("-THE-END"));
	tui_keys(f->a, "q");

	/* at the end of the detail: v shows the raw record whole */
	tui_keys(f->a, "Gv");
	st = status_line();
	/* the record's bytes, more than the value's */
	assert_non_null(strstr(st, " bytes, lines 1-19 of 20+"));
	assert_true(strtoull(strstr(st, "value") + 5, NULL, 10) > BIG + 13);
	free(st);
	assert_true(on_screen("raw record big-1"));
	tui_keys(f->a, "G");
	assert_true(on_screen("-THE-END\"}"));
	tui_keys(f->a, "qq");
}

static void test_detail_deep(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "j\r");
	char *st = status_line();
	assert_non_null(strstr(st, "record deep-1"));
	free(st);
	/* pretty-printed from its text: 200 levels, each a line opening and
	 * one closing it, the string cut to 64 KB */
	size_t lines = of_count(st = status_line());
	free(st);
	assert_true(lines > 400);
	assert_true(lines < 1500);
	assert_true(on_screen("\"Parameters\": ["));
	tui_keys(f->a, "/v shows all\r");
	assert_true(on_screen("zzzzzzzzzz"));
	assert_true(on_screen("more bytes: v shows all)"));
	tui_keys(f->a, "G");
	char *text = tui_screen();
	char *end = strstr(text, "\n  }\n");
	assert_non_null(end);
	free(text);
	tui_keys(f->a, "q");
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detail_big, open_app, close_app),
		cmocka_unit_test_setup_teardown(test_detail_deep, open_app, close_app),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
