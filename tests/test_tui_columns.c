/*
 * test_tui_columns.c: the event table's columns (issue 14). Each kind of
 * log shows its own column set, chosen from the rows of the filter, at
 * 80x24, 120x40 and 250x60 (golden screens tests/golden/tui_cols_*.txt;
 * UPDATE=1 rewrites them); every value cut to its column ends in the cut
 * mark; l past the last column on screen scrolls; the chooser shows,
 * hides, moves and widens columns and the case keeps them; y copies a
 * cell's exact value, Y the event as JSON, ^Y the filter, as OSC 52; a
 * click moves the cursor and a double click opens the event; the hunt
 * table keeps its counts at 80 columns.
 *
 * The case is built from small exports written here: Graph sign-ins,
 * directory audits, a message trace, and unified audit log records
 * (Exchange admin cmdlets and mail access).
 */
#include "testutil.h"
#include "tui_util.h"

#include <jansson.h>
#include <locale.h>

#include "app.h"
#include "clip.h"
#include "draw.h"
#include "ingest.h"
#include "keys.h"
#include "query.h"
#include "state.h"
#include "store.h"
#include "view_timeline.h"
#include "xalloc.h"

static const char signins[] =
	"[{\"id\":\"5a1e0001-0000-0000-0000-000000000001\",\"createdDateTime\":\"2023-06-18T01:00:00Z\",\"userPrincipalName\":\"adm.fatima.langer@contoso.com\",\"userId\":\"u1\",\"appId\":\"d3590ed6-52b3-4102-aeff-aad2292ab01c\",\"appDisplayName\":\"Microsoft Office\",\"ipAddress\":\"2001:db8:3cb:f8::5d6\",\"resourceDisplayName\":\"Microsoft Graph\",\"status\":{\"errorCode\":0},\"conditionalAccessStatus\":\"notApplied\",\"authenticationRequirement\":\"singleFactorAuthentication\",\"userAgent\":\"python-requests/2.31.0\",\"clientAppUsed\":\"Browser\",\"isInteractive\":true,\"location\":{\"city\":\"Lagos\",\"countryOrRegion\":\"NG\"}},\n"
	"{\"id\":\"5a1e0001-0000-0000-0000-000000000002\",\"createdDateTime\":\"2023-06-18T01:05:00Z\",\"userPrincipalName\":\"alice@contoso.com\",\"userId\":\"u2\",\"appId\":\"00000002-0000-0ff1-ce00-000000000000\",\"appDisplayName\":\"Office 365 Exchange Online\",\"ipAddress\":\"203.0.113.81\",\"resourceDisplayName\":\"Office 365 Exchange Online\",\"status\":{\"errorCode\":50126,\"failureReason\":\"Error validating credentials due to invalid username or password.\"},\"conditionalAccessStatus\":\"failure\",\"authenticationRequirement\":\"multiFactorAuthentication\",\"userAgent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0 Safari/537.36\",\"clientAppUsed\":\"Browser\",\"isInteractive\":true}]\n";

static const char audits[] =
	"[{\"id\":\"D1_0000000001\",\"activityDateTime\":\"2023-06-18T01:10:00Z\",\"activityDisplayName\":\"Update user\",\"category\":\"UserManagement\",\"result\":\"success\",\"loggedByService\":\"Core Directory\",\"operationType\":\"Update\",\"initiatedBy\":{\"user\":{\"userPrincipalName\":\"adm.fatima.langer@contoso.com\",\"ipAddress\":\"203.0.113.81\"}},\"targetResources\":[{\"type\":\"User\",\"userPrincipalName\":\"alice@contoso.com\",\"modifiedProperties\":[{\"displayName\":\"StrongAuthenticationPhoneAppDetail\",\"oldValue\":\"[]\",\"newValue\":\"[\\\"Authenticator Lite\\\"]\"},{\"displayName\":\"Included Updated Properties\",\"oldValue\":null,\"newValue\":\"\\\"StrongAuthenticationPhoneAppDetail\\\"\"}]}]},\n"
	"{\"id\":\"D1_0000000002\",\"activityDateTime\":\"2023-06-18T01:12:00Z\",\"activityDisplayName\":\"Add member to role\",\"category\":\"RoleManagement\",\"result\":\"success\",\"loggedByService\":\"Core Directory\",\"operationType\":\"Assign\",\"initiatedBy\":{\"user\":{\"userPrincipalName\":\"adm.fatima.langer@contoso.com\",\"ipAddress\":\"203.0.113.81\"}},\"targetResources\":[{\"type\":\"User\",\"userPrincipalName\":\"svc-backup@contoso.com\",\"modifiedProperties\":[{\"displayName\":\"Role.DisplayName\",\"oldValue\":null,\"newValue\":\"\\\"Global Administrator\\\"\"}]}]}]\n";

