/*
 * test_tui_nav.c: the interface's navigation and the views of issue 14
 * that [tui-nav] built, driven in-process as test_tui_views.c does (keys
 * in, the screen read back from curscr): q and Esc go back one view and
 * a drill-in's q returns to the view it came from; the breadcrumb's
 * steps read as whole filters; the gutter legend; the exact position
 * after a jump; the messages view; stacks of two fields and of a
 * json.PATH, sorted by any column; the histogram's buckets and zoom;
 * saved views; :export's words and its question before replacing a
 * file. Golden screens for the new views are under tests/golden/
 * (tui_nav_*.txt; UPDATE=1 rewrites them).
 */
#include "testutil.h"
#include "tui_util.h"

#include <locale.h>
#include <sys/stat.h>

#include "annot.h"
#include "app.h"
#include "draw.h"
#include "histogram.h"
#include "ingest.h"
#include "keys.h"
#include "query.h"
#include "stack.h"
#include "store.h"
#include "view_messages.h"
#include "view_timeline.h"
#include "xalloc.h"

#define ROWS 24
#define COLS 140

/* Mail read by three apps (one rare), a Sync, a sign-in, an inbox rule;
 * two days, so that the histogram has hours to zoom into. */
static const char fixture[] =
	"{\"CreationTime\":\"2023-06-18T02:00:00\",\"Id\":\"20000000-0000-0000-0000-000000000001\",\"Operation\":\"UserLoggedIn\","
	"\"RecordType\":15,\"Workload\":\"AzureActiveDirectory\",\"UserId\":\"alice@contoso.com\",\"ClientIP\":\"198.51.100.7\","
	"\"ResultStatus\":\"Success\",\"ApplicationId\":\"00000002-0000-0ff1-ce00-000000000000\"}\n"
	"{\"CreationTime\":\"2023-06-18T02:33:46\",\"Id\":\"20000000-0000-0000-0000-000000000002\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"AppId\":\"666e1623-aa17-4008-a809-89807f229bdb\","
	"\"ClientIPAddress\":\"203.0.113.61\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"alice@contoso.com\","
	"\"ClientInfoString\":\"Client=REST\",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Inbox\",\"FolderItems\":[{\"InternetMessageId\":\"<m1@mail.example>\",\"SizeInBytes\":1200},"
	"{\"InternetMessageId\":\"<m2@mail.example>\",\"SizeInBytes\":800}]}]}\n"
	"{\"CreationTime\":\"2023-06-18T02:35:00\",\"Id\":\"20000000-0000-0000-0000-000000000003\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"bob@contoso.com\",\"AppId\":\"9199bf20-a13f-4107-85dc-02114787ef48\","
	"\"ClientIPAddress\":\"192.0.2.10\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"bob@contoso.com\","
	"\"ClientInfoString\":\"Client=OWA\",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Sync\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Inbox\"}]}\n"
	"{\"CreationTime\":\"2023-06-18T03:00:00\",\"Id\":\"20000000-0000-0000-0000-000000000004\",\"Operation\":\"New-InboxRule\","
	"\"RecordType\":1,\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"ClientIP\":\"203.0.113.61\","
	"\"ResultStatus\":\"True\",\"Parameters\":[{\"Name\":\"Name\",\"Value\":\".\"}]}\n"
	"{\"CreationTime\":\"2023-06-19T05:00:00\",\"Id\":\"20000000-0000-0000-0000-000000000005\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"AppId\":\"9199bf20-a13f-4107-85dc-02114787ef48\","
	"\"ClientIPAddress\":\"198.51.100.83\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"alice@contoso.com\","
	"\"ClientInfoString\":\"Client=OWA\",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Sent Items\",\"FolderItems\":[{\"InternetMessageId\":\"<m3@mail.example>\"}]}]}\n"
	"{\"CreationTime\":\"2023-06-19T07:00:00\",\"Id\":\"20000000-0000-0000-0000-000000000006\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"carol@contoso.com\",\"AppId\":\"5d661950-3475-41cd-a2c3-d671a3162bc1\","
	"\"ClientIPAddress\":\"192.0.2.10\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"carol@contoso.com\","
	"\"ClientInfoString\":\"Client=MSExchangeRPC\",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Inbox\",\"FolderItems\":[{\"InternetMessageId\":\"<m4@mail.example>\"}]}]}\n"
	"{\"CreationTime\":\"2023-06-19T08:00:00\",\"Id\":\"20000000-0000-0000-0000-000000000007\",\"Operation\":\"MailItemsAccessed\","
	"\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"bob@contoso.com\",\"AppId\":\"5d661950-3475-41cd-a2c3-d671a3162bc1\","
	"\"ClientIPAddress\":\"192.0.2.10\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"bob@contoso.com\","
	"\"ClientInfoString\":\"Client=MSExchangeRPC\",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}],"
	"\"Folders\":[{\"Path\":\"\\\\Inbox\",\"FolderItems\":[{\"InternetMessageId\":\"<m5@mail.example>\"}]}]}\n";

