/*
 * main.c: auditscope's entry point: a command (load, info, query, ...) or
 * a case file to open in the terminal interface.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli.h"
#include "store.h"

static const char usage_text[] =
	"usage: auditscope CASE                      open the terminal interface on CASE\n"
	"       auditscope load CASE PATH...         create CASE if needed and ingest PATHs\n"
	"                                             (files, folders, .zip/.tar/.tar.gz/.gz, - for stdin)\n"
	"       auditscope info CASE [--rejects N]   sources, counts, rejects, duplicates, time range\n"
	"       auditscope query CASE [FILTER] [--format table|csv|jsonl] [--limit N] [--desc] [--raw]\n"
	"       auditscope stack CASE FIELD [FILTER] [--rare|--common] [--limit N] [--format F]\n"
	"                                             value, events, mailboxes, first, last seen\n"
	"       auditscope messages CASE [FILTER] [--limit N] [--format F]   messages the events exposed\n"
	"       auditscope histogram CASE [FILTER] [--bucket 1h] [--format F]   events per time bucket\n"
	"       auditscope hunt CASE [NAME] [--format F] [--hits] [--baseline-until TIME] [--mark] [--tag T]\n"
	"                                             no NAME: every hunt with its hits; NAME: its rows;\n"
	"                                             --mark: bookmark its findings' events, tagged NAME or T\n"
	"       auditscope apps CASE [FILE.csv]      app ids in use and their names; FILE: the tenant's\n"
	"                                             service principals (appId, displayName) to name them\n"
	"       auditscope mark CASE FILTER [--tag T] [--note TEXT] [--unmark]   bookmark what FILTER matches\n"
	"       auditscope export CASE [FILTER] [--marked] --format csv|jsonl|timesketch|markdown [-o FILE]\n"
	"       auditscope notes export CASE [-o FILE] | notes import CASE FILE   share annotations\n"
	"\n"
	"FILTER: terms joined by spaces (and), 'or', 'not' or '-', and parentheses, e.g.\n"
	"  user=alice@contoso.com op=MailItemsAccessed,Send   app!=Outlook   ip=203.0.113.0/24\n"
	"  op~^(New|Set)-InboxRule   time>=2023-06-16 time<-1d   json.Parameters.ForwardTo~@\n"
	"  \"free text\" (over the raw record)   marked   tag=exfil   user=\"\" (field absent)\n"
	"fields: time user app client_app ip op workload record_type result session token mailbox\n"
	"        access client_info detail kind record_id source op_count line json.PATH\n";

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
	if (!strcmp(cmd, "stack"))
		return cmd_stack(argc - 2, argv + 2);
	if (!strcmp(cmd, "messages"))
		return cmd_messages(argc - 2, argv + 2);
	if (!strcmp(cmd, "histogram"))
		return cmd_histogram(argc - 2, argv + 2);
	if (!strcmp(cmd, "hunt"))
		return cmd_hunt(argc - 2, argv + 2);
	if (!strcmp(cmd, "apps"))
		return cmd_apps(argc - 2, argv + 2);
	if (!strcmp(cmd, "mark"))
		return cmd_mark(argc - 2, argv + 2);
	if (!strcmp(cmd, "export"))
		return cmd_export(argc - 2, argv + 2);
	if (!strcmp(cmd, "notes"))
		return cmd_notes(argc - 2, argv + 2);
	/* not a command but a file: the terminal interface on that case */
	if (argc == 2 && (access(cmd, F_OK) == 0 || strchr(cmd, '/') || strstr(cmd, ".case"))) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			cli_error("%s: the interface needs a terminal (auditscope query prints events)", cmd);
			return 1;
		}
		struct store *st = cli_open_case(cmd);
		if (!st)
			return 1;
		int rc = tui_run(st, cmd);
		store_close(st);
		return rc;
	}
	return cli_usage("unknown command '%s'", cmd);
}
