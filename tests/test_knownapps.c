/*
 * test_knownapps.c: the built-in table of Microsoft app ids, the tenant's
 * apps table taking precedence, and loading service principals from CSV.
 */
#include "testutil.h"

#include <ctype.h>

#include "knownapps.h"
#include "store.h"
#include "xalloc.h"

static bool guid_shape(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* Binary search needs the order; every entry is a lower-case GUID, once. */
static void test_table_shape(void **state)
{
	(void)state;
	size_t n = knownapps_count();
	assert_true(n > 100);
	for (size_t i = 0; i < n; i++) {
		const struct knownapp *k = knownapps_at(i);
		assert_non_null(k);
		if (!guid_shape(k->id))
			fail_msg("entry %zu: '%s' is not a lower-case GUID", i, k->id);
		assert_true(k->name[0] != '\0');
		assert_non_null(k->source);
		if (i > 0 && strcmp(knownapps_at(i - 1)->id, k->id) >= 0)
			fail_msg("entry %zu (%s) is out of order or repeated", i, k->id);
	}
	assert_null(knownapps_at(n));
}

static void test_builtin_lookup(void **state)
{
	(void)state;
	/* the six apps core/README.md ("Hunts") names as reading mail normally, and Graph */
	assert_string_equal(knownapps_name("00000002-0000-0ff1-ce00-000000000000"),
			    "Office 365 Exchange Online");
	assert_string_equal(knownapps_name("9199bf20-a13f-4107-85dc-02114787ef48"), "One Outlook Web");
	assert_string_equal(knownapps_name("27922004-5251-4030-b22d-91ecd9a37ea4"), "Outlook Mobile");
	assert_string_equal(knownapps_name("5d661950-3475-41cd-a2c3-d671a3162bc1"), "Microsoft Outlook");
	assert_string_equal(knownapps_name("d3590ed6-52b3-4102-aeff-aad2292ab01c"), "Microsoft Office");
	assert_string_equal(knownapps_name("1fec8e78-bce4-4aaf-ab1b-5451cc387264"), "Microsoft Teams");
	assert_string_equal(knownapps_name("00000003-0000-0000-c000-000000000000"), "Microsoft Graph");
	/* ids arrive in either case */
	assert_string_equal(knownapps_name("D3590ED6-52B3-4102-AEFF-AAD2292AB01C"), "Microsoft Office");
	/* first and last entries are reachable by the binary search */
	assert_string_equal(knownapps_name(knownapps_at(0)->id), knownapps_at(0)->name);
	size_t last = knownapps_count() - 1;
	assert_string_equal(knownapps_name(knownapps_at(last)->id), knownapps_at(last)->name);
	/* unknown, empty, NULL */
	assert_null(knownapps_name("666e1623-aa17-4008-a809-89807f229bdb"));
	assert_null(knownapps_name(""));
	assert_null(knownapps_name(NULL));
	assert_true(knownapps_first_party("00000003-0000-0000-c000-000000000000"));
	assert_false(knownapps_first_party("5a95e683-08ad-424e-a441-1d1aec52c02c"));
	/* a display name where the id belongs: one of the table's, any case */
	assert_true(knownapps_first_party("Microsoft Outlook"));
	assert_true(knownapps_first_party("one outlook web"));
	assert_false(knownapps_first_party("Mail Archiver Pro"));
	assert_false(knownapps_first_party("Microsoft"));
	assert_false(knownapps_first_party(""));
	assert_false(knownapps_first_party(NULL));
}

static void test_builtin_reverse(void **state)
{
	(void)state;
	assert_string_equal(knownapps_id("microsoft graph"), "00000003-0000-0000-c000-000000000000");
	assert_string_equal(knownapps_id("OUTLOOK MOBILE"), "27922004-5251-4030-b22d-91ecd9a37ea4");
	assert_null(knownapps_id("MailSync Connector"));
	assert_null(knownapps_id(NULL));
	/* one name, several ids */
	const char *ids[8];
	size_t n = knownapps_ids("Microsoft Edge", ids, 8);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(knownapps_name(ids[i]), "Microsoft Edge");
	/* a short buffer still reports how many there are */
	assert_int_equal(knownapps_ids("Microsoft Edge", ids, 1), 3);
}

struct fixture {
	char *dir;
	char *case_path;
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = tmpdir_new();
	if (!f->dir) {
		free(f);
		return -1;
	}
	f->case_path = xasprintf("%s/apps.case", f->dir);
	char *cause = NULL;
	if (store_open(f->case_path, STORE_CREATE, &f->st, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		tmpdir_remove(f->dir);
		free(f->dir);
		free(f->case_path);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->st);
	tmpdir_remove(f->dir);
	free(f->dir);
	free(f->case_path);
	free(f);
	return 0;
}

/* The tenant's name wins over the built-in one, for names and reverse. */
static void test_case_precedence(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	const char *origin;
	char *name = knownapps_case_name(f->st, "00000003-0000-0000-c000-000000000000", &origin);
	assert_string_equal(name, "Microsoft Graph");
	assert_string_equal(origin, "microsoft");
	free(name);
	assert_null(knownapps_case_name(f->st, "666e1623-aa17-4008-a809-89807f229bdb", &origin));
	assert_null(origin);

	assert_int_equal(knownapps_add(f->st, "666E1623-AA17-4008-A809-89807F229BDB", "MailSync Connector",
				       "test", &cause),
			 0);
	assert_int_equal(knownapps_add(f->st, "00000003-0000-0000-c000-000000000000", "Graph (tenant)",
				       "test", &cause),
			 0);
	assert_int_equal(knownapps_add(f->st, "not-a-guid", "x", "test", &cause), -1);
	assert_non_null(strstr(cause, "not-a-guid"));
	free(cause);
	cause = NULL;

	name = knownapps_case_name(f->st, "666e1623-aa17-4008-a809-89807f229bdb", &origin);
	assert_string_equal(name, "MailSync Connector");
	assert_string_equal(origin, "tenant");
	free(name);
	name = knownapps_case_name(f->st, "00000003-0000-0000-C000-000000000000", &origin);
	assert_string_equal(name, "Graph (tenant)");
	assert_string_equal(origin, "tenant");
	free(name);

	char **ids;
	size_t n;
	assert_int_equal(knownapps_case_ids(f->st, "mailsync connector", &ids, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "666e1623-aa17-4008-a809-89807f229bdb");
	knownapps_ids_free(ids, n);
	/* renamed by the tenant: the built-in name no longer finds it */
	assert_int_equal(knownapps_case_ids(f->st, "Microsoft Graph", &ids, &n, &cause), 0);
	assert_int_equal(n, 0);
	knownapps_ids_free(ids, n);
	assert_int_equal(knownapps_case_ids(f->st, "outlook mobile", &ids, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "27922004-5251-4030-b22d-91ecd9a37ea4");
	knownapps_ids_free(ids, n);

	/* the snapshot agrees */
	struct knownapps *ka = knownapps_new(f->st, &cause);
	assert_non_null(ka);
	assert_string_equal(knownapps_lookup(ka, "666E1623-aa17-4008-a809-89807f229bdb", &origin),
			    "MailSync Connector");
	assert_string_equal(origin, "tenant");
	assert_string_equal(knownapps_lookup(ka, "00000003-0000-0000-c000-000000000000", &origin),
			    "Graph (tenant)");
	assert_string_equal(knownapps_lookup(ka, "27922004-5251-4030-b22d-91ecd9a37ea4", &origin),
			    "Outlook Mobile");
	assert_string_equal(origin, "microsoft");
	assert_null(knownapps_lookup(ka, "9823956a-6ca7-4347-9c24-458b1eab907b", &origin));
	assert_null(origin);
	knownapps_free(ka);
	/* without a case, the built-in table only */
	assert_string_equal(knownapps_lookup(NULL, "27922004-5251-4030-b22d-91ecd9a37ea4", NULL),
			    "Outlook Mobile");
	knownapps_free(NULL);
}

struct each_ctx {
	int n;
	char names[8][64];
};

static int each_fn(const char *id, const char *name, const char *origin, void *ctx)
{
	(void)id;
	(void)origin;
	struct each_ctx *e = ctx;
	if (e->n < 8)
		snprintf(e->names[e->n], sizeof e->names[0], "%s", name);
	e->n++;
	return 0;
}

/* Get-MgServicePrincipal | Export-Csv: AppId, DisplayName beside Id and
 * AppDisplayName; one bad id and one empty name are skipped. */
static void test_load_csv_graph(void **state)
{
	struct fixture *f = *state;
	const char csv[] =
		"\"Id\",\"AppDisplayName\",\"AppId\",\"DisplayName\"\r\n"
		"\"0b1e0000-0000-0000-0000-000000000001\",\"MailSync\",\"666E1623-AA17-4008-A809-89807F229BDB\",\"MailSync Connector\"\r\n"
		"\"0b1e0000-0000-0000-0000-000000000002\",\"HR Portal\",\"11111111-2222-3333-4444-555555555555\",\"HR Portal\"\r\n"
		"\"0b1e0000-0000-0000-0000-000000000003\",\"x\",\"not-a-guid\",\"Broken\"\r\n"
		"\"0b1e0000-0000-0000-0000-000000000004\",\"y\",\"22222222-2222-3333-4444-555555555555\",\"  \"\r\n";
	char *path = write_file(f->dir, "sp.csv", csv, sizeof csv - 1);
	struct knownapps_load_result r;
	char *cause = NULL;
	assert_int_equal(knownapps_load_csv(f->st, path, &r, &cause), 0);
	assert_int_equal(r.rows, 4);
	assert_int_equal(r.added, 2);
	assert_int_equal(r.skipped, 2);
	assert_non_null(r.first_skip);
	assert_non_null(strstr(r.first_skip, "line 4"));
	free(r.first_skip);
	const char *origin;
	char *name = knownapps_case_name(f->st, "666e1623-aa17-4008-a809-89807f229bdb", &origin);
	assert_string_equal(name, "MailSync Connector"); /* DisplayName, not AppDisplayName */
	free(name);
	struct each_ctx e = { 0 };
	assert_int_equal(knownapps_each(f->st, each_fn, &e, &cause), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.names[0], "HR Portal");
	assert_string_equal(e.names[1], "MailSync Connector");
	free(path);
}

/* The Entra portal's Enterprise applications download: UTF-8 BOM, "Name"
 * and "Application ID" (with a trailing space), ';' as a variant. */
static void test_load_csv_portal(void **state)
{
	struct fixture *f = *state;
	const char csv[] =
		"\xEF\xBB\xBF\"Name\";\"Object ID\";\"Application ID \";\"Homepage URL\"\n"
		"\"Contoso Payroll\";\"9e000000-0000-0000-0000-000000000001\";\"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\";\"\"\n";
	char *path = write_file(f->dir, "portal.csv", csv, sizeof csv - 1);
	struct knownapps_load_result r;
	char *cause = NULL;
	assert_int_equal(knownapps_load_csv(f->st, path, &r, &cause), 0);
	assert_int_equal(r.added, 1);
	assert_int_equal(r.skipped, 0);
	char *name = knownapps_case_name(f->st, "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", NULL);
	assert_string_equal(name, "Contoso Payroll");
	free(name);
	free(path);
}

/* UTF-16LE with a BOM, as Windows PowerShell's Export-Csv -Encoding Unicode. */
static void test_load_csv_utf16(void **state)
{
	struct fixture *f = *state;
	const char text[] = "appId,displayName\r\n33333333-2222-3333-4444-555555555555,Caf\xC3\xA9 App\r\n";
	unsigned char buf[256];
	size_t k = 0;
	buf[k++] = 0xFF;
	buf[k++] = 0xFE;
	for (size_t i = 0; i < sizeof text - 1; i++) {
		unsigned char ch = (unsigned char)text[i];
		unsigned cp = ch;
		if (ch == 0xC3) { /* the one two-byte character */
			cp = ((ch & 0x1F) << 6) | ((unsigned char)text[++i] & 0x3F);
		}
		buf[k++] = (unsigned char)(cp & 0xFF);
		buf[k++] = (unsigned char)(cp >> 8);
	}
	char *path = write_file(f->dir, "u16.csv", buf, k);
	struct knownapps_load_result r;
	char *cause = NULL;
	assert_int_equal(knownapps_load_csv(f->st, path, &r, &cause), 0);
	assert_int_equal(r.added, 1);
	char *name = knownapps_case_name(f->st, "33333333-2222-3333-4444-555555555555", NULL);
	assert_string_equal(name, "Caf\xC3\xA9 App");
	free(name);
	free(path);
}

/* A file without the columns is an error naming the file; nothing of it
 * is kept. A missing file names the path. */
static void test_load_csv_errors(void **state)
{
	struct fixture *f = *state;
	const char csv[] = "Id,Label\n44444444-2222-3333-4444-555555555555,Nope\n";
	char *path = write_file(f->dir, "wrong.csv", csv, sizeof csv - 1);
	struct knownapps_load_result r;
	char *cause = NULL;
	assert_int_equal(knownapps_load_csv(f->st, path, &r, &cause), -1);
	assert_non_null(strstr(cause, "wrong.csv"));
	assert_non_null(strstr(cause, "app id"));
	free(cause);
	cause = NULL;
	assert_null(knownapps_case_name(f->st, "44444444-2222-3333-4444-555555555555", NULL));
	free(path);

	path = xasprintf("%s/absent.csv", f->dir);
	assert_int_equal(knownapps_load_csv(f->st, path, &r, &cause), -1);
	assert_non_null(strstr(cause, "absent.csv"));
	free(cause);
	free(path);

	/* an empty file */
	path = write_file(f->dir, "empty.csv", "", 0);
	cause = NULL;
	assert_int_equal(knownapps_load_csv(f->st, path, &r, &cause), -1);
	assert_non_null(strstr(cause, "empty.csv"));
	free(cause);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_builtin_lookup),
		cmocka_unit_test(test_builtin_reverse),
		cmocka_unit_test_setup_teardown(test_case_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_csv_graph, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_csv_portal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_csv_utf16, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_csv_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