#define NEVENTS 7

struct fx {
	char *dir;
	char *case_path;
	struct store *st;
	struct app *a;
	SCREEN *scr;
	FILE *out, *in;
};

static void open_app(struct fx *f)
{
	char *cause = NULL;
	if (store_open(f->case_path, 0, &f->st, &cause) < 0)
		fail_msg("%s", cause);
	setenv("LINES", "24", 1);
	setenv("COLUMNS", "140", 1);
	f->out = fopen("/dev/null", "w");
	f->in = fopen("/dev/null", "r");
	f->scr = newterm("xterm-256color", f->out, f->in);
	assert_non_null(f->scr);
	f->a = app_new(f->st);
	if (app_start(f->a, &cause) < 0)
		fail_msg("%s", cause);
	app_draw(f->a);
}

static int teardown(void **state);

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	char *json = write_file(f->dir, "nav.jsonl", fixture, sizeof fixture - 1);
	f->case_path = xasprintf("%s/nav.case", f->dir);
	char *cause = NULL;
	struct store *st = NULL;
	const char *paths[] = { json };
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (store_open(f->case_path, STORE_CREATE, &st, &cause) < 0 ||
	    ingest_paths(st, paths, 1, &o, &t, &cause) < 0 || store_ensure_indexes(st, &cause) < 0 ||
	    t.events != NEVENTS) {
		fprintf(stderr, "fixture: %s\n", cause ? cause : "wrong count");
		store_close(st);
		free(json);
		free(cause);
		*state = f;
		teardown(state);
		return -1;
	}
	store_close(st);
	free(json);
	*state = f;
	return 0;
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

/* Each test from the same case: no saved state, views or annotations. */
static int fresh(void **state)
{
	struct fx *f = *state;
	struct store *st;
	char *cause = NULL;
	if (store_open(f->case_path, 0, &st, &cause) < 0)
		return -1;
	store_state_set(st, "tui.filters", NULL, NULL);
	store_state_set(st, "tui.position", NULL, NULL);
	store_state_set(st, "tui.column", NULL, NULL);
	annot_view_delete(st, "appmbx", NULL);
	struct query *q = NULL;
	if (query_new(st, "marked", &q, NULL) == 0) {
		int64_t ids[16];
		size_t n = 0;
		struct query_page p = { 0 };
		if (query_page(q, QUERY_FIRST, NULL, 16, &p, NULL) == 0)
			for (size_t i = 0; i < p.n && n < 16; i++)
				ids[n++] = p.rows[i].id;
		query_page_free(&p);
		for (size_t i = 0; i < n; i++)
			annot_mark(st, ids[i], false, NULL);
		query_free(q);
	}
	store_close(st);
	open_app(f);
	return 0;
}

static int done(void **state)
{
	struct fx *f = *state;
	app_free(f->a);
	f->a = NULL;
	endwin();
	delscreen(f->scr);
	fclose(f->out);
	fclose(f->in);
	store_close(f->st);
	f->st = NULL;
	return 0;
}