static const char msgtrace[] =
	"[{\"Received\":\"2023-06-18T02:50:00\",\"SenderAddress\":\"alice@contoso.com\",\"RecipientAddress\":\"exfil.drop.box@attacker-mail.example\",\"Subject\":\"FW: Q3 board pack (confidential)\",\"Status\":\"Delivered\",\"FromIP\":\"203.0.113.81\",\"ToIP\":null,\"MessageTraceId\":\"a1b2c3d4-0000-0000-0000-000000000001\",\"MessageId\":\"<m77@contoso.com>\",\"Size\":48211}]\n";

static const char ual[] =
	"{\"CreationTime\":\"2023-06-18T02:00:00\",\"Id\":\"20000000-0000-0000-0000-000000000001\",\"Operation\":\"New-InboxRule\",\"RecordType\":1,\"Workload\":\"Exchange\",\"UserId\":\"adm.fatima.langer@contoso.com\",\"ClientIP\":\"203.0.113.81\",\"ResultStatus\":\"True\",\"ObjectId\":\"alice@contoso.com\\\\.\",\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"alice@contoso.com\"},{\"Name\":\"Name\",\"Value\":\".\"},{\"Name\":\"ForwardTo\",\"Value\":\"exfil.drop.box@attacker-mail.example\"},{\"Name\":\"DeleteMessage\",\"Value\":\"True\"},{\"Name\":\"StopProcessingRules\",\"Value\":\"True\"}]}\n"
	"{\"CreationTime\":\"2023-06-18T02:05:00\",\"Id\":\"20000000-0000-0000-0000-000000000002\",\"Operation\":\"Set-Mailbox\",\"RecordType\":1,\"Workload\":\"Exchange\",\"UserId\":\"adm.fatima.langer@contoso.com\",\"ClientIP\":\"203.0.113.81\",\"ResultStatus\":\"True\",\"ObjectId\":\"alice@contoso.com\",\"Parameters\":[{\"Name\":\"Identity\",\"Value\":\"alice@contoso.com\"},{\"Name\":\"ForwardingSmtpAddress\",\"Value\":\"smtp:exfil.drop.box@attacker-mail.example\"},{\"Name\":\"DeliverToMailboxAndForward\",\"Value\":\"True\"}]}\n"
	"{\"CreationTime\":\"2023-06-18T02:33:46\",\"Id\":\"20000000-0000-0000-0000-000000000003\",\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"alice@contoso.com\",\"AppId\":\"666e1623-aa17-4008-a809-89807f229bdb\",\"ClientAppId\":\"9823956a-6ca7-4347-9c24-458b1eab907b\",\"ClientIPAddress\":\"2001:db8:3cb:f8::5d6\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"alice@contoso.com\",\"OperationCount\":1,\"ClientInfoString\":\"Client=REST;Client=RESTSystem;;\",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}],\"Folders\":[{\"Path\":\"\\\\Inbox\",\"FolderItems\":[{\"InternetMessageId\":\"<m1@mail.example>\",\"SizeInBytes\":1200}]}]}\n"
	"{\"CreationTime\":\"2023-06-18T02:35:00\",\"Id\":\"20000000-0000-0000-0000-000000000004\",\"Operation\":\"MailItemsAccessed\",\"RecordType\":50,\"Workload\":\"Exchange\",\"UserId\":\"adm.fatima.langer@contoso.com\",\"AppId\":\"00000002-0000-0ff1-ce00-000000000000\",\"ClientIPAddress\":\"203.0.113.81\",\"ResultStatus\":\"Succeeded\",\"MailboxOwnerUPN\":\"adm.fatima.langer@contoso.com\",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"Sync\"}],\"Folders\":[{\"Path\":\"\\\\Inbox\"}]}\n";

