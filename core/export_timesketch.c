/*
 * export_timesketch.c: JSON Lines that Timesketch imports as is: its
 * message, datetime, timestamp and timestamp_desc, then every field as
 * JSON Lines has them; tags as "tag", notes as "comment".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "export_writer.h"
#include "timeparse.h"
#include "xalloc.h"

/* Timesketch's one-line summary: what, who, with which app, from where
 * (caller frees). */
static char *ts_message(const struct exporter *x, const struct export_row *r)
{
	const char *an = export_app_name(x, r->f[F_app]), *cn = export_app_name(x, r->f[F_client_app]);
	struct {
		const char *label, *v;
	} parts[] = {
		{ "", r->f[F_op] ? r->f[F_op] : "(no operation)" },
		{ " by ", r->f[F_user] },
		{ " mailbox ", r->f[F_mailbox] && (!r->f[F_user] || strcmp(r->f[F_mailbox], r->f[F_user]))
				       ? r->f[F_mailbox]
				       : NULL },
		{ " access ", r->f[F_access] },
		{ " app ", an ? an : r->f[F_app] },
		{ " client app ", cn ? cn : r->f[F_client_app] },
		{ " from ", r->f[F_ip] ? r->f[F_ip] : r->f[F_host] },
		{ " result ", r->f[F_result] },
	};
	size_t n = 1;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (parts[i].v)
			n += strlen(parts[i].label) + strlen(parts[i].v);
	char *m = xmalloc(n), *p = m;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!parts[i].v)
			continue;
		size_t a = strlen(parts[i].label), b = strlen(parts[i].v);
		memcpy(p, parts[i].label, a);
		memcpy(p + a, parts[i].v, b);
		p += a + b;
	}
	*p = '\0';
	return m;
}

static void timesketch_row(struct exporter *x, const struct export_row *r)
{
	FILE *f = x->out;
	char ts[40];
	time_format(r->ts, ts, sizeof ts);
	/* 2023-06-18T02:33:46.000Z as Timesketch's documented form,
	 * 2023-06-18T02:33:46.000+00:00, and microseconds since 1970 */
	char dt[48];
	snprintf(dt, sizeof dt, "%.23s+00:00", ts);
	char *msg = ts_message(x, r);
	/* microseconds of a time from an untrusted case: clamped as
	 * time_format clamps, so that the product cannot overflow */
	int64_t ms = r->ts < TIME_MIN_MS ? TIME_MIN_MS : r->ts > TIME_MAX_MS ? TIME_MAX_MS : r->ts;
	fputs("{\"message\":", f);
	export_json_str(f, msg);
	free(msg);
	fprintf(f,
		",\"datetime\":\"%s\",\"timestamp\":%" PRId64 ",\"timestamp_desc\":\"Event Recorded\""
		",\"data_type\":\"auditscope:%s\"",
		dt, ms * 1000, event_kind_name(r->kind));
	export_json_kv(f, "ts", ts);
	export_json_fields(x, r, "tag");
	/* Timesketch has no comments on import: the notes, attributed, as a
	 * list of text it shows and searches */
	fputs(",\"comment\":[", f);
	for (size_t i = 0; i < r->nnotes; i++) {
		char *c = xasprintf("%s (%s): %s", r->notes[i].author, r->notes[i].created, r->notes[i].text);
		if (i)
			fputc(',', f);
		export_json_str(f, c);
		free(c);
	}
	fputc(']', f);
	const struct export_source *s = export_source_of(x, r->source);
	export_json_kv(f, "source", s ? s->path : NULL);
	export_json_kv(f, "source_sha256", s ? s->sha256 : NULL);
	fprintf(f, ",\"line\":%" PRId64, r->line);
	fputs("}\n", f);
}

const struct export_writer export_writer_timesketch = {
	.name = "timesketch",
	.row = timesketch_row,
};
