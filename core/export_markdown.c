/*
 * export_markdown.c: the hand-over report: the case summary with its
 * sources and hashes, the bookmarked events by day with their notes and
 * tags, the indicators they hold (app ids with names, IPs, users,
 * mailboxes, inbox rule names, forwarding addresses), the messages their
 * MailItemsAccessed records exposed, what the evidence covers (coverage.h),
 * and how to reproduce it (export_markdown_repro.c). Every value from a
 * record or a note is shown with controls made visible and Markdown/HTML
 * syntax escaped.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <strings.h>

#include "annot.h"
#include "appnames.h"
#include "coverage.h"
#include "event.h"
#include "export_writer.h"
#include "ipgeo.h"
#include "sanitize.h"
#include "timeparse.h"
#include "util.h"
#include "xalloc.h"

/*
 * Text from a record or a note, for Markdown prose: controls made visible,
 * and the characters that Markdown or HTML would act on escaped with a
 * backslash (emphasis, code, links, tags, entities, table pipes), as is
 * a line's first character when it would start a list, quote or heading.
 */
static void md_text(FILE *f, const char *s)
{
	if (!s) /* from a case file: never trusted to hold text */
		s = "";
	char *safe = sanitize(s, strlen(s));
	/* "12. text" or "3) text" at the start would be a numbered list */
	const char *list_dot = NULL, *d = safe;
	while ('0' <= *d && *d <= '9')
		d++;
	if (d > safe && (*d == '.' || *d == ')'))
		list_dot = d;
	for (const char *p = safe; *p; p++) {
		if (strchr("\\`*_[]<>&|~", *p) != NULL || (p == safe && strchr("-+=>#!:", *p) != NULL) ||
		    p == list_dot)
			fputc('\\', f);
		fputc(*p, f);
	}
	free(safe);
}

/* A value as a code span: a fence longer than any run of backticks in
 * it; in a table, pipes escaped (GFM splits cells on them even there). */