/* The indicators of the fixture: wherever one shows, it shows whole or
 * cut with the mark, never cut silently. */
static const char *const indicators[] = {
	"adm.fatima.langer@contoso.com",
	"2001:db8:3cb:f8::5d6",
	"203.0.113.81",
	"exfil.drop.box@attacker-mail.example",
	"666e1623-aa17-4008-a809-89807f229bdb",
	"9823956a-6ca7-4347-9c24-458b1eab907b",
	"svc-backup@contoso.com",
	"python-requests/2.31.0",
	"Error validating credentials due to invalid username or password.",
	"StrongAuthenticationPhoneAppDetail: (none) -> Authenticator Lite",
};

struct fx {
	char *dir, *case_path;
	struct store *st;
	struct app *a;
	SCREEN *scr;
	FILE *out, *in;
	int rows, cols;
};

static void open_app(struct fx *f, int rows, int cols)
{
	char *cause = NULL, r[16], c[16];
	if (store_open(f->case_path, 0, &f->st, &cause) < 0)
		fail_msg("%s", cause);
	snprintf(r, sizeof r, "%d", rows);
	snprintf(c, sizeof c, "%d", cols);
	setenv("LINES", r, 1);
	setenv("COLUMNS", c, 1);
	f->rows = rows;
	f->cols = cols;
	f->out = fopen("/dev/null", "w");
	f->in = fopen("/dev/null", "r");
	f->scr = newterm("xterm-256color", f->out, f->in);
	assert_non_null(f->scr);
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
	endwin();
	delscreen(f->scr);
	fclose(f->out);
	fclose(f->in);
	store_close(f->st);
	f->st = NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	const char *names[] = { "signins.json", "audits.json", "trace.json", "ual.jsonl" };
	const char *texts[] = { signins, audits, msgtrace, ual };
	for (int i = 0; i < 4; i++)
		free(write_file(f->dir, names[i], texts[i], strlen(texts[i])));
	f->case_path = xasprintf("%s/t.case", f->dir);
	char *cause = NULL;
	struct store *st = NULL;
	char cwd[4096];
	struct ingest_opts o = { 0 };
	struct ingest_totals t;
	if (store_open(f->case_path, STORE_CREATE, &st, &cause) < 0 || !getcwd(cwd, sizeof cwd) ||
	    chdir(f->dir) < 0)
		goto fail;
	int rc = ingest_paths(st, names, 4, &o, &t, &cause);
	if (chdir(cwd) < 0 || rc < 0 || store_ensure_indexes(st, &cause) < 0 || t.events != 9) {
		fprintf(stderr, "fixture: %s (%llu events)\n", cause ? cause : "",
			(unsigned long long)t.events);
		goto fail;
	}
	store_close(st);
	*state = f;
	return 0;
fail:
	store_close(st);
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

/* Each test starts from a case without saved state. */
static int fresh(void **state)
{
	struct fx *f = *state;
	struct store *st;
	if (store_open(f->case_path, 0, &st, NULL) < 0)
		return -1;
	state_set(st, "tui.filters", NULL, NULL);
	state_set(st, "tui.position", NULL, NULL);
	state_set(st, "tui.column", NULL, NULL);
	state_set(st, "tui.columns", NULL, NULL);
	store_close(st);
	return 0;
}

static void set_filter(struct fx *f, const char *text)
{
	/* one step at a time, so that the breadcrumb stays short */
	while (*app_filter(f->a))
		tui_key(f->a, KEYS_F(KEY_BACKSPACE));
	if (!*text)
		return;
	tui_keys(f->a, "f");
	tui_key(f->a, KEYS_CTRL('U'));
	tui_keys(f->a, text);
	tui_keys(f->a, "\r");
}

/* tests/golden/tui_cols_NAME.txt; the hunt's elapsed time on its status
 * line is the machine's load, not the interface's (under load or the
 * sanitizers "0.00 s" became "0.01 s"): masked. */
static void golden(const char *name)
{
	tui_golden("tui_cols_", name, true);
}

/*
 * Every place an indicator starts on screen (its first 6 characters),
 * what follows is the rest of it, or a part of the rest and the cut
 * mark: a cut value is never shown as if whole. Returns how many times
 * the indicators show (whole or marked).
 */
static int check_marks(const char *text)
{
	static const char mark[] = "\xe2\x80\xa6";
	int seen = 0;
	for (size_t i = 0; i < sizeof indicators / sizeof indicators[0]; i++) {
		const char *ind = indicators[i];
		size_t len = strlen(ind);
		char start[7];
		snprintf(start, sizeof start, "%s", ind);
		for (const char *p = text; (p = strstr(p, start)); p++) {
			size_t k = 0;
			while (k < len && p[k] == ind[k])
				k++;
			if (k == len || !strncmp(p + k, mark, 3)) {
				seen++;
				continue;
			}
			/* a value that only starts like the indicator (another
			 * address in the same network) is not this one */
			if (p[k] != ' ' && p[k] != '\n' && p[k] != '\0')
				continue;
			const char *eol = strchr(p, '\n');
			fail_msg("'%s' is shown cut without the mark: '%.*s'", ind, (int)(eol ? eol - p : 40),
				 p);
		}
	}
	return seen;
}

static const char *const sizes[][2] = { { "24", "80" }, { "40", "120" }, { "60", "250" } };

/* For each kind of log in the fixture: the filter, its set's name, a
 * heading only that set has. */
static const struct {
	const char *name, *filter, *set, *heading;
} kinds[] = {
	{ "signin", "kind=signin", "signin", "resource" },
	{ "directory", "kind=directory_audit", "directory", "initiated by" },
	{ "exchange_admin", "record_type=ExchangeAdmin", "exchange-admin", "cmdlet" },
	{ "mail", "op=MailItemsAccessed", "events", "client app" },
	{ "message_trace", "kind=message_trace", "message-trace", "recipient" },
	{ "mixed", "", "events", "operation" },
};

static void test_sets_at_three_sizes(void **state)
{
	struct fx *f = *state;
	for (size_t s = 0; s < 3; s++) {
		open_app(f, atoi(sizes[s][0]), atoi(sizes[s][1]));
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			set_filter(f, kinds[k].filter);
			assert_string_equal(view_timeline_set(app_timeline(f->a)), kinds[k].set);
			char name[64];
			snprintf(name, sizeof name, "%s_%sx%s", kinds[k].name, sizes[s][1], sizes[s][0]);
			golden(name);
			char *text = tui_screen();
			if (!strstr(text, kinds[k].heading))
				fail_msg("%s at %sx%s: no '%s' heading", kinds[k].name, sizes[s][1],
					 sizes[s][0], kinds[k].heading);
			check_marks(text);
			/* nothing past the edge: no line wider than the screen */
			int w = 0;
			for (const char *p = text; *p; p++) {
				if (*p == '\n') {
					assert_true(w <= f->cols);
					w = 0;
				} else if (((unsigned char)*p & 0xC0) != 0x80) {
					w++;
				}
			}
			free(text);
		}
		close_app(f);
	}
}

