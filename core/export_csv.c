/*
 * export_csv.c: the CSV writer: one row per event with its provenance,
 * bookmark, tags and notes; every cell formula-safe (csvout.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "event.h"
#include "export_writer.h"
#include "timeparse.h"
#include "xalloc.h"

static const char *const csv_cols[] = {
	"ts",          "record_id",     "kind",
	"op",          "user",          "app",
	"app_name",    "client_app",    "client_app_name",
	"ip",          "country",       "asn",
	"as_org",      "host",          "workload",
	"record_type", "result",        "session",
	"token",       "mailbox",       "access",
	"op_count",    "client_info",   "throttled",
	"marked",      "tags",          "notes",
	"source",      "source_sha256", "line",
};

static int csv_begin(struct exporter *x)
{
	for (size_t i = 0; i < sizeof csv_cols / sizeof csv_cols[0]; i++)
		fprintf(x->out, "%s%s", i ? "," : "", csv_cols[i]);
	fputs("\r\n", x->out);
	return 0;
}

/* Several strings in one cell: joined by sep (caller frees). */
static char *join(char **v, size_t n, const char *sep)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	char *s = xmalloc(len), *p = s;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? sep : "", v[i]);
	return s;
}

/* Every note as "[author created] text", one after another on new lines. */
static char *notes_cell(const struct export_row *r)
{
	char **v = xcalloc(r->nnotes + 1, sizeof *v);
	for (size_t i = 0; i < r->nnotes; i++)
		v[i] = xasprintf("[%s %s] %s", r->notes[i].author, r->notes[i].created, r->notes[i].text);
	char *s = join(v, r->nnotes, "\n");
	for (size_t i = 0; i < r->nnotes; i++)
		free(v[i]);
	free(v);
	return s;
}

static void csv_row(struct exporter *x, const struct export_row *r)
{
	char ts[40], opc[24], line[24];
	time_format(r->ts, ts, sizeof ts);
	snprintf(opc, sizeof opc, "%" PRId64, r->op_count);
	snprintf(line, sizeof line, "%" PRId64, r->line);
	char *tags = join(r->tags, r->ntags, ",");
	char *notes = notes_cell(r);
	const struct export_source *s = export_source_of(x, r->source);
	const char *v[] = {
		ts,
		r->f[F_record_id],
		event_kind_name(r->kind),
		r->f[F_op],
		r->f[F_user],
		r->f[F_app],
		export_app_name(x, r->f[F_app]),
		r->f[F_client_app],
		export_app_name(x, r->f[F_client_app]),
		r->f[F_ip],
		r->country,
		r->asn,
		r->as_org,
		r->f[F_host],
		r->f[F_workload],
		r->f[F_rtype],
		r->f[F_result],
		r->f[F_session],
		r->f[F_token],
		r->f[F_mailbox],
		r->f[F_access],
		r->op_count >= 0 ? opc : NULL,
		r->f[F_client_info],
		(r->flags & EVF_THROTTLED) ? "true" : "false",
		r->marked ? "true" : "false",
		tags,
		notes,
		s ? s->path : NULL,
		s ? s->sha256 : NULL,
		line,
	};
	/* an empty value and NULL both leave the cell empty */
	csvout_row(x->out, v, sizeof v / sizeof v[0], x->o->terminal);
	free(tags);
	free(notes);
}

const struct export_writer export_writer_csv = {
	.name = "csv",
	.begin = csv_begin,
	.row = csv_row,
};