static void md_code(FILE *f, const char *s, bool table)
{
	if (!s) /* from a case file: never trusted to hold text */
		s = "";
	char *safe = sanitize(s, strlen(s));
	size_t run = 0, longest = 0;
	for (const char *p = safe; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t len = strlen(safe);
	bool pad = len && (safe[0] == '`' || safe[len - 1] == '`' || safe[0] == ' ');
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	if (pad)
		fputc(' ', f);
	for (const char *p = safe; *p; p++) {
		if (table && *p == '|')
			fputc('\\', f);
		fputc(*p, f);
	}
	if (pad)
		fputc(' ', f);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	free(safe);
}

/* A table cell: a code span, or a dash when absent. */
static void md_cell(FILE *f, const char *s)
{
	fputs(" ", f);
	if (s && *s)
		md_code(f, s, true);
	else
		fputs("-", f);
	fputs(" |", f);
}

static void md_time(FILE *f, int64_t ms)
{
	char t[40];
	time_format(ms, t, sizeof t);
	t[10] = ' ';
	t[19] = '\0';
	fprintf(f, "%s", t);
}

struct md_src_ctx {
	FILE *f;
	int n;
};

static int md_source(const struct store_source_row *r, void *ctx)
{
	struct md_src_ctx *c = ctx;
	FILE *f = c->f;
	fprintf(f, "| %d |", ++c->n);
	md_cell(f, r->path);
	md_cell(f, r->sha256);
	md_cell(f, r->format);
	fprintf(f, " %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | ", r->c.records, r->c.events,
		r->c.duplicates, r->c.rejects);
	if (r->c.events && r->c.first_ts <= r->c.last_ts) {
		md_time(f, r->c.first_ts);
		fputs(" | ", f);
		md_time(f, r->c.last_ts);
	} else {
		fputs("- | -", f);
	}
	fputs(" |", f);
	md_cell(f, r->status);
	fputc('\n', f);
	if (r->warning && *r->warning) {
		fputs("\n> **Warning** (source ", f);
		fprintf(f, "%d): ", c->n);
		md_text(f, r->warning);
		fputs("\n\n", f);
	}
	return 0;
}

static int md_head(struct exporter *x)
{
	FILE *f = x->out;
	struct store_summary sum;
	if (store_summary(x->st, &sum, x->cause) < 0)
		return -1;
	struct annot_counts ac;
	if (annot_counts(x->st, &ac, x->cause) < 0)
		return -1;
	char now[40];
	annot_now(now, sizeof now);
	char *author = annot_author();
	fputs("# Audit log report: ", f);
	md_text(f, x->label);
	fputs("\n\nPrepared by ", f);
	md_text(f, author);
	fprintf(f, " on %s with auditscope. All times are UTC.\n\n", now);
	free(author);
	const char *filter = query_text(x->q);
	if (filter && *filter) {
		fputs("Events shown: the bookmarked events that match the filter ", f);
		md_code(f, filter, false);
		fputs(".\n\n", f);
	}
	fputs("## Case summary\n\n| | |\n|---|---|\n", f);
	fprintf(f,
		"| events | %" PRId64 " |\n| records read | %" PRId64 " |\n"
		"| duplicate records | %" PRId64 " |\n| rejected rows | %" PRId64 " |\n"
		"| messages named by MailItemsAccessed | %" PRId64 " |\n",
		sum.events, sum.records, sum.duplicates, sum.rejects, sum.messages);
	if (sum.conflicts)
		fprintf(f,
			"| conflicting records (a record id seen before with another time or value, kept"
			" verbatim) | %" PRId64 " |\n",
			sum.conflicts);
	if (sum.events > 0) {
		fputs("| first event | ", f);
		md_time(f, sum.first_ts);
		fputs(" |\n| last event | ", f);
		md_time(f, sum.last_ts);
		fputs(" |\n", f);
	}
	fprintf(f, "| bookmarks, tags, notes | %" PRId64 ", %" PRId64 ", %" PRId64 " |\n", ac.marks, ac.tags,
		ac.notes);
	/* which IP databases (and of what date) placed the addresses */
	char *dbs = ipgeo_databases(x->st);
	fputs("| IP places from | ", f);
	md_text(f, dbs ? dbs : "no lookup yet: every address unknown");
	fputs(" |\n", f);
	free(dbs);
	fprintf(f, "\n### Sources (%" PRId64 ")\n\n", sum.sources);
	fputs("Every file loaded, with the SHA-256 of its bytes as loaded: hash the evidence you hold "
	      "and compare.\n\n",
	      f);
	fputs("| # | file | SHA-256 | format | records | events | duplicates | rejects | first | last | status |\n"
	      "|---|---|---|---|---|---|---|---|---|---|---|\n",
	      f);
	struct md_src_ctx c = { f, 0 };
	if (store_each_source(x->st, md_source, &c, x->cause) < 0)
		return -1;
	fputs("\n## Bookmarked events\n\n", f);
	return 0;
}

/* Between the items of an event's line: a middle dot, or " - " on a
 * terminal that shows ASCII only (sanitize.h), where the dot's two bytes
 * would be drawn one by one. */
static const char *md_dot(void)
{
	return sanitize_ascii_only() ? " - " : " \u00b7 ";
}

/* One "label `value`" item of an event's line, with the app's name
 * after an app id when it is known; *first tracks the separator. */
static void md_item(FILE *f, bool *first, const char *label, const char *v, const char *name)
{
	if (!v)
		return;
	fputs(*first ? "" : md_dot(), f);
	*first = false;
	fprintf(f, "%s ", label);
	md_code(f, v, false);
	if (name) {
		fputs(" (", f);
		md_text(f, name);
		fputc(')', f);
	}
}

/*
 * An event as a short block: a heading with the time, operation and user,
 * then a few lines of what, who, mail, and where the record came from;
 * tags; and each note, quoted, with its author and time.
 */
/* The indicators of the bookmarked events, in order of appearance. */
enum { IND_APP, IND_IP, IND_HOST, IND_USER, IND_MAILBOX, IND_RULE, IND_FWD, IND_N };

struct indicators {
	struct util_smap set[IND_N];
};

static void ind_free(void *p)
{
	struct indicators *in = p;
	for (int i = 0; in && i < IND_N; i++)
		util_smap_free(&in->set[i]);
	free(in);
}

static void ind_add(struct indicators *in, int k, const char *v)
{
	if (v && *v)
		util_sset_add(&in->set[k], v);
}

/* Does s contain needle, in any case? */
static bool ci_has(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; s && *s; s++)
		if (strncasecmp(s, needle, n) == 0)
			return true;
	return false;
}