/* Walking right with l reaches every column of the set: the table
 * scrolls past the screen's edge, the time stays, and each indicator of
 * the sign-ins is seen whole or marked. */
static void test_scroll(void **state)
{
	struct fx *f = *state;
	open_app(f, 24, 80);
	set_filter(f, "kind=signin");
	int n = 0;
	char *first = tui_screen();
	assert_null(strstr(first, "user agent"));
	for (int i = 0; i < 20; i++) {
		tui_keys(f->a, "l");
		char *text = tui_screen();
		n += check_marks(text);
		if (strstr(text, "user agent") && strstr(text, "time (UTC)")) {
			free(text);
			break;
		}
		free(text);
	}
	char *text = tui_screen();
	assert_non_null(strstr(text, "user agent"));
	assert_non_null(strstr(text, "python-requests/2.31.0"));
	/* the header's gutter says columns are off to the left */
	assert_true(text[strchr(text, '\n') - text + 1] == '<');
	assert_string_equal(view_timeline_column(app_timeline(f->a)), "agent");
	free(text);
	free(first);
	assert_true(n > 0);
	/* h walks back and the first columns return */
	for (int i = 0; i < 20; i++)
		tui_keys(f->a, "h");
	text = tui_screen();
	assert_non_null(strstr(text, "adm.fatima"));
	assert_int_equal(check_marks(text) > 0, 1);
	assert_string_equal(view_timeline_column(app_timeline(f->a)), "time");
	free(text);
	close_app(f);
}