static bool on_screen(const char *s)
{
	char *t = tui_screen();
	bool r = strstr(t, s) != NULL;
	free(t);
	return r;
}

/* Line y of the screen (caller frees). */
static char *line(int y)
{
	char *t = tui_screen(), *p = t;
	for (int i = 0; i < y && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	char *r = xstrndup(p ? p : "", p ? strcspn(p, "\n") : 0);
	free(t);
	return r;
}

static void golden(const char *name)
{
	tui_golden("tui_nav_", name, false);
}

static const char *top_view(struct fx *f)
{
	(void)f;
	char *st = line(ROWS - 2);
	static char name[32];
	snprintf(name, sizeof name, "%.*s", (int)strcspn(st + 1, " "), st + 1);
	free(st);
	return name;
}

/* q from a hunt's drill-in returns to the hunt's rows, then the menu,
 * then the timeline; q there quits (no load running), Esc asks. */
static void test_back_from_hunt(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "H");
	assert_string_equal(top_view(f), "hunts");
	tui_keys(f->a, "\r"); /* rare-apps */
	assert_string_equal(top_view(f), "hunt");
	tui_keys(f->a, "\r"); /* its first row: the timeline, narrowed */
	assert_string_equal(top_view(f), "timeline");
	assert_non_null(strstr(app_filter(f->a), "666e1623"));
	assert_true(on_screen("q back to hunt"));
	tui_keys(f->a, "q");
	assert_false(app_done(f->a));
	assert_string_equal(top_view(f), "hunt");
	/* the filter the hunt was opened under is back */
	assert_string_equal(app_filter(f->a), "");
	tui_keys(f->a, "q");
	assert_string_equal(top_view(f), "hunts");
	tui_key(f->a, KEYS_ESC);
	assert_string_equal(top_view(f), "timeline");
	assert_true(on_screen("q quit"));
	/* Esc on the timeline asks; n keeps the interface open */
	tui_key(f->a, KEYS_ESC);
	assert_true(on_screen("Quit auditscope? (y/n)"));
	tui_keys(f->a, "n");
	assert_false(app_done(f->a));
	tui_keys(f->a, "q");
	assert_true(app_done(f->a));
}

/* Each step of the breadcrumb is the whole filter it stands for. */
static void test_breadcrumb(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "f");
	tui_keys(f->a, "user=alice@contoso.com\r");
	tui_keys(f->a, "f");
	tui_key(f->a, KEYS_CTRL('U'));
	tui_keys(f->a, "op=MailItemsAccessed\r");
	char *title = line(0);
	/* the second filter replaced the first: no "user=... > op=..." chain
	 * that reads as both */
	assert_non_null(strstr(title, "all events > user=alice@contoso.com > op=MailItemsAccessed"));
	free(title);
	assert_string_equal(app_filter(f->a), "op=MailItemsAccessed");
	/* a pivot narrows: its step names the filter it narrowed too */
	assert_int_equal(app_pivot(f->a, "user", "bob@contoso.com", false), 0);
	app_key(f->a, KEYS_CTRL('L'));
	app_draw(f->a);
	title = line(0);
	assert_non_null(strstr(title, "> op=MailItemsAccessed user=bob@contoso.com"));
	free(title);
}

/* The status line names the marks of the cursor's row. */
static void test_gutter_legend(void **state)
{
	struct fx *f = *state;
	char *st = line(ROWS - 2);
	assert_null(strstr(st, "bookmarked"));
	free(st);
	tui_keys(f->a, "m");
	tui_key(f->a, 'x'); /* any key clears the message */
	st = line(ROWS - 2);
	assert_non_null(strstr(st, "* bookmarked"));
	free(st);
	/* and the help explains every mark (a page or two down) */
	tui_keys(f->a, "?");
	for (int i = 0; i < 6 && !on_screen("*  bookmarked (m)"); i++)
		tui_keys(f->a, " ");
	assert_true(on_screen("*  bookmarked (m)"));
	assert_true(on_screen("!  flagged by a hunt"));
}