/* Rule names and forwarding addresses from the raw record of a rule or
 * mailbox change (Parameters, as the cmdlet was called). */
static void ind_raw(struct exporter *x, struct indicators *in, const struct export_row *r)
{
	const char *op = r->f[F_op];
	bool rule = ci_has(op, "InboxRule");
	if (!op || !(rule || strcasecmp(op, "Set-Mailbox") == 0 || ci_has(op, "TransportRule")))
		return;
	size_t len;
	char *t = store_raw(x->st, r->id, &len);
	json_t *j = t ? json_loadb(t, len, 0, NULL) : NULL;
	free(t);
	json_t *in_ad = json_object_get(j, "AuditData");
	json_t *rec = json_is_string(in_ad) ? json_loads(json_string_value(in_ad), 0, NULL) : json_incref(j);
	size_t i;
	json_t *el;
	json_array_foreach(json_object_get(rec, "Parameters"), i, el)
	{
		json_t *n = json_object_get(el, "Name"), *v = json_object_get(el, "Value");
		if (!json_is_string(n) || !json_is_string(v) || !*json_string_value(v))
			continue;
		const char *nm = json_string_value(n);
		if (rule && strcasecmp(nm, "Name") == 0)
			ind_add(in, IND_RULE, json_string_value(v));
		static const char *const fwd[] = { "ForwardTo",         "ForwardAsAttachmentTo",
						   "RedirectTo",        "ForwardingSmtpAddress",
						   "ForwardingAddress", "RedirectMessageTo",
						   "BlindCopyTo",       NULL };
		for (int k = 0; fwd[k]; k++)
			if (strcasecmp(nm, fwd[k]) == 0)
				ind_add(in, IND_FWD, json_string_value(v));
	}
	json_decref(rec);
	json_decref(j);
}

static void ind_row(struct exporter *x, const struct export_row *r)
{
	if (!x->wstate) {
		struct indicators *in = xcalloc(1, sizeof *in);
		for (int k = 0; k < IND_N; k++)
			in->set[k].nocase = true;
		x->wstate = in;
		x->wstate_free = ind_free;
	}
	struct indicators *in = x->wstate;
	ind_add(in, IND_APP, r->f[F_app]);
	ind_add(in, IND_APP, r->f[F_client_app]);
	ind_add(in, IND_IP, r->f[F_ip]);
	ind_add(in, IND_HOST, r->f[F_host]);
	ind_add(in, IND_USER, r->f[F_user]);
	ind_add(in, IND_MAILBOX, r->f[F_mailbox]);
	ind_raw(x, in, r);
}

/* ## Indicators: what to search for elsewhere (mail gateways, firewalls,
 * other tenants), each once, app ids with the name the case gives them. */
static int md_indicators(struct exporter *x)
{
	struct indicators *in = x->wstate;
	FILE *f = x->out;
	if (!in)
		return 0;
	char *cause = NULL;
	struct appnames *an = appnames_new(x->st, &cause);
	free(cause); /* without names, the ids alone */
	static const char *const label[IND_N] = {
		"App ids",   "IP addresses",     "Client host names",   "Users",
		"Mailboxes", "Inbox rule names", "Forwarding addresses"
	};
	fputs("## Indicators\n\nFrom the bookmarked events, each once", f);
	char *dbs = ipgeo_databases(x->st);
	if (dbs) {
		fputs("; places of IP addresses from ", f);
		md_text(f, dbs);
	}
	free(dbs);
	fputs(".\n\n", f);
	for (int k = 0; k < IND_N; k++) {
		const struct util_smap *m = &in->set[k];
		if (!m->n)
			continue;
		fprintf(f, "%s (%zu):\n\n", label[k], m->n);
		for (size_t i = 0; i < m->n; i++) {
			fputs("- ", f);
			md_code(f, m->keys[i], false);
			const char *origin = NULL;
			const char *nm = k == IND_APP ? appnames_lookup(an, m->keys[i], &origin) : NULL;
			if (nm) {
				fputs(" ", f);
				md_text(f, nm);
				fprintf(f, " (name from %s)", origin ? origin : "?");
			}
			if (k == IND_IP) {
				struct ipgeo_row g = { 0 };
				char *gc = NULL;
				if (ipgeo_get(x->st, m->keys[i], &g, &gc) == 0) {
					char *asn = g.asn ? xasprintf("%" PRId64, g.asn) : NULL;
					char *place =
						ipgeo_row_text(m->keys[i], g.country, asn, g.as_org, g.label);
					fputs(" ", f);
					md_text(f, place ? place : "unknown");
					free(place);
					free(asn);
				}
				free(gc);
				ipgeo_row_clear(&g);
			}
			fputs("\n", f);
		}
		fputs("\n", f);
	}
	appnames_free(an);
	return 0;
}