/* v shows a cut cell whole; y copies the exact value, Y the event as
 * JSON, ^Y the filter. */
static void test_value_and_copy(void **state)
{
	struct fx *f = *state;
	open_app(f, 24, 80);
	set_filter(f, "kind=directory_audit");
	/* the changed properties of "Update user": cut at 80 columns */
	while (strcmp(view_timeline_column(app_timeline(f->a)), "changes"))
		tui_keys(f->a, "l");
	char *text = tui_screen();
	assert_non_null(strstr(text, "StrongAuthenti"));
	assert_non_null(strstr(text, "(cut: v)"));
	free(text);
	tui_keys(f->a, "v");
	golden("value_80x24");
	text = tui_screen();
	assert_non_null(
		strstr(text, "StrongAuthenticationPhoneAppDetail: (none) -> Authenticator Lite; Included"));
	free(text);
	tui_keys(f->a, "y");
	assert_string_equal(clip_last(),
			    "StrongAuthenticationPhoneAppDetail: (none) -> Authenticator Lite; Included "
			    "Updated Properties: (none) -> StrongAuthenticationPhoneAppDetail");
	tui_keys(f->a, "q");
	/* the IP, whole, from the ip column */
	set_filter(f, "kind=signin");
	tui_keys(f->a, "g");
	while (strcmp(view_timeline_column(app_timeline(f->a)), "ip"))
		tui_keys(f->a, "l");
	tui_keys(f->a, "y");
	assert_string_equal(clip_last(), "2001:db8:3cb:f8::5d6");
	assert_non_null(strstr(app_message_text(f->a), "copied ip: 2001:db8:3cb:f8::5d6"));
	/* the sequence a terminal receives */
	char *seq = clip_osc52(clip_last(), strlen(clip_last()));
	assert_string_equal(seq, "\033]52;c;MjAwMTpkYjg6M2NiOmY4Ojo1ZDY=\a");
	free(seq);
	tui_keys(f->a, "Y");
	json_t *o = json_loads(clip_last(), 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "ip")), "2001:db8:3cb:f8::5d6");
	assert_string_equal(json_string_value(json_object_get(o, "user")), "adm.fatima.langer@contoso.com");
	assert_string_equal(json_string_value(json_object_get(o, "resource")), "Microsoft Graph");
	assert_string_equal(json_string_value(json_object_get(o, "ts")), "2023-06-18T01:00:00.000Z");
	json_decref(o);
	tui_key(f->a, KEYS_CTRL('Y'));
	assert_string_equal(clip_last(), "kind=signin");
	close_app(f);
}