/* The place after :goto is counted, never "?". */
static void test_position_after_goto(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, ":goto 2023-06-19T06:00\r");
	char *st = line(ROWS - 2);
	assert_non_null(strstr(st, "timeline  6 of 7"));
	free(st);
	tui_keys(f->a, "k");
	st = line(ROWS - 2);
	assert_non_null(strstr(st, "timeline  5 of 7"));
	free(st);
	/* the same through the core call */
	int64_t before = -1;
	struct query_pos p = { view_timeline_current(app_timeline(f->a))->ts,
			       view_timeline_current(app_timeline(f->a))->id };
	assert_int_equal(query_rank(app_query(f->a), &p, -1, &before, NULL), 1);
	assert_int_equal(before, 4);
}

static void test_messages_view(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "E");
	golden("messages");
	assert_string_equal(top_view(f), "messages");
	/* m1, m2 (one read), the Sync of bob's Inbox, m3, m4, m5 */
	assert_true(on_screen("row 1 of 6"));
	assert_true(on_screen("5 messages exposed, 1 folders synchronised"));
	assert_true(on_screen("(every item: Sync)"));
	/* Enter on m1: the event that read it; q comes back */
	tui_keys(f->a, "\r");
	assert_string_equal(top_view(f), "timeline");
	assert_true(on_screen("timeline  1 of 1"));
	assert_true(on_screen("2023-06-18 02:33:46"));
	tui_keys(f->a, "q");
	assert_string_equal(top_view(f), "messages");
	/* = on the app column keeps the messages that app read */
	tui_keys(f->a, "llll=");
	assert_non_null(strstr(app_filter(f->a), "app=666e1623-aa17-4008-a809-89807f229bdb"));
	assert_true(on_screen("row 1 of 2"));
	/* F stacks the column under the cursor */
	tui_key(f->a, KEYS_F(KEY_BACKSPACE));
	tui_keys(f->a, "F");
	assert_string_equal(top_view(f), "stack");
	/* a list cut at its limit says so, with the true total */
	tui_keys(f->a, "qq");
	view_messages_set_limit(4);
	tui_keys(f->a, "E");
	view_messages_set_limit(100000);
	assert_true(on_screen("row 1 of the first 4 of 6 (auditscope messages lists all)"));
	assert_true(on_screen("5 messages exposed"));
	tui_keys(f->a, "G");
	assert_true(on_screen("row 4 of the first 4 of 6"));
}

static void test_stack_two_fields(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, ":stack app,mailbox\r");
	golden("stack_two");
	assert_string_equal(top_view(f), "stack");
	/* events with no app (the sign-in... ) and the five reads: rows
	 * for each combination, rare first */
	assert_true(on_screen("9199bf20-a13f-4107-85dc-02114787ef48"));
	/* o: sort by the distinct count, then the others */
	tui_keys(f->a, "o");
	assert_true(on_screen("by users, descending"));
	tui_keys(f->a, "ooo");
	assert_true(on_screen("by value, ascending"));
	/* + adds a field: a json.PATH */
	tui_keys(f->a, "+");
	tui_keys(f->a, "json.ClientInfoString\r");
	assert_true(on_screen("json.ClientInf"));
	assert_true(on_screen("Client=MSExchangeRPC"));
	/* Enter keeps the row's combination, and q comes back here */
	tui_keys(f->a, "g\r");
	assert_string_equal(top_view(f), "timeline");
	assert_non_null(strstr(app_filter(f->a), "json.ClientInfoString="));
	tui_keys(f->a, "q");
	assert_string_equal(top_view(f), "stack");
	assert_string_equal(app_filter(f->a), "");
}

/* v in the stack and messages views: the cursor's cell in full (h, l
 * choose the field in a stack of several), q comes back. */
