/*
 * test_input_change.c: a file that changes while it is being read is
 * told apart (input_changed, issue 10's smaller list: "a file that
 * changes during its load gets a warning"), for a plain file and for a
 * member of an archive in it; an untouched file is not.
 */
#include "testutil.h"

#include <stdio.h>

#include "input.h"

struct seen {
	const char *append_to; /* NULL: leave the file alone */
	int changed;
	int members;
};

static int member(struct input *in, void *ctx)
{
	struct seen *s = ctx;
	char buf[8];
	assert_true(input_read(in, buf, sizeof buf) > 0);
	if (s->append_to) {
		FILE *f = fopen(s->append_to, "a");
		assert_non_null(f);
		fputs("{\"more\":1}\n", f);
		fclose(f);
	}
	char hex[65];
	input_finish(in, hex);
	s->changed += input_changed(in);
	s->members++;
	return 0;
}

static void test_plain_file(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	const char *text = "{\"a\":1}\n{\"b\":2}\n";
	char *path = write_file(dir, "log.json", text, strlen(text));
	char *cause = NULL;
	struct seen s = { 0 };
	assert_int_equal(input_walk(path, NULL, member, NULL, &s, &cause), 0);
	assert_int_equal(s.members, 1);
	assert_int_equal(s.changed, 0); /* read, not changed */
	s = (struct seen){ .append_to = path };
	assert_int_equal(input_walk(path, NULL, member, NULL, &s, &cause), 0);
	assert_int_equal(s.changed, 1); /* appended to while read */
	free(path);
	tmpdir_remove(dir);
	free(dir);
}

static void test_archive_member(void **state)
{
	(void)state;
	char *dir = tmpdir_new();
	/* a gzip of "{\"a\":1}\n" (its bytes, so that no tool is needed) */
	static const unsigned char gz[] = {
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56, 0x4a, 0x54,
		0xb2, 0x32, 0xac, 0xe5, 0x02, 0x00, 0x46, 0xa3, 0xe8, 0x74, 0x08, 0x00, 0x00, 0x00,
	};
	char *path = write_file(dir, "log.json.gz", (const char *)gz, sizeof gz);
	char *cause = NULL;
	struct seen s = { .append_to = path };
	assert_int_equal(input_walk(path, NULL, member, NULL, &s, &cause), 0);
	assert_int_equal(s.members, 1);
	assert_int_equal(s.changed, 1); /* the archive it is in changed */
	free(path);
	tmpdir_remove(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_archive_member),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
