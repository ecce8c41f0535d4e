/*
 * test_tui_views.c: screen tests. The interface runs in-process on a
 * curses screen whose output goes to /dev/null; after each key the test
 * reads the screen back (curscr) and compares it with a golden text file
 * under tests/golden/ (UPDATE=1 rewrites them), and checks what a person
 * would: a pivot narrows the rows to the value, the stack lists the rare
 * app first, a bookmark reaches the case file at once, an escape sequence
 * in a record is shown as text, a resize redraws, a small terminal says
 * so, a filter error keeps the prompt open at its column.
 *
 * The case is built from a small JSON Lines fixture written here, so the
 * golden screens change only when the interface does.
 */
#include "testutil.h"
#include "tui_util.h"

#include <locale.h>

#include "annot.h"
#include "app.h"
#include "draw.h"
#include "ingest.h"
#include "keys.h"
#include "query.h"
#include "store.h"
#include "view_timeline.h"
#include "xalloc.h"
#include "sqlite/sqlite_store.h"

#define ROWS 24
#define COLS 150

/* A MailItemsAccessed by an unknown app (the rare one), ordinary mail
 * reads, a sign-in, an inbox rule whose user field holds an escape
 * sequence and a bidi override, and a user name in CJK. */
static const char fixture[] =
	"{\"CreationTime\":\"2023-06-18T02:00:00\",\"Id\":\"10000000-0000-0000-0000-000000000001\",\"Operation\":\"UserLoggedIn\","
	"\"RecordType\":15,\"Workload\":\"AzureActiveDirectory\",\"UserId\":\"alice@contoso.com\",\"ClientIP\":\"198.51.100.7\","
	"\"ResultStatus\":\"Success\",\"ApplicationId\":\"00000002-0000-0ff1-ce00-000000000000\"}\n"
	"{\"CreationTime\":\"2023-06-18T02:33:46\",\"Id\":\"10000000-0000-0000-0000-000000000002\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"AppId\":\"666e1623-aa17-4008-a809-89807f229bdb\","
	"\"ClientAppId\":\"9823956a-6ca7-4347-9c24-458b1eab907b\",\"ClientIPAddress\":\"203.0.113.61\",\"ResultStatus\":\"Succeeded\","
	"\"MailboxOwnerUPN\":\"alice@contoso.com\",\"OperationCount\":1,\"ClientInfoString\":\"Client=REST\","
	"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Inbox\",\"FolderItems\":[{\"InternetMessageId\":\"<m1@mail.example>\",\"SizeInBytes\":1200}]}]}\n"
	"{\"CreationTime\":\"2023-06-18T02:35:00\",\"Id\":\"10000000-0000-0000-0000-000000000003\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"bob@contoso.com\",\"AppId\":\"9199bf20-a13f-4107-85dc-02114787ef48\","
	"\"ClientIPAddress\":\"192.0.2.10\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"bob@contoso.com\","
	"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Sync\"}],\"Folders\":[{\"Path\":\"\\\\Inbox\"}]}\n"
	"{\"CreationTime\":\"2023-06-18T03:00:00\",\"Id\":\"10000000-0000-0000-0000-000000000004\",\"Operation\":\"New-InboxRule\","
	"\"RecordType\":1,\"Workload\":\"Exchange\",\"UserId\":\"mallory\\u001b[31m@evil\\u001b[0m\\u202e\",\"ClientIP\":\"203.0.113.61\","
	"\"ResultStatus\":\"True\",\"Parameters\":[{\"Name\":\"Name\",\"Value\":\".\"}]}\n"
	"{\"CreationTime\":\"2023-06-18T04:00:00\",\"Id\":\"10000000-0000-0000-0000-000000000005\",\"Operation\":\"FileAccessed\","
	"\"RecordType\":6,\"Workload\":\"SharePoint\",\"UserId\":\"用户@contoso.com\",\"ClientIP\":\"192.0.2.10\"}\n"
	"{\"CreationTime\":\"2023-06-19T05:00:00\",\"Id\":\"10000000-0000-0000-0000-000000000006\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"AppId\":\"9199bf20-a13f-4107-85dc-02114787ef48\","
	"\"ClientIPAddress\":\"198.51.100.83\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"alice@contoso.com\","
	"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}]}\n"
	"{\"CreationTime\":\"2023-06-19T06:00:00\",\"Id\":\"10000000-0000-0000-0000-000000000007\",\"Operation\":\"Send\","
	"\"RecordType\":2,\"Workload\":\"Exchange\",\"UserId\":\"carol@contoso.com\",\"ClientIP\":\"192.0.2.10\","
	"\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"carol@contoso.com\"}\n"
	"{\"CreationTime\":\"2023-06-19T07:00:00\",\"Id\":\"10000000-0000-0000-0000-000000000008\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"carol@contoso.com\",\"AppId\":\"5d661950-3475-41cd-a2c3-d671a3162bc1\","
	"\"ClientIPAddress\":\"192.0.2.10\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"carol@contoso.com\","
	"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}]}\n"
	"{\"CreationTime\":\"2023-06-19T08:00:00\",\"Id\":\"10000000-0000-0000-0000-000000000009\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"bob@contoso.com\",\"AppId\":\"5d661950-3475-41cd-a2c3-d671a3162bc1\","
	"\"ClientIPAddress\":\"192.0.2.10\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"bob@contoso.com\","
	"\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}]}\n";