/* C: hide, move and widen; the case keeps them; r resets. */
static void test_chooser(void **state)
{
	struct fx *f = *state;
	open_app(f, 24, 120);
	set_filter(f, "kind=signin");
	tui_keys(f->a, "C");
	golden("chooser_120x24");
	/* on "time": down to "user", hide it; "app" moves up first */
	tui_keys(f->a, "j\r");
	char *text = tui_screen();
	assert_non_null(strstr(text, "[ ]    user"));
	free(text);
	tui_keys(f->a, "K"); /* the cursor is on "app" now, at the top after time */
	tui_keys(f->a, "K");
	tui_keys(f->a, "++++");
	tui_keys(f->a, "q");
	text = tui_screen();
	char *head = strchr(text, '\n') + 1;
	/* app first, wider; user gone */
	assert_true(!strncmp(head, " >app", 5) || !strncmp(head, "  app", 5));
	assert_null(strstr(head, " user "));
	free(text);
	close_app(f);
	/* reopened: the same columns */
	open_app(f, 24, 120);
	text = tui_screen();
	head = strchr(text, '\n') + 1;
	assert_true(strstr(head, "app") < strstr(head, "resource"));
	assert_null(strstr(head, " user "));
	free(text);
	tui_keys(f->a, "Cr");
	tui_keys(f->a, "q");
	text = tui_screen();
	assert_non_null(strstr(text, "time (UTC)          user"));
	free(text);
	close_app(f);
}

/* A click moves the cursor to the row and the column under it; a double
 * click opens the event. */
static void test_mouse(void **state)
{
	struct fx *f = *state;
	open_app(f, 24, 120);
	mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	/* the third event's row: screen line 4 (title, header, two rows) */
	MEVENT ev = { .id = 0, .x = 30, .y = 4, .bstate = BUTTON1_CLICKED };
	assert_int_equal(ungetmouse(&ev), OK);
	tui_key(f->a, KEYS_F(KEY_MOUSE));
	const struct query_row *r = view_timeline_current(app_timeline(f->a));
	assert_non_null(r);
	assert_string_equal(r->op, "Update user");
	assert_string_equal(view_timeline_column(app_timeline(f->a)), "user");
	/* the wheel scrolls */
	ev.bstate = BUTTON5_PRESSED;
	assert_int_equal(ungetmouse(&ev), OK);
	tui_key(f->a, KEYS_F(KEY_MOUSE));
	assert_string_equal(view_timeline_current(app_timeline(f->a))->op, "Set-Mailbox");
	ev.bstate = BUTTON1_DOUBLE_CLICKED;
	ev.y = 2;
	assert_int_equal(ungetmouse(&ev), OK);
	tui_key(f->a, KEYS_F(KEY_MOUSE));
	char *text = tui_screen();
	assert_non_null(strstr(text, " detail "));
	free(text);
	close_app(f);
}

/* The rare-apps hunt at 80 columns: the counts stay on screen; the app
 * ids are cut with the mark; v shows one whole. */
static void test_hunt_counts_at_80(void **state)
{
	struct fx *f = *state;
	open_app(f, 24, 80);
	tui_keys(f->a, "H\r");
	golden("hunt_rare_apps_80x24");
	char *text = tui_screen();
	assert_non_null(strstr(text, "mailboxes events"));
	check_marks(text);
	free(text);
	tui_keys(f->a, "y");
	assert_string_equal(clip_last(), "666e1623-aa17-4008-a809-89807f229bdb");
	close_app(f);
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
		cmocka_unit_test_setup(test_sets_at_three_sizes, fresh),
		cmocka_unit_test_setup(test_scroll, fresh),
		cmocka_unit_test_setup(test_value_and_copy, fresh),
		cmocka_unit_test_setup(test_chooser, fresh),
		cmocka_unit_test_setup(test_mouse, fresh),
		cmocka_unit_test_setup(test_hunt_counts_at_80, fresh),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