static void test_value_popups(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, ":stack app,mailbox\r");
	assert_true(on_screen("col app"));
	/* row 1: Microsoft Outlook's id and bob's mailbox, both cut */
	assert_true(on_screen("bob@contoso.c\xe2\x80\xa6"));
	tui_keys(f->a, "v");
	assert_string_equal(top_view(f), "value");
	assert_true(on_screen("app (Microsoft Outlook) of row 1 of the stack (v or q closes, y copies)"));
	assert_true(on_screen(" 5d661950-3475-41cd-a2c3-d671a3162bc1"));
	tui_keys(f->a, "q");
	assert_string_equal(top_view(f), "stack");
	tui_keys(f->a, "l");
	assert_true(on_screen("col mailbox"));
	tui_keys(f->a, "v");
	assert_true(on_screen("mailbox of row 1 of the stack"));
	assert_true(on_screen(" bob@contoso.com"));
	tui_keys(f->a, "ql"); /* the cursor stops at the last field */
	assert_true(on_screen("col mailbox"));
	tui_keys(f->a, "hh");
	assert_true(on_screen("col app"));
	tui_keys(f->a, "q");
	assert_string_equal(top_view(f), "timeline");
	/* the messages view: the message id of the first row, whole */
	tui_keys(f->a, "El");
	tui_keys(f->a, "v");
	assert_string_equal(top_view(f), "value");
	assert_true(on_screen("message id of row 1 of the messages"));
	assert_true(on_screen(" <m1@mail.example>"));
	tui_keys(f->a, "q");
	assert_string_equal(top_view(f), "messages");
}

