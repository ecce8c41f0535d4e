/*
 * export_jsonl.c: the JSON Lines writer: one object a line with every
 * field, the annotations, the provenance and the raw record; and the JSON
 * helpers Timesketch's writer shares.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "export_writer.h"
#include "sanitize.h"
#include "timeparse.h"
#include "xalloc.h"

void export_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	/* most values are plain printable ASCII: written as they are */
	const unsigned char *p = (const unsigned char *)s;
	while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
		p++;
	fputc('"', f);
	if (*p == '\0') {
		fwrite(s, 1, (size_t)(p - (const unsigned char *)s), f);
	} else {
		char *e = json_escape(s, strlen(s));
		fputs(e, f);
		free(e);
	}
	fputc('"', f);
}

void export_json_kv(FILE *f, const char *key, const char *s)
{
	fputs(",\"", f);
	fputs(key, f);
	fputs("\":", f);
	export_json_str(f, s);
}

void export_json_fields(struct exporter *x, const struct export_row *r, const char *tags_key)
{
	FILE *f = x->out;
	export_json_kv(f, "record_id", r->f[F_record_id]);
	export_json_kv(f, "kind", event_kind_name(r->kind));
	for (int i = F_record_id + 1; i < NFIELDS; i++)
		export_json_kv(f, export_field_names[i], r->f[i]);
	export_json_kv(f, "country", r->country);
	export_json_kv(f, "asn", r->asn);
	export_json_kv(f, "as_org", r->as_org);
	export_json_kv(f, "app_name", export_app_name(x, r->f[F_app]));
	export_json_kv(f, "client_app_name", export_app_name(x, r->f[F_client_app]));
	if (r->op_count >= 0)
		fprintf(f, ",\"op_count\":%" PRId64, r->op_count);
	else
		fputs(",\"op_count\":null", f);
	fprintf(f, ",\"throttled\":%s,\"marked\":%s", (r->flags & EVF_THROTTLED) ? "true" : "false",
		r->marked ? "true" : "false");
	fprintf(f, ",\"%s\":[", tags_key);
	for (size_t i = 0; i < r->ntags; i++) {
		if (i)
			fputc(',', f);
		export_json_str(f, r->tags[i]);
	}
	fputc(']', f);
}

struct seen_out {
	FILE *f;
	struct store *st;
	int n;
};

/* One other source of the event; its copy's raw record when a richer
 * copy replaced it (the evidence of what that source said), else null. */
static int put_seen(const char *path, int64_t line, int64_t raw, void *ctx)
{
	struct seen_out *o = ctx;
	fputs(o->n++ ? ",{" : "{", o->f);
	fputs("\"path\":", o->f);
	export_json_str(o->f, path);
	fprintf(o->f, ",\"line\":%" PRId64 ",\"raw\":", line);
	size_t len;
	char *t = raw ? store_raw(o->st, raw, &len) : NULL;
	char *safe = t ? json_one_line(json_text_safe(t, len)) : NULL;
	fputs(safe ? safe : "null", o->f);
	fputc('}', o->f);
	free(safe);
	free(t);
	return 0;
}

static void jsonl_row(struct exporter *x, const struct export_row *r)
{
	FILE *f = x->out;
	char ts[40];
	time_format(r->ts, ts, sizeof ts);
	fprintf(f, "{\"ts\":\"%s\"", ts);
	export_json_fields(x, r, "tags");
	fputs(",\"notes\":[", f);
	for (size_t i = 0; i < r->nnotes; i++) {
		fputs(i ? ",{\"author\":" : "{\"author\":", f);
		export_json_str(f, r->notes[i].author);
		export_json_kv(f, "created", r->notes[i].created);
		export_json_kv(f, "text", r->notes[i].text);
		fputc('}', f);
	}
	fputc(']', f);
	const struct export_source *s = export_source_of(x, r->source);
	export_json_kv(f, "source", s ? s->path : NULL);
	export_json_kv(f, "source_sha256", s ? s->sha256 : NULL);
	fprintf(f, ",\"line\":%" PRId64, r->line);
	/* the other exports the same record was read from */
	fputs(",\"seen_in\":[", f);
	struct seen_out so = { f, x->st, 0 };
	store_event_seen(x->st, r->id, put_seen, &so, NULL);
	fputc(']', f);
	fputs(",\"raw\":", f);
	fputs(r->raw ? r->raw : "null", f);
	fputs("}\n", f);
}

const struct export_writer export_writer_jsonl = {
	.name = "jsonl",
	.alias = "json",
	.raw = true,
	.row = jsonl_row,
};
