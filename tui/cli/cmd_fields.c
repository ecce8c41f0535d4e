/*
 * cmd_fields.c: `auditscope fields`: the fields a filter can name, from
 * the filter's own table, with whether `stack` takes them, whether an
 * index pages them without a scan, and what each holds. For scripts (and
 * people) who would otherwise read the help text.
 */
#include <stdio.h>

#include "cli.h"
#include "filter.h"
#include "out.h"

static int run(const struct cli_args *a)
{
	int fmt;
	if (!cli_opt_format(a, &fmt))
		return 2;
	static const struct out_col cols[] = {
		{ .name = "field" },
		{ .name = "stack", .raw = true },
		{ .name = "indexed", .raw = true },
		{ .name = "holds" },
	};
	struct out *o = out_new(stdout, (enum out_format)fmt, cols, sizeof cols / sizeof cols[0]);
	size_t n;
	const struct filter_field *ff = filter_fields(&n);
	for (size_t i = 0; i < n; i++) {
		const char *v[] = { ff[i].name,
				    ff[i].flags & (FIELD_TEXT | FIELD_SOURCE | FIELD_GEO) ? "true" : "false",
				    ff[i].flags & FIELD_INDEXED ? "true" : "false", ff[i].help };
		out_row(o, v);
	}
	const char *json[] = { "json.PATH", "false", "false", "any path inside the raw record" };
	out_row(o, json);
	out_end(o);
	out_free(o);
	return 0;
}

static const struct cli_opt opts[] = {
	{ "--format", NULL, "F", "how to print it (default: table)", "table csv jsonl" },
	{ 0 },
};

const struct cli_cmd cli_cmd_fields = {
	.name = "fields",
	.usage = "",
	.summary = "the fields a filter can name, and which stack takes",
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
	.run = run,
};
