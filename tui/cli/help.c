/*
 * help.c: `auditscope --help`, `auditscope COMMAND --help` and the word
 * lists shell completion asks for, all generated from the command table
 * (cli.h), the filter's field table and the hunt table.
 */
#include "cli.h"

#include <string.h>

#include "filter.h"
#include "hunt.h"

#define CMD_COL 37 /* where summaries start in the command list */
#define OPT_COL 28 /* and in a command's options */

static const char filter_help[] =
	"FILTER: terms joined by spaces (and), 'or', 'not' or '-', and parentheses, e.g.\n"
	"  user=alice@contoso.com op=MailItemsAccessed,Send   app!=Outlook   ip=203.0.113.0/24\n"
	"  op~^(New|Set)-InboxRule   time>=2023-06-16 time<-1d   json.Parameters.ForwardTo~@\n"
	"  \"free text\" (over the raw record)   marked   tag=exfil   user=\"\" (field absent)\n";

/* Words wrapped at 78 columns, continuation lines indented by indent. */
static void wrap(FILE *f, size_t *col, size_t indent, const char *word)
{
	size_t n = strlen(word);
	if (*col > indent && *col + 1 + n > 78) {
		fprintf(f, "\n%*s", (int)indent, "");
		*col = indent;
	} else if (*col > indent + 1) {
		fputc(' ', f);
		(*col)++;
	}
	fputs(word, f);
	*col += n;
}

static void fields_line(FILE *f)
{
	size_t n, col = 8;
	const struct filter_field *ff = filter_fields(&n);
	fputs("fields: ", f);
	for (size_t i = 0; i < n; i++)
		wrap(f, &col, 8, ff[i].name);
	wrap(f, &col, 8, "json.PATH");
	fputc('\n', f);
}

/* lead what, then summary at column col (on the next line when what
 * reaches it). */
static void entry(FILE *f, int col, const char *lead, const char *what, const char *summary)
{
	int w = fprintf(f, "%s%s", lead, what);
	if (w + 2 > col)
		fprintf(f, "\n%*s", col, "");
	else
		fprintf(f, "%*s", col - w, "");
	fprintf(f, "%s\n", summary);
}

void cli_help(FILE *f)
{
	size_t n;
	const struct cli_cmd *const *t = cli_commands(&n);
	entry(f, CMD_COL, "usage: ", "auditscope CASE", "open the terminal interface on CASE");
	for (size_t i = 0; i < n; i++) {
		char what[160];
		snprintf(what, sizeof what, "auditscope %s%s%s", t[i]->name, *t[i]->usage ? " " : "",
			 t[i]->usage);
		entry(f, CMD_COL, "       ", what, t[i]->summary);
	}
	entry(f, CMD_COL, "       ", "auditscope COMMAND --help", "a command's options");
	fputc('\n', f);
	fputs(filter_help, f);
	fields_line(f);
}

void cli_cmd_help(const struct cli_cmd *c, FILE *f)
{
	fprintf(f, "usage: auditscope %s%s%s\n%s\n", c->name, *c->usage ? " " : "", c->usage, c->summary);
	if (c->details)
		fprintf(f, "\n%s", c->details);
	fputs("\noptions:\n", f);
	for (int i = 0; c->opts && c->opts[i].name; i++) {
		const struct cli_opt *o = &c->opts[i];
		/* the values it takes stand for the value: --format table|csv|jsonl */
		char arg[80];
		snprintf(arg, sizeof arg, "%s", o->choices ? o->choices : o->arg ? o->arg : "");
		for (char *p = arg; o->choices && *p; p++)
			if (*p == ' ')
				*p = '|';
		char what[160];
		snprintf(what, sizeof what, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "",
			 o->name, o->arg ? " " : "", arg);
		entry(f, OPT_COL, "  ", what, o->help);
	}
	entry(f, OPT_COL, "  ", "--help", "this help");
	if (strstr(c->usage, "FILTER")) {
		fputc('\n', f);
		fputs(filter_help, f);
		fields_line(f);
	}
}

/* One word a line, from a space-separated list. */
static void words(const char *list)
{
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, " ");
		printf("%.*s\n", (int)k, p);
		p += k;
		p += *p == ' ';
	}
}

int cli_complete(int argc, char **argv)
{
	size_t n;
	const char *what = argc > 0 ? argv[0] : "";
	const struct cli_cmd *c = argc > 1 ? cli_find(argv[1]) : NULL;
	if (!strcmp(what, "commands")) {
		const struct cli_cmd *const *t = cli_commands(&n);
		for (size_t i = 0; i < n; i++)
			puts(t[i]->name);
	} else if (!strcmp(what, "options") && c) {
		for (int i = 0; c->opts && c->opts[i].name; i++)
			puts(c->opts[i].name);
		puts("--help");
	} else if ((!strcmp(what, "valued") || !strcmp(what, "flags")) && c) {
		for (int i = 0; c->opts && c->opts[i].name; i++)
			if (!c->opts[i].arg == !strcmp(what, "flags")) {
				puts(c->opts[i].name);
				if (c->opts[i].alias)
					puts(c->opts[i].alias);
			}
	} else if (!strcmp(what, "values") && c && argc > 2) {
		for (int i = 0; c->opts && c->opts[i].name; i++)
			if (c->opts[i].choices && (!strcmp(c->opts[i].name, argv[2]) ||
						   (c->opts[i].alias && !strcmp(c->opts[i].alias, argv[2]))))
				words(c->opts[i].choices);
	} else if (!strcmp(what, "usage") && c) {
		puts(c->usage);
	} else if (!strcmp(what, "fields")) {
		const struct filter_field *ff = filter_fields(&n);
		for (size_t i = 0; i < n; i++)
			puts(ff[i].name);
		puts("json.");
	} else if (!strcmp(what, "hunts")) {
		for (int i = 0; i < HUNT_COUNT; i++)
			puts(hunt_def((enum hunt_id)i)->name);
	} else {
		return cli_usage("__complete: expected commands, options COMMAND, valued|flags COMMAND, values "
				 "COMMAND OPTION, usage COMMAND, fields or hunts");
	}
	return 0;
}