struct fx {
	char *dir;
	char *case_path;
	struct store *st;
	struct app *a;
	SCREEN *scr;
	FILE *out, *in;
};

static void screen_new(struct fx *f, int rows, int cols)
{
	char r[16], c[16];
	snprintf(r, sizeof r, "%d", rows);
	snprintf(c, sizeof c, "%d", cols);
	setenv("LINES", r, 1);
	setenv("COLUMNS", c, 1);
	f->out = fopen("/dev/null", "w");
	f->in = fopen("/dev/null", "r");
	f->scr = newterm("xterm-256color", f->out, f->in);
	assert_non_null(f->scr);
}

static void screen_free(struct fx *f)
{
	endwin();
	delscreen(f->scr);
	fclose(f->out);
	fclose(f->in);
	f->scr = NULL;
}

static void open_app(struct fx *f)
{
	char *cause = NULL;
	if (store_open(f->case_path, 0, &f->st, &cause) < 0)
		fail_msg("%s", cause);
	screen_new(f, ROWS, COLS);
	f->a = app_new(f->st);
	if (app_start(f->a, &cause) < 0)
		fail_msg("%s", cause);
	app_draw(f->a);
}

static void close_app(struct fx *f)
{
	app_save_state(f->a);
	app_free(f->a);
	f->a = NULL;
	screen_free(f);
	store_close(f->st);
	f->st = NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	char *json = write_file(f->dir, "fixture.jsonl", fixture, sizeof fixture - 1);
	f->case_path = xasprintf("%s/t.case", f->dir);
	char *cause = NULL;
	struct store *st = NULL;
	if (store_open(f->case_path, STORE_CREATE, &st, &cause) < 0)
		goto fail;
	/* loaded by a relative name, so that the source path the detail
	 * view shows is the same in every run */
	const char *paths[] = { "fixture.jsonl" };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd) || chdir(f->dir) < 0)
		goto fail;
	int rc = ingest_paths(st, paths, 1, &o, &t, &cause);
	if (chdir(cwd) < 0)
		goto fail;
	if (rc < 0 || store_ensure_indexes(st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto fail;
	}
	if (t.events != 9) {
		fprintf(stderr, "fixture: %llu events, expected 9\n", (unsigned long long)t.events);
		goto fail;
	}
	store_close(st);
	free(json);
	*state = f;
	return 0;
fail:
	/* teardown does not run after a failed setup */
	store_close(st);
	free(json);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->case_path);
	free(f);
	return -1;
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

/* Each test starts from the same case: no annotations, no saved state. */
static int fresh(void **state)
{
	struct fx *f = *state;
	struct store *st;
	char *cause = NULL;
	if (store_open(f->case_path, 0, &st, &cause) < 0)
		return -1;
	sqlite3_exec(store_db(st), "DELETE FROM state; DELETE FROM marks; DELETE FROM tags; DELETE FROM notes;",
		     NULL, NULL, NULL);
	store_close(st);
	open_app(f);
	return 0;
}

static int done(void **state)
{
	close_app(*state);
	return 0;
}

