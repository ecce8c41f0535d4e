/*
 * main.c: auditscope's entry point: a command (load, info, query, ...) or
 * a case file to open in the terminal interface.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
	"usage: auditscope CASE                      open the terminal interface on CASE\n"
	"       auditscope load CASE PATH...         create CASE if needed and ingest PATHs\n"
	"                                             (files, folders, .zip/.tar/.tar.gz/.gz, - for stdin)\n"
	"       auditscope info CASE [--rejects N]   sources, counts, rejects, duplicates, time range\n"
	"       auditscope query CASE [FILTER] [--format table|csv|jsonl] [--limit N] [--desc] [--raw]\n"
	"\n"
	"FILTER is field=value terms, all of which must hold, e.g. user=alice@contoso.com op=MailItemsAccessed\n"
	"fields: user app client_app ip op workload record_type result session token mailbox access\n";

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (argc < 2)
		return fputs(usage_text, stderr), 2;
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		puts("auditscope 0.1");
		return 0;
	}
	if (!strcmp(cmd, "load"))
		return cmd_load(argc - 2, argv + 2);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 2, argv + 2);
	if (!strcmp(cmd, "query"))
		return cmd_query(argc - 2, argv + 2);
	return cli_usage("unknown command '%s'", cmd);
}