static void md_row(struct exporter *x, const struct export_row *r)
{
	ind_row(x, r);
	FILE *f = x->out;
	char t[40];
	time_format(r->ts, t, sizeof t);
	if (strncmp(x->day, t, 10) != 0) {
		snprintf(x->day, sizeof x->day, "%.10s", t);
		fprintf(f, "### %s\n\n", x->day);
	}
	fprintf(f, "#### %.8s ", t + 11);
	md_text(f, r->f[F_op] ? r->f[F_op] : "(no operation)");
	if (r->f[F_user]) {
		fputs(" by ", f);
		md_text(f, r->f[F_user]);
	}
	fputs("\n\n", f);
	bool first = true;
	fputs("- what: ", f);
	md_item(f, &first, "op", r->f[F_op], NULL);
	md_item(f, &first, "workload", r->f[F_workload], NULL);
	md_item(f, &first, "record type", r->f[F_rtype], NULL);
	md_item(f, &first, "result", r->f[F_result], NULL);
	fputc('\n', f);
	first = true;
	if (r->f[F_user] || r->f[F_app] || r->f[F_client_app] || r->f[F_ip] || r->f[F_host] ||
	    r->f[F_session] || r->f[F_token] || r->f[F_client_info]) {
		fputs("- who: ", f);
		md_item(f, &first, "user", r->f[F_user], NULL);
		md_item(f, &first, "app", r->f[F_app], export_app_name(x, r->f[F_app]));
		md_item(f, &first, "client app", r->f[F_client_app], export_app_name(x, r->f[F_client_app]));
		char *place = r->f[F_ip] && (r->country || r->asn)
				      ? xasprintf("%s%s%s%s%s", r->country ? r->country : "",
						  r->country && r->asn ? " " : "", r->asn ? "AS" : "",
						  r->asn ? r->asn : "", r->as_org ? " " : "")
				      : NULL;
		char *place_org = place && r->as_org ? xasprintf("%s%s", place, r->as_org) : place;
		md_item(f, &first, "ip", r->f[F_ip], place_org);
		md_item(f, &first, "host", r->f[F_host], NULL);
		if (place_org != place)
			free(place_org);
		free(place);
		md_item(f, &first, "session", r->f[F_session], NULL);
		md_item(f, &first, "token", r->f[F_token], NULL);
		md_item(f, &first, "client", r->f[F_client_info], NULL);
		fputc('\n', f);
	}
	if (r->f[F_mailbox] || r->f[F_access] || r->op_count >= 0 || (r->flags & EVF_THROTTLED)) {
		first = true;
		fputs("- mail: ", f);
		md_item(f, &first, "mailbox", r->f[F_mailbox], NULL);
		md_item(f, &first, "access", r->f[F_access], NULL);
		if (r->op_count >= 0) {
			fprintf(f, "%s%" PRId64 " operations", first ? "" : md_dot(), r->op_count);
			first = false;
		}
		if (r->flags & EVF_THROTTLED)
			fprintf(f, "%s**throttled**: further binds in this mailbox went unaudited for 24 hours",
				first ? "" : md_dot());
		fputc('\n', f);
	}
	const struct export_source *s = export_source_of(x, r->source);
	fputs("- record: ", f);
	md_code(f, r->f[F_record_id], false);
	fprintf(f, " (%s) from ", event_kind_name(r->kind));
	if (s)
		md_code(f, s->path, false);
	else
		fputs("an unknown source", f);
	fprintf(f, " line %" PRId64, r->line);
	if (s && s->sha256) {
		fputs(", SHA-256 ", f);
		md_code(f, s->sha256, false);
	}
	fputc('\n', f);
	if (r->ntags) {
		fputs("- tags: ", f);
		for (size_t i = 0; i < r->ntags; i++) {
			if (i)
				fputs(", ", f);
			md_code(f, r->tags[i], false);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->nnotes; i++) {
		fputs("Note by ", f);
		md_text(f, r->notes[i].author);
		fputs(" (", f); /* an imported note's time is text from someone else */
		md_text(f, r->notes[i].created ? r->notes[i].created : "");
		fputs("):\n\n", f);
		/* each line of the note quoted, escaped on its own */
		const char *p = r->notes[i].text;
		for (;;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *line = xstrndup(p, n);
			fputs(n ? "> " : ">", f);
			md_text(f, line);
			free(line);
			fputc('\n', f);
			if (!nl)
				break;
			p = nl + 1;
		}
		fputc('\n', f);
	}
}

/*
 * The messages the bookmarked MailItemsAccessed events named: one row per
 * mailbox and internet message id (Bind), or per mailbox and folder for a
 * Sync, where every item of the folder counts as exposed. The store
 * groups them (query_marked_mailboxes, query_marked_messages).
 */
struct md_msgs {
	struct exporter *x;
	int64_t rows, n, sync;
};

/* per mailbox first: which mailboxes, how much, since when */
static int md_mailbox(const struct store_msg_mailbox *m, void *ctx)
{
	struct md_msgs *c = ctx;
	FILE *f = c->x->out;
	if (c->rows++ == 0)
		fputs("| mailbox | messages read | folders synchronised | first | last | events |\n"
		      "|---|---|---|---|---|---|\n",
		      f);
	fputs("|", f);
	md_cell(f, m->mailbox);
	fprintf(f, " %lld | %lld | ", (long long)m->messages, (long long)m->folders);
	md_time(f, m->first);
	fputs(" | ", f);
	md_time(f, m->last);
	fprintf(f, " | %lld |\n", (long long)m->events);
	return 0;
}

/* then every message (Bind), or folder (Sync) */
static int md_message(const struct store_msg_item *m, void *ctx)
{
	struct md_msgs *c = ctx;
	FILE *f = c->x->out;
	if (m->msgid)
		c->n++;
	else
		c->sync++;
	fputs("|", f);
	md_cell(f, m->mailbox);
	if (m->msgid)
		md_cell(f, m->msgid);
	else
		fputs(" every item (folder synchronised) |", f);
	md_cell(f, m->folder);
	md_cell(f, m->access);
	fputs(" ", f);
	md_time(f, m->first);
	fputs(" | ", f);
	md_time(f, m->last);
	fprintf(f, " | %lld |", (long long)m->events);
	for (int c8 = 0; c8 < 2; c8++) {
		int64_t k = c8 == 0 ? m->apps : m->ips;
		const char *v = c8 == 0 ? m->app : m->ip;
		const char *name = c8 == 0 ? export_app_name(c->x, v) : NULL;
		if (k > 1) {
			fprintf(f, " %lld different |", (long long)k);
		} else if (name) {
			fputs(" ", f);
			md_code(f, v, true);
			fputs(" (", f);
			md_text(f, name);
			fputs(") |", f);
		} else {
			md_cell(f, v);
		}
	}
	fputc('\n', f);
	return 0;
}

static int md_messages(struct exporter *x, int64_t *count)
{
	FILE *f = x->out;
	fputs("## Messages exposed by bookmarked MailItemsAccessed events\n\n", f);
	struct md_msgs c = { .x = x };
	if (query_marked_mailboxes(x->q, md_mailbox, &c, x->cause) < 0)
		return -1;
	if (c.rows == 0) {
		fputs("None: no bookmarked MailItemsAccessed event names a message or folder.\n\n", f);
		*count = 0;
		return 0;
	}
	fputc('\n', f);
	fputs("| mailbox | internet message id | folder | access | first | last | events | app | ip |\n"
	      "|---|---|---|---|---|---|---|---|---|\n",
	      f);
	if (query_marked_messages(x->q, md_message, &c, x->cause) < 0)
		return -1;
	fprintf(f,
		"\n%" PRId64 " messages read individually (Bind), %" PRId64
		" folders synchronised (Sync: every item in them counts as exposed).\n\n",
		c.n, c.sync);
	*count = c.n;
	return 0;
}


/* "## What the evidence covers": where no record means something. */
static int md_coverage(struct exporter *x)
{
	FILE *f = x->out;
	struct coverage *c = NULL;
	if (coverage_build(x->st, NULL, &c, x->cause) < 0)
		return -1;
	fputs("## What the evidence covers\n\n"
	      "No record of an access means no access only where the logs cover the time: the first and "
	      "last moment of each kind of log, its days with records (a bar a day, blank for none), and "
	      "its gaps.\n\n",
	      f);
	size_t per = 1;
	for (int k = 0; k < KIND_COUNT && c->ndays; k++)
		if (c->kinds[k].events) {
			free(coverage_bars(c, &c->kinds[k], 60, &per));
			break;
		}
	fputs("| kind of log | first | last | events | days with records | gaps | retention | per day |\n"
	      "|---|---|---|---|---|---|---|---|\n",
	      f);
	for (int k = 0; k < KIND_COUNT; k++) {
		const struct coverage_series *s = &c->kinds[k];
		if (!s->events)
			continue;
		fprintf(f, "| %s | ", event_kind_name(k));
		md_time(f, s->first);
		fputs(" | ", f);
		md_time(f, s->last);
		int days = coverage_retention_days(k, NULL);
		char ret[32] = "-";
		if (days)
			snprintf(ret, sizeof ret, "%d days", days);
		char *bars = coverage_bars(c, s, 60, NULL);
		fprintf(f, " | %" PRId64 " | %" PRId64 " | %zu | %s | `%s` |\n", s->events, s->active_days,
			s->ngaps, ret, bars);
		free(bars);
	}
	if (per > 1)
		fprintf(f, "\nA bar is %zu days.\n", per);
	bool any = false;
	for (int k = 0; k < KIND_COUNT; k++)
		for (size_t i = 0; i < c->kinds[k].ngaps; i++) {
			if (!any)
				fputs("\nGaps:\n\n", f);
			any = true;
			char *t = coverage_gap_text(&c->kinds[k].gaps[i]);
			fprintf(f, "- %s: %s\n", event_kind_name(k), t);
			free(t);
		}
	any = false;
	for (size_t i = 0; i < c->nsources; i++) {
		const struct coverage_source *s = &c->sources[i];
		if (!s->cuts)
			continue;
		if (!any)
			fputs("\nExports cut short:\n\n", f);
		any = true;
		char *t = coverage_cut_text(s->cuts);
		fputs("- ", f);
		md_code(f, s->path, false);
		fprintf(f, " (%" PRId64 " records): %s", s->records, t);
		if (s->warning) {
			fputs(": ", f);
			md_text(f, s->warning);
		}
		fputs("\n", f);
		free(t);
	}
	if (c->nthrottled) {
		fputs("\nMailboxes throttled (IsThrottled: 24 hours of reads unaudited after each):\n\n", f);
		for (size_t i = 0; i < c->nthrottled; i++) {
			fputs("- ", f);
			md_code(f, c->throttled[i].mailbox, false);
			fputs(" from ", f);
			md_time(f, c->throttled[i].ts);
			fputs(" to ", f);
			/* a crafted case's time may sit at INT64_MAX */
			md_time(f, c->throttled[i].ts > INT64_MAX - 86400000 ? INT64_MAX
									     : c->throttled[i].ts + 86400000);
			fputs("\n", f);
		}
	}
	if (c->nunread) {
		fputs("\nMailboxes with activity in the UAL but no MailItemsAccessed record:", f);
		for (size_t i = 0; i < c->nunread; i++) {
			fputs(i ? ", " : " ", f);
			md_code(f, c->unread_mailboxes[i], false);
		}
		fputs(".\n", f);
	}
	if (c->nnotes) {
		fputs("\nNot covered:\n\n", f);
		for (size_t i = 0; i < c->nnotes; i++) {
			fputs("- ", f);
			md_text(f, c->notes[i]);
			fputs("\n", f);
		}
	}
	fputs("\n", f);
	coverage_free(c);
	return 0;
}

static int md_end(struct exporter *x)
{
	if (x->done == 0)
		fprintf(x->out, "No event is bookmarked%s.\n\n",
			query_text(x->q)[0] ? " among those the filter matches" : "");
	if (md_indicators(x) < 0 || md_messages(x, &x->messages) < 0 || md_coverage(x) < 0 ||
	    export_markdown_reproduce(x) < 0)
		return -1;
	return 0;
}

const struct export_writer export_writer_markdown = {
	.name = "markdown",
	.alias = "md",
	.marked = true,
	.begin = md_head,
	.row = md_row,
	.end = md_end,
};