/* Compare the screen with tests/golden/tui_NAME.txt (UPDATE=1: write it);
 * the hunts' elapsed seconds are masked. */
static void golden(const char *name)
{
	tui_golden("tui_", name, true);
}

/* Lines 2.. of the screen (the table rows) that contain s. */
static int rows_with(const char *s)
{
	char *text = tui_screen();
	int n = 0, line = 0;
	for (char *p = text; *p; line++) {
		char *eol = strchr(p, '\n');
		*eol = '\0';
		if (line >= 2 && line < ROWS - 2 && strstr(p, s))
			n++;
		p = eol + 1;
	}
	free(text);
	return n;
}

static int table_rows(void)
{
	return rows_with("2023-");
}

static void test_first_screen(void **state)
{
	struct fx *f = *state;
	golden("timeline");
	assert_int_equal(table_rows(), 9);
	/* the hostile user name is on screen as text, not as an escape */
	char *text = tui_screen();
	assert_non_null(strstr(text, "mallory\\e[31m@evil\\e[0m"));
	assert_null(strchr(text, 0x1b));
	free(text);
	assert_int_equal(app_count(f->a).n, 9);
}

static void test_pivot(void **state)
{
	struct fx *f = *state;
	/* the third row, the user column: bob */
	tui_keys(f->a, "jjl");
	const struct query_row *r = view_timeline_current(app_timeline(f->a));
	assert_string_equal(r->user, "bob@contoso.com");
	tui_keys(f->a, "=");
	golden("pivot");
	assert_string_equal(app_filter(f->a), "user=bob@contoso.com");
	assert_int_equal(table_rows(), 2);
	assert_int_equal(rows_with("bob@contoso.com"), 2);
	/* exclude the access type of the row under the cursor (Sync), then
	 * undo both */
	tui_keys(f->a, "lllll-"); /* op app client_app ip access */
	assert_int_equal(table_rows(), 1);
	tui_key(f->a, KEYS_F(KEY_BACKSPACE));
	assert_int_equal(table_rows(), 2);
	tui_key(f->a, 127);
	assert_int_equal(table_rows(), 9);
	assert_string_equal(app_filter(f->a), "");
}

static void test_stack_rare_first(void **state)
{
	struct fx *f = *state;
	/* op=MailItemsAccessed, then stack the app column */
	tui_keys(f->a, "j");
	tui_keys(f->a, "fop=MailItemsAccessed\r");
	assert_int_equal(table_rows(), 5);
	tui_keys(f->a, "lllF");
	golden("stack");
	char *text = tui_screen();
	/* the first value row is the app that read mail once */
	char *first = strstr(text, "\n  ");
	first = strchr(first + 1, '\n') + 1;
	assert_true(strncmp(first, "  666e1623-aa17-4008-a809-89807f229bdb", 38) == 0);
	free(text);
	/* Enter drills in: back on the timeline with the app's events */
	tui_keys(f->a, "\r");
	assert_int_equal(table_rows(), 1);
	assert_string_equal(app_filter(f->a), "op=MailItemsAccessed app=666e1623-aa17-4008-a809-89807f229bdb");
}

static void test_detail_hostile(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "jjj");
	const struct query_row *r = view_timeline_current(app_timeline(f->a));
	assert_string_equal(r->op, "New-InboxRule");
	tui_keys(f->a, "\r");
	golden("detail_hostile");
	char *text = tui_screen();
	assert_null(strchr(text, 0x1b));
	assert_non_null(strstr(text, "mallory\\e[31m@evil\\e[0m\\u202e"));
	free(text);
	tui_keys(f->a, "q");
	assert_int_equal(table_rows(), 9);
}

static void test_detail_messages(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "j\r");
	golden("detail_mail");
	assert_int_equal(rows_with("<m1@mail.example>"), 1);
	/* ] follows the timeline to the next event */
	tui_keys(f->a, "]");
	char *text = tui_screen();
	assert_non_null(strstr(text, "bob@contoso.com"));
	assert_non_null(strstr(text, "whole folder synchronised"));
	free(text);
}