/* core: several fields, json.PATH, every sort */
static void test_stack_core(void **state)
{
	struct fx *f = *state;
	struct query *q = NULL;
	char *cause = NULL;
	assert_int_equal(query_new(f->st, "op=MailItemsAccessed", &q, &cause), 0);
	const char *fields[] = { "app", "mailbox" };
	struct stack s;
	assert_int_equal(stack_fields(q, fields, 2, STACK_BY_EVENTS, true, -1, &s, &cause), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.events, 5);
	assert_string_equal(s.distinct, "user");
	assert_string_equal(s.fields[1], "mailbox");
	stack_sort(&s, STACK_BY_FIRST, false);
	assert_string_equal(stack_value(&s.rows[0], 0), "666e1623-aa17-4008-a809-89807f229bdb");
	assert_string_equal(stack_value(&s.rows[0], 1), "alice@contoso.com");
	stack_sort(&s, STACK_BY_LAST, true);
	assert_string_equal(stack_value(&s.rows[0], 1), "bob@contoso.com");
	stack_sort(&s, STACK_BY_VALUE, false);
	assert_string_equal(stack_value(&s.rows[0], 0), "5d661950-3475-41cd-a2c3-d671a3162bc1");
	assert_string_equal(stack_value(&s.rows[0], 1), "bob@contoso.com");
	stack_clear(&s);
	const char *jf[] = { "json.ClientInfoString" };
	assert_int_equal(stack_fields(q, jf, 1, STACK_BY_EVENTS, true, -1, &s, &cause), 0);
	/* OWA (bob's Sync, alice's read) and RPC (carol, bob) twice each:
	 * of equal counts, the longest-standing first; then REST */
	assert_int_equal(s.n, 3);
	assert_string_equal(s.rows[0].value, "Client=OWA");
	assert_int_equal(s.rows[0].events, 2);
	assert_int_equal(s.rows[0].distinct, 2);
	assert_string_equal(s.rows[1].value, "Client=MSExchangeRPC");
	assert_string_equal(s.rows[2].value, "Client=REST");
	stack_clear(&s);
	/* a {Name, Value} array by its Name, and through an array */
	const char *nv[] = { "json.OperationProperties.MailAccessType", "json.Folders.Path" };
	assert_int_equal(stack_fields(q, nv, 2, STACK_BY_VALUE, false, -1, &s, &cause), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(stack_value(&s.rows[0], 0), "Bind");
	assert_string_equal(stack_value(&s.rows[0], 1), "\\Inbox");
	assert_string_equal(stack_value(&s.rows[2], 0), "Sync");
	stack_clear(&s);
	const char *bad[] = { "time" };
	assert_int_equal(stack_fields(q, bad, 1, STACK_BY_EVENTS, true, -1, &s, &cause), -1);
	assert_non_null(strstr(cause, "'time' is not a field that can be stacked"));
	free(cause);
	query_free(q);
	enum stack_sort by;
	assert_int_equal(stack_sort_parse("mailboxes", &by), 0);
	assert_int_equal(by, STACK_BY_DISTINCT);
	assert_int_equal(stack_sort_parse("nope", &by), -1);
}

static void test_histogram_zoom(void **state)
{
	struct fx *f = *state;
	/* 18 June 02:00 to 19 June 08:00: 31 hours: 1h buckets give 31 bars
	 * (at least 20), 3h would give 11 */
	struct query *q = NULL;
	assert_int_equal(query_new(f->st, NULL, &q, NULL), 0);
	struct histogram h;
	assert_int_equal(histogram_run_span(q, 0, 20, INT64_MIN, INT64_MAX, &h, NULL), 0);
	assert_int_equal(h.bucket, 3600000);
	assert_int_equal(h.n, 31);
	assert_int_equal(h.total, NEVENTS);
	histogram_clear(&h);
	query_free(q);
	assert_int_equal(histogram_auto_bucket(0, 30 * 86400000LL, 20), 86400000);
	tui_keys(f->a, "i");
	golden("histogram");
	assert_true(on_screen("1h buckets"));
	/* the first bucket, 02:00: three events; + opens it */
	tui_keys(f->a, "g+");
	assert_true(on_screen("zoomed on 2023-06-18 02:00:00"));
	assert_true(on_screen("1m buckets"));
	char *st = line(ROWS - 2);
	assert_non_null(strstr(st, "of 3 events"));
	free(st);
	tui_keys(f->a, "-");
	assert_true(on_screen("1h buckets"));
	tui_keys(f->a, "-");
	assert_true(on_screen("3h buckets"));
	/* Enter narrows to the bucket; q comes back to the histogram */
	tui_keys(f->a, "g\r");
	assert_string_equal(top_view(f), "timeline");
	tui_keys(f->a, "q");
	assert_string_equal(top_view(f), "histogram");
}

static void test_saved_views(void **state)
{
	struct fx *f = *state;
	tui_keys(f->a, "f");
	tui_keys(f->a, "op=MailItemsAccessed\r");
	tui_keys(f->a, ":stack app,mailbox mailboxes\r");
	tui_keys(f->a, ":view save appmbx\r");
	assert_non_null(strstr(app_message_text(f->a), "saved view 'appmbx'"));
	tui_keys(f->a, "q");
	tui_key(f->a, KEYS_F(KEY_BACKSPACE));
	assert_string_equal(app_filter(f->a), "");
	tui_keys(f->a, ":view\r");
	golden("views");
	assert_true(on_screen("stack app,mailbox by distinct desc"));
	tui_keys(f->a, "\r");
	assert_string_equal(app_filter(f->a), "op=MailItemsAccessed");
	assert_string_equal(top_view(f), "stack");
	assert_true(on_screen("by users, descending"));
	tui_keys(f->a, ":view nosuch\r");
	assert_non_null(strstr(app_message_text(f->a), "no saved view named 'nosuch'"));
	tui_key(f->a, KEYS_ESC);
}

/* A saved view keeps the columns as the chooser (C) left them: opening
 * it puts them back after they were changed, and a view saved with the
 * columns as they come puts those back too. */
static void test_saved_view_columns(void **state)
{
	struct fx *f = *state;
	char *head = line(1);
	assert_non_null(strstr(head, "user"));
	free(head);
	/* hide the second column (user), then save */
	tui_keys(f->a, "Cj\rC");
	head = line(1);
	assert_null(strstr(head, " user "));
	free(head);
	tui_keys(f->a, ":view save nouser\r");
	assert_non_null(strstr(app_message_text(f->a), "saved view 'nouser'"));
	struct annot_view *sv = NULL;
	assert_int_equal(annot_view_get(f->st, "nouser", &sv, NULL), 1);
	assert_non_null(sv->columns);
	assert_non_null(strstr(sv->columns, "\"events\""));
	assert_null(strstr(sv->columns, "\"user\""));
	annot_view_free(sv);
	/* the columns as they come again: user is back */
	tui_keys(f->a, "Cr");
	tui_key(f->a, KEYS_ESC);
	head = line(1);
	assert_non_null(strstr(head, " user "));
	free(head);
	tui_keys(f->a, ":view save plain\r");
	/* the view hides user again; the plain one shows it */
	tui_keys(f->a, ":view nouser\r");
	head = line(1);
	assert_null(strstr(head, " user "));
	free(head);
	tui_keys(f->a, ":view plain\r");
	head = line(1);
	assert_non_null(strstr(head, " user "));
	free(head);
	annot_view_delete(f->st, "nouser", NULL);
	annot_view_delete(f->st, "plain", NULL);
}

static void test_export_words(void **state)
{
	struct fx *f = *state;
	char **w;
	size_t n;
	char *cause = NULL;
	setenv("HOME", f->dir, 1);
	assert_int_equal(app_split_words("csv ~/r.csv", &w, &n, &cause), 0);
	assert_int_equal(n, 2);
	char *want = xasprintf("%s/r.csv", f->dir);
	assert_string_equal(w[1], want);
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	assert_int_equal(app_split_words("csv \"/tmp/a b.csv\" 'it''s' x\\ y \"q\\\"t\"", &w, &n, &cause), 0);
	assert_int_equal(n, 5);
	assert_string_equal(w[1], "/tmp/a b.csv");
	assert_string_equal(w[2], "its");
	assert_string_equal(w[3], "x y");
	assert_string_equal(w[4], "q\"t");
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	assert_int_equal(app_split_words("csv \"open", &w, &n, &cause), -1);
	assert_string_equal(cause, "a quote is not closed");
	free(cause);
	/* through the prompt: extra words are an error, ~ is home, the
	 * mode is the CLI's, an existing file is replaced only on y */
	tui_keys(f->a, ":export csv ~/r.csv extra\r");
	assert_non_null(strstr(app_message_text(f->a), "unexpected 'extra'"));
	tui_key(f->a, KEYS_ESC);
	tui_keys(f->a, ":export csv ~/r.csv\r");
	assert_non_null(strstr(app_message_text(f->a), "exported 7 events to"));
	struct stat sb;
	assert_int_equal(stat(want, &sb), 0);
	mode_t um = umask(0);
	umask(um);
	assert_int_equal(sb.st_mode & 0777, 0666 & ~um);
	truncate(want, 0);
	tui_keys(f->a, ":export csv ~/r.csv\r");
	assert_true(on_screen("r.csv exists: replace it? (y/n)"));
	tui_keys(f->a, "n");
	assert_int_equal(stat(want, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	tui_keys(f->a, ":export csv ~/r.csv\ry");
	assert_int_equal(stat(want, &sb), 0);
	assert_true(sb.st_size > 0);
	unlink(want);
	free(want);
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
		cmocka_unit_test_setup_teardown(test_back_from_hunt, fresh, done),
		cmocka_unit_test_setup_teardown(test_breadcrumb, fresh, done),
		cmocka_unit_test_setup_teardown(test_gutter_legend, fresh, done),
		cmocka_unit_test_setup_teardown(test_position_after_goto, fresh, done),
		cmocka_unit_test_setup_teardown(test_messages_view, fresh, done),
		cmocka_unit_test_setup_teardown(test_stack_two_fields, fresh, done),
		cmocka_unit_test_setup_teardown(test_value_popups, fresh, done),
		cmocka_unit_test_setup_teardown(test_stack_core, fresh, done),
		cmocka_unit_test_setup_teardown(test_histogram_zoom, fresh, done),
		cmocka_unit_test_setup_teardown(test_saved_views, fresh, done),
		cmocka_unit_test_setup_teardown(test_saved_view_columns, fresh, done),
		cmocka_unit_test_setup_teardown(test_export_words, fresh, done),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
