/*
 * test_tui_host.c: host names on screen (issue 12). The event table
 * shows a host column last in the set (golden screen
 * tests/golden/tui_host_timeline.txt; UPDATE=1 rewrites it), a host
 * name's row leaves the IP column empty, the detail view has a host line,
 * and F on the host column stacks the host names.
 */
#include "testutil.h"
#include "tui_util.h"

#include <locale.h>

#include "app.h"
#include "draw.h"
#include "ingest.h"
#include "keys.h"
#include "store.h"
#include "view_timeline.h"
#include "xalloc.h"

static const char ual[] =
	"{\"CreationTime\":\"2023-06-18T02:00:00\",\"Id\":\"h-1\",\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,"
	"\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"ClientIP\":\"cool.client.local:12345\","
	"\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"alice@contoso.com\"}\n"
	"{\"CreationTime\":\"2023-06-18T02:01:00\",\"Id\":\"h-2\",\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,"
	"\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"ClientIP\":\"203.0.113.81:443\","
	"\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"alice@contoso.com\"}\n"
	"{\"CreationTime\":\"2023-06-18T02:02:00\",\"Id\":\"h-3\",\"Operation\":\"Send\",\"RecordType\":2,"
	"\"Workload\":\"Exchange\",\"UserId\":\"bob@contoso.com\",\"ClientIP\":\"localhost:12345\","
	"\"ResultStatus\":\"Succeeded\"}\n"
	"{\"CreationTime\":\"2023-06-18T02:03:00\",\"Id\":\"h-4\",\"Operation\":\"Send\",\"RecordType\":2,"
	"\"Workload\":\"Exchange\",\"UserId\":\"bob@contoso.com\",\"ClientIP\":\"COOL.client.local\","
	"\"ResultStatus\":\"Succeeded\"}\n";

struct fx {
	char *dir, *case_path;
	struct store *st;
	struct app *a;
	SCREEN *scr;
	FILE *out, *in;
};

static int setup(void **state)
{
	setlocale(LC_ALL, "C.UTF-8");
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	char *src = write_file(f->dir, "ual.jsonl", ual, strlen(ual));
	f->case_path = xasprintf("%s/t.case", f->dir);
	char *cause = NULL;
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	const char *paths[] = { src };
	if (store_open(f->case_path, STORE_CREATE, &f->st, &cause) < 0 ||
	    ingest_paths(f->st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(f->st, &cause) < 0 ||
	    t.events != 4) {
		fprintf(stderr, "fixture: %s\n", cause ? cause : "events missing");
		free(src);
		return -1;
	}
	free(src);
	setenv("LINES", "24", 1);
	setenv("COLUMNS", "200", 1);
	f->out = fopen("/dev/null", "w");
	f->in = fopen("/dev/null", "r");
	f->scr = newterm("xterm-256color", f->out, f->in);
	if (!f->scr)
		return -1;
	f->a = app_new(f->st);
	if (app_start(f->a, &cause) < 0) {
		fprintf(stderr, "app: %s\n", cause);
		return -1;
	}
	app_draw(f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	app_free(f->a);
	endwin();
	delscreen(f->scr);
	fclose(f->out);
	fclose(f->in);
	store_close(f->st);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->case_path);
	free(f);
	return 0;
}

static void golden(const char *name)
{
	tui_golden("tui_host_", name, false);
}

/* The screen line holding text (caller frees), or NULL. */
static char *line_with(const char *text)
{
	char *s = tui_screen();
	char *p = strstr(s, text);
	char *line = NULL;
	if (p) {
		char *b = p;
		while (b > s && b[-1] != '\n')
			b--;
		size_t n = strcspn(b, "\n");
		line = xstrndup(b, n);
	}
	free(s);
	return line;
}

/* The column (in characters) where the heading's word starts, or -1. */
static int heading_at(const char *word)
{
	char *head = line_with("time (UTC)");
	assert_non_null(head);
	char *p = strstr(head, word);
	int at = p ? (int)(p - head) : -1;
	free(head);
	return at;
}

static void test_timeline_column(void **state)
{
	struct fx *f = *state;
	golden("timeline");
	int ip = heading_at(" ip "), host = heading_at(" host");
	assert_true(ip > 0);
	assert_true(host > ip); /* last: host names are rare, the first screen keeps result */
	/* a host name's row: the name under host, nothing under ip */
	char *row = line_with("02:00:00");
	assert_non_null(row);
	assert_non_null(strstr(row, "cool.client.local"));
	assert_int_equal((int)(strstr(row, "cool.client.local") - row), host + 1);
	assert_true(row[ip + 1] == ' ');
	free(row);
	row = line_with("02:01:00");
	assert_non_null(row);
	assert_int_equal((int)(strstr(row, "203.0.113.81") - row), ip + 1);
	free(row);
	row = line_with("02:02:00");
	assert_non_null(strstr(row, "localhost"));
	free(row);
	(void)f;
}

static void test_detail_line(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "\r");
	char *line = line_with("  host ");
	assert_non_null(line);
	assert_non_null(strstr(line, "cool.client.local"));
	free(line);
	/* the raw record below it keeps the port */
	line = line_with("cool.client.local:12345");
	assert_non_null(line);
	free(line);
	assert_null(line_with("  ip    "));
	tui_keys(f->a, "q");
}

static void test_stack_host(void **state)
{
	struct fx *f = *state;
	/* to the host column: time user op app client_app ip access mailbox
	 * result detail host */
	tui_keys(f->a, "llllllllll");
	tui_keys(f->a, "F");
	char *line = line_with("cool.client.local");
	assert_non_null(line);
	/* two events, one of them read as COOL.client.local */
	assert_non_null(strstr(line, " 2 "));
	free(line);
	line = line_with("localhost");
	assert_non_null(line);
	assert_non_null(strstr(line, " 1 "));
	free(line);
	/* Enter drills in: the timeline filtered on that host */
	tui_keys(f->a, "q");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline_column),
		cmocka_unit_test(test_detail_line),
		cmocka_unit_test(test_stack_host),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