static void test_bookmark(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "jm");
	const struct query_row *r = view_timeline_current(app_timeline(f->a));
	int64_t id = r->id;
	/* on disk at once, through another connection */
	struct store *other;
	char *cause = NULL;
	assert_int_equal(store_open(f->case_path, 0, &other, &cause), 0);
	assert_int_equal(annot_is_marked(other, id, NULL), 1);
	store_close(other);
	assert_int_equal(rows_with("* 2023-06-18 02:33:46"), 1);
	/* u / U walk the bookmarks */
	tui_keys(f->a, "jjjjjm");
	tui_keys(f->a, "g");
	tui_keys(f->a, "u");
	assert_int_equal(view_timeline_current(app_timeline(f->a))->id, id);
	tui_keys(f->a, "u");
	assert_string_equal(view_timeline_current(app_timeline(f->a))->op, "Send");
	tui_keys(f->a, "U");
	assert_int_equal(view_timeline_current(app_timeline(f->a))->id, id);
	/* a tag and a note, shown in the detail */
	tui_keys(f->a, "texfil\r");
	tui_keys(f->a, "cread the CEO's mail\r");
	tui_keys(f->a, "\r");
	golden("detail_annotated");
	tui_keys(f->a, "q");
	/* M asks first, then bookmarks the filter's events */
	tui_keys(f->a, "M");
	assert_non_null(strstr(app_message_text(f->a), ""));
	tui_keys(f->a, "y");
	assert_non_null(strstr(app_message_text(f->a), "bookmarked 9 events (7 new)"));
}

/* Issue 10, finding 16: with two interfaces open, m acts on what this
 * analyst sees. Another analyst bookmarks the row after this screen drew
 * it unmarked: m here bookmarks it (it stays bookmarked), it does not
 * toggle the other analyst's bookmark off. And the other way round. */
static void test_bookmark_two_analysts(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "j");
	int64_t id = view_timeline_current(app_timeline(f->a))->id;
	struct store *other;
	char *cause = NULL;
	assert_int_equal(store_open(f->case_path, 0, &other, &cause), 0);
	assert_int_equal(annot_mark(other, id, true, &cause), 1);
	tui_keys(f->a, "m"); /* seen unmarked: bookmark */
	assert_int_equal(annot_is_marked(other, id, NULL), 1);
	assert_non_null(strstr(app_message_text(f->a), "bookmarked"));
	/* now shown bookmarked; the other analyst removes it meanwhile */
	assert_int_equal(annot_mark(other, id, false, &cause), 1);
	tui_keys(f->a, "m"); /* seen marked: remove, which it already is */
	assert_int_equal(annot_is_marked(other, id, NULL), 0);
	assert_non_null(strstr(app_message_text(f->a), "bookmark removed"));
	store_close(other);
}

static void test_filter_error(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "fuser=");
	tui_keys(f->a, "\r");
	/* the prompt stays open and the error names the column */
	golden("filter_error");
	assert_non_null(strstr(app_message_text(f->a), "column"));
	tui_keys(f->a, "bob@contoso.com\r");
	assert_int_equal(table_rows(), 2);
}

static void test_search(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "/198.51.100\r");
	assert_string_equal(view_timeline_current(app_timeline(f->a))->ip, "198.51.100.83");
	tui_keys(f->a, "n");
	/* wrapped to the first match */
	assert_string_equal(view_timeline_current(app_timeline(f->a))->ip, "198.51.100.7");
	assert_non_null(strstr(app_message_text(f->a), "continued from the start"));
	tui_keys(f->a, "N");
	assert_string_equal(view_timeline_current(app_timeline(f->a))->ip, "198.51.100.83");
	/* /regex/ over the raw record: only one record says Client=REST */
	tui_keys(f->a, "g//Client=RE[S]T/\r");
	assert_string_equal(view_timeline_current(app_timeline(f->a))->ip, "203.0.113.61");
	assert_string_equal(view_timeline_current(app_timeline(f->a))->op, "MailItemsAccessed");
	tui_keys(f->a, "n");
	assert_non_null(strstr(app_message_text(f->a), "only match"));
}

static void test_resize(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "jjjj");
	resizeterm(10, 60);
	tui_key(f->a, KEYS_F(KEY_RESIZE));
	golden("resized");
	/* the cursor's event is still the one under the cursor */
	assert_string_equal(view_timeline_current(app_timeline(f->a))->op, "FileAccessed");
	resizeterm(5, 30);
	tui_key(f->a, KEYS_F(KEY_RESIZE));
	char *text = tui_screen();
	assert_non_null(strstr(text, "Terminal too small: 30x5"));
	free(text);
	resizeterm(ROWS, COLS);
	tui_key(f->a, KEYS_F(KEY_RESIZE));
	assert_int_equal(table_rows(), 9);
}

static void test_help(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "?");
	golden("help");
	/* at its end, how each hunt decides, from the hunts' own descriptions */
	tui_keys(f->a, "G");
	char *text = tui_screen();
	assert_non_null(strstr(text, "anti-forensics"));
	assert_non_null(strstr(text, "reason; context rows 0."));
	free(text);
	tui_keys(f->a, "q");
	assert_int_equal(table_rows(), 9);
}

static void test_histogram(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "i");
	golden("histogram");
	/* narrow to the second day's bucket: Enter on it */
	tui_keys(f->a, "G\r");
	int n = table_rows();
	assert_true(n > 0 && n < 9);
	assert_int_equal(rows_with("2023-06-19"), n);
}

/* Reopening restores the filter, the position and the column. */
static void test_state_restored(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "fworkload=Exchange\r");
	tui_keys(f->a, "jjlll");
	int64_t id = view_timeline_current(app_timeline(f->a))->id;
	close_app(f);
	open_app(f);
	assert_string_equal(app_filter(f->a), "workload=Exchange");
	assert_int_equal(view_timeline_current(app_timeline(f->a))->id, id);
	assert_string_equal(view_timeline_column(app_timeline(f->a)), "app");
}

static void test_commands(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, ":goto 2023-06-19\r");
	assert_string_equal(view_timeline_current(app_timeline(f->a))->op, "MailItemsAccessed");
	assert_int_equal(view_timeline_current(app_timeline(f->a))->ts, 1687150800000);
	tui_keys(f->a, ":theme\r");
	assert_non_null(strstr(app_message_text(f->a), "high-contrast"));
	/* NO_COLOR is set: the theme loads, colours stay off */
	tui_keys(f->a, ":theme light\r");
	assert_non_null(strstr(app_message_text(f->a), "colours are off"));
	tui_keys(f->a, ":theme nosuch\r");
	assert_non_null(strstr(app_message_text(f->a), "no theme named 'nosuch'"));
	tui_key(f->a, KEYS_ESC);
	tui_keys(f->a, ":nonsense\r");
	assert_non_null(strstr(app_message_text(f->a), "unknown command 'nonsense'"));
	/* the others are named from the table */
	assert_non_null(strstr(app_message_text(f->a),
			       "(goto, filter, export, theme, view, stack, hunt, sigma, coverage, quit)"));
	tui_key(f->a, KEYS_ESC);
	/* a short form from the table: :g is :goto */
	tui_keys(f->a, ":g 2023-06-19\r");
	assert_int_equal(view_timeline_current(app_timeline(f->a))->ts, 1687150800000);
	/* the help screen lists every command of the table */
	size_t nc;
	char **cl = app_command_help_lines(&nc);
	assert_int_equal(nc, 11);
	assert_non_null(strstr(cl[0], ":goto TIME"));
	assert_non_null(strstr(cl[10], ":quit"));
	assert_non_null(strstr(cl[10], "(also :q wq x)"));
	for (size_t i = 0; i < nc; i++)
		free(cl[i]);
	free(cl);
	char *out = xasprintf("%s/x.jsonl", f->dir);
	char *cmd = xasprintf(":export jsonl %s\r", out);
	tui_keys(f->a, "fuser=alice@contoso.com\r");
	tui_keys(f->a, cmd);
	assert_non_null(strstr(app_message_text(f->a), "exported 3 events"));
	FILE *g = fopen(out, "r");
	assert_non_null(g);
	int lines = 0, c;
	while ((c = fgetc(g)) != EOF)
		lines += c == '\n';
	fclose(g);
	assert_int_equal(lines, 3);
	free(cmd);
	free(out);
}

static void test_hunts(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "H");
	golden("hunts");
	/* rare-apps is first, with the unknown app as its hit */
	assert_int_equal(rows_with("rare-apps"), 1);
	tui_keys(f->a, "\r");
	golden("hunt_rare_apps");
	char *text = tui_screen();
	char *row = strstr(text, "\n! ");
	assert_non_null(row);
	assert_non_null(strstr(row, "666e1623-aa17-4008-a809-89807f229bdb"));
	free(text);
	/* m bookmarks the hit's events, tagged with the hunt's name */
	tui_keys(f->a, "m");
	assert_non_null(strstr(app_message_text(f->a), "bookmarked and tagged rare-apps: 1 events"));
	/* Enter: the timeline, narrowed to the hit's events */
	tui_keys(f->a, "\r");
	assert_int_equal(table_rows(), 1);
	assert_non_null(strstr(app_filter(f->a), "666e1623-aa17-4008-a809-89807f229bdb"));
	/* bookmarked (*), tagged, and noted (+) with the hunt's reason */
	assert_int_equal(rows_with("*+2023-06-18 02:33:46"), 1);
	text = tui_screen();
	assert_non_null(strstr(text, "> hunt rare-apps"));
	free(text);
	/* :hunt NAME opens one hunt; an unknown name is an error */
	tui_keys(f->a, ":hunt token-replay\r");
	text = tui_screen();
	assert_non_null(strstr(text, "token-replay: "));
	free(text);
	tui_keys(f->a, "q:hunt nosuch\r");
	assert_non_null(strstr(app_message_text(f->a), "no hunt named 'nosuch'"));
	tui_key(f->a, KEYS_ESC);
}

/* A hunt's cells keep what follows a \u0000 (issue 10): an inbox rule
 * named "fwd\u0000hidden part" by "ad\u0000min@contoso.com" showed as
 * rule "fwd" ("name of 3 characters") by user "ad". Its own case. */
static const char nul_fixture[] =
	"{\"CreationTime\":\"2023-06-16T10:00:00\",\"Id\":\"n1\",\"Operation\":\"New-InboxRule\","
	"\"UserId\":\"ad\\u0000min@contoso.com\",\"ClientIP\":\"198.51.100.9\",\"Parameters\":["
	"{\"Name\":\"Name\",\"Value\":\"fwd\\u0000hidden part\"},"
	"{\"Name\":\"ForwardTo\",\"Value\":\"evil@example.com\"}]}\n";

static void test_hunt_nul(void **state)
{
	struct fx *f = *state;
	char *json = write_file(f->dir, "nul.jsonl", nul_fixture, sizeof nul_fixture - 1);
	char *path = xasprintf("%s/nul.case", f->dir), *cause = NULL;
	struct store *st = NULL;
	const char *paths[] = { json };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (store_open(path, STORE_CREATE, &st, &cause) < 0 ||
	    ingest_paths(st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(st, &cause) < 0)
		fail_msg("%s", cause);
	store_close(st);
	char *fixture_case = f->case_path;
	f->case_path = path;
	open_app(f);
	tui_keys(f->a, ":hunt inbox-rules\r");
	char *text = tui_screen();
	assert_non_null(strstr(text, "fwd\\x00hidden part"));
	assert_non_null(strstr(text, "ad\\x00min@contoso.com"));
	assert_null(strstr(text, "name of 3 characters"));
	free(text);
	close_app(f);
	f->case_path = fixture_case;
	free(path);
	free(json);
}

/* A value shown with \x00 for its NUL byte is clicked through to the
 * events that hold it: '=' on a user or an app cell, and Enter on a
 * stack's row, make a filter of the value as shown, which must find the
 * stored value, NUL included (it found nothing: the filter looked for
 * the text "\x00"). Its own case: the NUL user and app, and a user and
 * an app that differ from them only by the NUL. */
static const char nul_pivot_fixture[] =
	"{\"CreationTime\":\"2023-06-16T10:00:00\",\"Id\":\"p1\",\"Operation\":\"New-InboxRule\","
	"\"UserId\":\"ad\\u0000min@contoso.com\",\"ClientIP\":\"198.51.100.9\",\"AppId\":\"app\\u0000x\"}\n"
	"{\"CreationTime\":\"2023-06-16T11:00:00\",\"Id\":\"p2\",\"Operation\":\"New-InboxRule\","
	"\"UserId\":\"admin@contoso.com\",\"ClientIP\":\"198.51.100.9\",\"AppId\":\"appx\"}\n";

static void test_pivot_nul(void **state)
{
	struct fx *f = *state;
	char *json = write_file(f->dir, "nulpivot.jsonl", nul_pivot_fixture, sizeof nul_pivot_fixture - 1);
	char *path = xasprintf("%s/nulpivot.case", f->dir), *cause = NULL;
	struct store *st = NULL;
	const char *paths[] = { json };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (store_open(path, STORE_CREATE, &st, &cause) < 0 ||
	    ingest_paths(st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(st, &cause) < 0)
		fail_msg("%s", cause);
	store_close(st);
	char *fixture_case = f->case_path;
	f->case_path = path;
	open_app(f);
	assert_int_equal(app_count(f->a).n, 2);
	/* the first row (p1), the user column */
	tui_keys(f->a, "l");
	const struct query_row *r = view_timeline_current(app_timeline(f->a));
	assert_string_equal(r->user, "ad\\x00min@contoso.com");
	tui_keys(f->a, "=");
	assert_string_equal(app_filter(f->a), "user=ad\\x00min@contoso.com");
	assert_int_equal(table_rows(), 1);
	assert_int_equal(rows_with("ad\\x00min@contoso.com"), 1);
	/* and its app, two columns on */
	tui_keys(f->a, "ll=");
	assert_string_equal(app_filter(f->a), "user=ad\\x00min@contoso.com app=app\\x00x");
	assert_int_equal(table_rows(), 1);
	tui_key(f->a, 127);
	tui_key(f->a, 127);
	assert_string_equal(app_filter(f->a), "");
	assert_int_equal(table_rows(), 2);
	/* the stack of users: Enter on the NUL user's row */
	tui_keys(f->a, "hhF");
	char *text = tui_screen();
	char *nul = strstr(text, "ad\\x00min"), *plain = strstr(text, "admin@");
	assert_non_null(nul);
	assert_non_null(plain);
	bool second = strlen(nul) < strlen(plain); /* further down */
	free(text);
	tui_keys(f->a, second ? "j\r" : "\r");
	assert_string_equal(app_filter(f->a), "user=ad\\x00min@contoso.com");
	assert_int_equal(table_rows(), 1);
	assert_int_equal(rows_with("ad\\x00min@contoso.com"), 1);
	close_app(f);
	f->case_path = fixture_case;
	free(path);
	free(json);
}

/* The Sigma rules view moves like every list view (list.h, its own key
 * map): half pages, first and last, and Enter opens the rule under the
 * cursor. */
static void test_sigma_moves(void **state)
{
	struct fx *f = *state;
	char *rules = xasprintf("%s/rules", f->dir);
	mkdir(rules, 0700);
	for (int i = 0; i < 30; i++) {
		char name[32], body[512];
		snprintf(name, sizeof name, "r%02d.yml", i);
		snprintf(body, sizeof body,
			 "title: rule %02d\nid: 11111111-2222-3333-4444-5555555555%02d\nlevel: low\nlogsource:\n"
			 "  product: m365\n  service: audit\ndetection:\n  sel:\n    Operation: %s\n"
			 "  condition: sel\n",
			 i, i, i == 0 ? "Send" : "NoSuchOperation");
		free(write_file(rules, name, body, strlen(body)));
	}
	char *cmd = xasprintf(":sigma %s\r", rules);
	tui_keys(f->a, cmd);
	free(cmd);
	char *text = tui_screen();
	assert_non_null(strstr(text, "rule 1 of 30:"));
	free(text);
	tui_key(f->a, 'D' & 0x1f); /* ^D: half a page down */
	text = tui_screen();
	/* 19 rows on screen: the cursor goes down 9 */
	assert_non_null(strstr(text, "rule 10 of 30:"));
	free(text);
	tui_key(f->a, KEYS_F(KEY_END));
	text = tui_screen();
	assert_non_null(strstr(text, "rule 30 of 30:"));
	free(text);
	tui_key(f->a, 'U' & 0x1f); /* ^U: half a page up */
	text = tui_screen();
	assert_non_null(strstr(text, "rule 21 of 30:"));
	free(text);
	tui_key(f->a, KEYS_F(KEY_HOME));
	text = tui_screen();
	assert_non_null(strstr(text, "rule 1 of 30:"));
	free(text);
	/* the first row is the rule with a hit: Enter shows its event */
	tui_keys(f->a, "\r");
	assert_int_equal(table_rows(), 1);
	assert_non_null(strstr(app_filter(f->a), "sigma"));
	free(rules);
}

/* v in the Sigma view: the rule's whole title, which the table cuts, in
 * the value view (y copies it there); q comes back to the rules. */
static void test_sigma_value(void **state)
{
	struct fx *f = *state;
	char *rules = xasprintf("%s/longrules", f->dir);
	mkdir(rules, 0700);
	char body[1024], title[400];
	snprintf(title, sizeof title, "%s", "A rule whose title is far longer than the table has room for");
	for (int i = 0; i < 4; i++)
		strcat(title, ", and longer still");
	strcat(title, " END-OF-TITLE");
	snprintf(body, sizeof body,
		 "title: %s\nid: 11111111-2222-3333-4444-555555555599\nlevel: informational\nlogsource:\n"
		 "  product: m365\n  service: audit\ndetection:\n  sel:\n    Operation: Send\n  condition: sel\n",
		 title);
	free(write_file(rules, "long.yml", body, strlen(body)));
	char *cmd = xasprintf(":sigma %s\r", rules);
	tui_keys(f->a, cmd);
	free(cmd);
	char *text = tui_screen();
	assert_non_null(strstr(text, "A rule whose title"));
	assert_null(strstr(text, "END-OF-TITLE"));
	free(text);
	tui_keys(f->a, "v");
	text = tui_screen();
	assert_non_null(strstr(text, "END-OF-TITLE"));
	assert_non_null(strstr(text, "rule 1: informational, ran, "));
	free(text);
	tui_keys(f->a, "q");
	text = tui_screen();
	assert_non_null(strstr(text, "rule 1 of 1:"));
	free(text);
	free(rules);
}

/* While idle, the hunts run and their hits are flagged in the timeline. */
static void test_flags(void **state)
{
	struct fx *f = *state;
	assert_int_equal(rows_with(" !2023"), 0);
	assert_true(app_idle(f->a));
	app_draw(f->a);
	assert_int_equal(rows_with(" !2023-06-18 02:33:46"), 1);
	tui_keys(f->a, "j\r");
	char *text = tui_screen();
	assert_non_null(strstr(text, "flagged by    rare-apps"));
	free(text);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	setenv("AUDITSCOPE_THEMES", "themes", 1);
	setenv("AUDITSCOPE_AUTHOR", "tester", 1);
	setenv("AUDITSCOPE_NOW", "2024-01-02T03:04:05Z", 1);
	setenv("NO_COLOR", "1", 1);
	unsetenv("AUDITSCOPE_THEME");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_screen, fresh, done),
		cmocka_unit_test_setup_teardown(test_pivot, fresh, done),
		cmocka_unit_test_setup_teardown(test_stack_rare_first, fresh, done),
		cmocka_unit_test_setup_teardown(test_detail_hostile, fresh, done),
		cmocka_unit_test_setup_teardown(test_detail_messages, fresh, done),
		cmocka_unit_test_setup_teardown(test_bookmark, fresh, done),
		cmocka_unit_test_setup_teardown(test_bookmark_two_analysts, fresh, done),
		cmocka_unit_test_setup_teardown(test_filter_error, fresh, done),
		cmocka_unit_test_setup_teardown(test_search, fresh, done),
		cmocka_unit_test_setup_teardown(test_resize, fresh, done),
		cmocka_unit_test_setup_teardown(test_help, fresh, done),
		cmocka_unit_test_setup_teardown(test_histogram, fresh, done),
		cmocka_unit_test_setup_teardown(test_state_restored, fresh, done),
		cmocka_unit_test_setup_teardown(test_commands, fresh, done),
		cmocka_unit_test_setup_teardown(test_hunts, fresh, done),
		cmocka_unit_test_setup_teardown(test_sigma_moves, fresh, done),
		cmocka_unit_test_setup_teardown(test_sigma_value, fresh, done),
		cmocka_unit_test_setup_teardown(test_flags, fresh, done),
		cmocka_unit_test(test_hunt_nul),
		cmocka_unit_test(test_pivot_nul),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
