/*
 * normalize.c: the field mapping of core/README.md ("Formats"), applied to one record.
 *
 * Each kind of record is walked once at its top level; the members that
 * matter are recognised by name through a small hash table and kept as
 * spans, then turned into the event (unescaped, lower-cased, IPs stripped)
 * in the arena. Nested JSON text (Sentinel's Folders and
 * OperationProperties strings, a wrapper's AuditData string, Parameters
 * values) is unescaped into the arena and scanned again.
 */
#include "normalize.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "normalize_priv.h"
#include "timeparse.h"
#include "xalloc.h"

const char *normalize_kind_name(enum rec_kind k)
{
	switch (k) {
	case REC_UAL: return "ual-json";
	case REC_WRAPPED: return "ual-json-wrapped";
	case REC_SENTINEL: return "sentinel-officeactivity";
	case REC_GRAPH_AUDIT: return "graph-audit";
	case REC_SIGNIN: return "entra-signin-json";
	case REC_DIRAUDIT: return "entra-audit-json";
	default: {
		const char *n = logs_kind_name(k);
		return n ? n : "unknown";
	}
	}
}

/* Office 365 Management Activity API AuditLogRecordType values (public
 * schema documentation, "AuditLogRecordType"). */
#define R(name)                       \
	{                             \
		name, sizeof name - 1 \
	}
static const struct {
	const char *s;
	size_t n;
} rtypes[] = {
	[1] = R("ExchangeAdmin"),
	[2] = R("ExchangeItem"),
	[3] = R("ExchangeItemGroup"),
	[4] = R("SharePoint"),
	[6] = R("SharePointFileOperation"),
	[7] = R("OneDrive"),
	[8] = R("AzureActiveDirectory"),
	[9] = R("AzureActiveDirectoryAccountLogon"),
	[10] = R("DataCenterSecurityCmdlet"),
	[11] = R("ComplianceDLPSharePoint"),
	[13] = R("ComplianceDLPExchange"),
	[14] = R("SharePointSharingOperation"),
	[15] = R("AzureActiveDirectoryStsLogon"),
	[18] = R("SecurityComplianceCenterEOPCmdlet"),
	[19] = R("ExchangeAggregatedOperation"),
	[20] = R("PowerBIAudit"),
	[21] = R("CRM"),
	[22] = R("Yammer"),
	[23] = R("SkypeForBusinessCmdlets"),
	[24] = R("Discovery"),
	[25] = R("MicrosoftTeams"),
	[28] = R("ThreatIntelligence"),
	[29] = R("MailSubmission"),
	[30] = R("MicrosoftFlow"),
	[32] = R("MicrosoftStream"),
	[35] = R("Project"),
	[36] = R("SharePointListOperation"),
	[40] = R("SecurityComplianceAlerts"),
	[41] = R("ThreatIntelligenceUrl"),
	[43] = R("MIPLabel"),
	[45] = R("PowerAppsApp"),
	[47] = R("ThreatIntelligenceAtpContent"),
	[50] = R("ExchangeItemAggregated"),
	[51] = R("HygieneEvent"),
	[52] = R("DataInsightsRestApiAudit"),
	[54] = R("SharePointListItemOperation"),
	[57] = R("MicrosoftTeamsAdmin"),
	[64] = R("AirInvestigation"),
	[65] = R("Quarantine"),
	[66] = R("MicrosoftForms"),
	[78] = R("WDATPAlerts"),
	[82] = R("SensitivityLabelPolicyMatch"),
	[83] = R("SensitivityLabelAction"),
	[84] = R("SensitivityLabeledFileAction"),
	[101] = R("ExchangeSearch"),
	[102] = R("SharePointSearch"),
};
#undef R

/* By number, one index (every UAL record asks: a search through a list
 * was 90 instructions a record). */
const char *normalize_rtype_name(long long n)
{
	if (n < 0 || n >= (long long)(sizeof rtypes / sizeof rtypes[0]))
		return NULL;
	return rtypes[n].s;
}

void norm_init(struct norm *nm)
{
	memset(nm, 0, sizeof *nm);
}

void norm_free(struct norm *nm)
{
	if (!nm)
		return;
	free(nm->arena);
	free(nm->msgs);
	memset(nm, 0, sizeof *nm);
}

void norm_reset(struct norm *nm, size_t n)
{
	/* Unescaping never grows a string; a record is read at most three
	 * levels deep (wrapper, AuditData text, a nested JSON string), and
	 * the derived copies (lower-case user, stripped IP) are small. */
	size_t want = 4 * n + 8192;
	if (nm->acap < want) {
		free(nm->arena);
		nm->acap = want;
		nm->arena = xmalloc(want);
	}
	nm->alen = 0;
}

struct sv norm_copy(struct norm *nm, const char *p, size_t n)
{
	struct sv r = { nm->arena + nm->alen, n };
	if (nm->alen + n + 1 > nm->acap) {
		/* Cannot happen after norm_reset; refuse rather than overflow. */
		r.p = NULL;
		r.n = 0;
		return r;
	}
	memcpy(nm->arena + nm->alen, p, n);
	nm->alen += n;
	nm->arena[nm->alen++] = '\0';
	return r;
}

/* A string value as text in the arena (unescaped when needed); absent for
 * null, empty strings and non-strings other than numbers and booleans. */
static struct sv text_unescaped(struct norm *nm, const struct jval *v)
{
	struct sv r = { NULL, 0 };
	if (nm->alen + json_str_len(v) + 1 > nm->acap)
		return r;
	r.p = nm->arena + nm->alen;
	r.n = json_unescape(v, nm->arena + nm->alen);
	nm->alen += r.n;
	nm->arena[nm->alen++] = '\0';
	return r;
}

/* In line: about 25 a record, nearly all plain strings. */
static inline struct sv text_of(struct norm *nm, const struct jval *v)
{
	struct sv r = { NULL, 0 };
	if (!v->p)
		return r;
	if (v->t == JT_STR) {
		if (json_str_len(v) == 0)
			return r;
		if (v->esc)
			return text_unescaped(nm, v);
		r.p = json_str_ptr(v);
		r.n = json_str_len(v);
		return r;
	}
	if (v->t == JT_NUM || v->t == JT_TRUE || v->t == JT_FALSE) {
		r.p = v->p;
		r.n = v->n;
	}
	return r;
}

static struct sv lower(struct norm *nm, struct sv s)
{
	if (!s.p)
		return s;
	size_t i = 0;
#ifdef __SSE2__
	/* most texts have no capital: find the first one 16 bytes at a time
	 * ('A'..'Z' moved to the bottom of the signed range, one compare) */
	const __m128i shift = _mm_set1_epi8((char)(0x80 - 'A')), top = _mm_set1_epi8((char)(0x80 + 26));
	bool found = false;
	for (; i + 16 <= s.n; i += 16) {
		__m128i v = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s.p + i)), shift);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, top));
		if (mask) {
			i += (size_t)__builtin_ctz(mask);
			found = true;
			break;
		}
	}
	if (s.n < 16 && s.n >= 4) {
		/* a short text (an IPv4, a short name) as two words that
		 * overlap, not a byte at a time: 8 bytes each from 8, 4 below */
		unsigned w = s.n >= 8 ? 8 : 4;
		__m128i a = w == 8 ? _mm_loadl_epi64((const __m128i *)(const void *)s.p)
				   : _mm_cvtsi32_si128((int)util_load4(s.p));
		__m128i z = w == 8 ? _mm_loadl_epi64((const __m128i *)(const void *)(s.p + s.n - 8))
				   : _mm_cvtsi32_si128((int)util_load4(s.p + s.n - 4));
		unsigned keep = (1u << w) - 1;
		unsigned ma = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(a, shift), top)) & keep;
		unsigned mz = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(z, shift), top)) & keep;
		if (!ma && !mz)
			return s;
		i = ma ? (size_t)__builtin_ctz(ma) : s.n - w + (size_t)__builtin_ctz(mz);
	}
	if (!found && i < s.n && s.n >= 16) {
		/* the tail as the last 16 bytes, overlapping bytes already seen
		 * to have no capital (a GUID or an address is 16 and a few: the
		 * byte loop was most of the cost) */
		size_t t = s.n - 16;
		__m128i v = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s.p + t)), shift);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, top));
		if (!mask)
			return s;
		i = t + (size_t)__builtin_ctz(mask);
	}
#endif
	for (; i < s.n; i++)
		if (s.p[i] >= 'A' && s.p[i] <= 'Z')
			break;
	if (i == s.n)
		return s;
	struct sv r = norm_copy(nm, s.p, s.n);
	if (!r.p)
		return s;
	char *w = (char *)r.p;
	for (; i < r.n; i++)
		if (w[i] >= 'A' && w[i] <= 'Z')
			w[i] = (char)(w[i] + 32);
	return r;
}

static enum rec_kind classify(const struct norm_members *m)
{
	if (norm_has(m, K_auditData) && (norm_has(m, K_createdDateTime) || norm_has(m, K_operation)))
		return REC_GRAPH_AUDIT;
	if (norm_has(m, K_AuditData))
		return REC_WRAPPED;
	if (norm_has(m, K_OfficeId) || norm_has(m, K_OfficeWorkload) ||
	    (norm_has(m, K_TimeGenerated) && norm_has(m, K_Operation)))
		return REC_SENTINEL;
	if (norm_has(m, K_CreationTime) && (norm_has(m, K_Operation) || norm_has(m, K_Id)))
		return REC_UAL;
	if (norm_has(m, K_activityDateTime) &&
	    (norm_has(m, K_activityDisplayName) || norm_has(m, K_initiatedBy)))
		return REC_DIRAUDIT;
	if (norm_has(m, K_createdDateTime) && (norm_has(m, K_ipAddress) || norm_has(m, K_appId) ||
					       norm_has(m, K_uniqueTokenIdentifier) || norm_has(m, K_status)))
		return REC_SIGNIN;
	return REC_UNKNOWN;
}

/* The UAL's shapes first, on the fast path; then the other logs
 * (normalize_logs.c), which also tell sign-ins and directory audits in
 * their Sentinel spelling and alerts from sign-ins. */
static enum rec_kind classify_all(const struct norm_members *m, const struct jval *obj)
{
	enum rec_kind k = classify(m);
	if (k == REC_UNKNOWN || k == REC_SIGNIN || k == REC_DIRAUDIT) {
		enum rec_kind x = logs_classify(obj);
		if (x != REC_UNKNOWN)
			return x;
	}
	return k;
}

enum rec_kind normalize_classify(const struct jval *obj)
{
	struct norm_members m;
	norm_collect(obj, &m);
	return classify_all(&m, obj);
}

static void set_if_empty(struct sv *dst, struct sv v)
{
	if (!dst->p && v.p)
		*dst = v;
}

static struct sv rtype_of(struct norm *nm, const struct jval *v)
{
	long long n;
	/* the name's length from the table, not a strlen call a record */
	if (v->p && json_get_int(v, &n) && n >= 0 && n < (long long)(sizeof rtypes / sizeof rtypes[0]) &&
	    rtypes[n].s)
		return (struct sv){ rtypes[n].s, rtypes[n].n };
	return text_of(nm, v);
}

static bool is_true(struct norm *nm, const struct jval *v)
{
	if (v->t == JT_TRUE)
		return true;
	struct sv t = text_of(nm, v);
	return t.p && t.n == 4 && strncasecmp(t.p, "true", 4) == 0;
}

/* The UAL fields of an AuditData-shaped object (also Sentinel rows). */
static void ual_fields(struct norm *nm, const struct norm_members *m, struct event *ev)
{
	struct jval v;
	set_if_empty(&ev->record_id, text_of(nm, &m->v[K_Id]));
	set_if_empty(&ev->record_id, text_of(nm, &m->v[K_OfficeId]));
	set_if_empty(&ev->op, text_of(nm, &m->v[K_Operation]));
	set_if_empty(&ev->rtype, rtype_of(nm, &m->v[K_RecordType]));
	set_if_empty(&ev->workload, text_of(nm, &m->v[K_Workload]));
	set_if_empty(&ev->workload, text_of(nm, &m->v[K_OfficeWorkload]));
	set_if_empty(&ev->user, lower(nm, text_of(nm, &m->v[K_UserId])));
	set_if_empty(&ev->app, lower(nm, text_of(nm, &m->v[K_AppId])));
	set_if_empty(&ev->app, lower(nm, text_of(nm, &m->v[K_ApplicationId])));
	set_if_empty(&ev->client_app, lower(nm, text_of(nm, &m->v[K_ClientAppId])));
	/* Exchange mailbox records carrying both: ClientIPAddress is the
	 * client, ClientIP often a Microsoft front end (2603:10b6:...); the
	 * other stays in the raw record */
	if (norm_has(m, K_MailboxOwnerUPN))
		normalize_addr(nm, text_of(nm, &m->v[K_ClientIPAddress]), &ev->ip, &ev->host);
	normalize_addr(nm, text_of(nm, &m->v[K_ClientIP]), &ev->ip, &ev->host);
	normalize_addr(nm, text_of(nm, &m->v[K_ClientIPAddress]), &ev->ip, &ev->host);
	normalize_addr(nm, text_of(nm, &m->v[K_Client_IPAddress]), &ev->ip, &ev->host);
	normalize_addr(nm, text_of(nm, &m->v[K_ActorIpAddress]), &ev->ip, &ev->host);
	if (ev->op.p && ev->op.n == 15 && memcmp(ev->op.p, "UserLoginFailed", 15) == 0) {
		/* ResultStatus says "Success" (the record was written);
		 * ErrorNumber and LogonError say the logon failed */
		struct sv num = text_of(nm, &m->v[K_ErrorNumber]), err = text_of(nm, &m->v[K_LogonError]);
		/* as Entra's copy of the same logon says it, the code and then
		 * the reason: Failure (50126: InvalidUserNameOrPassword) */
		struct sv why = num.p ? num : err;
		char buf[256];
		int k = num.p && err.p ? snprintf(buf, sizeof buf, "Failure (%.*s: %.*s)",
						  (int)(num.n < 40 ? num.n : 40), num.p,
						  (int)(err.n < 160 ? err.n : 160), err.p)
			: why.p        ? snprintf(buf, sizeof buf, "Failure (%.*s)",
						  (int)(why.n < 100 ? why.n : 100), why.p)
				       : snprintf(buf, sizeof buf, "Failure");
		ev->result = norm_copy(nm, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
	}
	set_if_empty(&ev->result, text_of(nm, &m->v[K_ResultStatus]));
	set_if_empty(&ev->session, text_of(nm, &m->v[K_SessionId]));
	/* UserLoggedIn names its session in DeviceProperties */
	if (!ev->session.p && norm_has(m, K_DeviceProperties) &&
	    norm_name_value(nm, &m->v[K_DeviceProperties], "SessionId", &v))
		ev->session = text_of(nm, &v);
	set_if_empty(&ev->mailbox, lower(nm, text_of(nm, &m->v[K_MailboxOwnerUPN])));
	set_if_empty(&ev->client_info, text_of(nm, &m->v[K_ClientInfoString]));
	if (norm_has(m, K_AppAccessContext)) {
		/* one walk over the object for its three members (the first
		 * of each, as json_get finds it) */
		struct jval ctx, k, sid = { 0 }, tok = { 0 }, capp = { 0 };
		if (norm_container(nm, &m->v[K_AppAccessContext], JT_OBJ, &ctx)) {
			struct jiter it;
			json_iter_init(&it, &ctx);
			while (json_iter_next(&it, &k, &v)) {
				if (!sid.p && json_str_eq(&k, "AADSessionId"))
					sid = v;
				else if (!tok.p && json_str_eq(&k, "UniqueTokenId"))
					tok = v;
				else if (!capp.p && json_str_eq(&k, "ClientAppId"))
					capp = v;
			}
			/* the Entra session, named as such: it wins over the
			 * record's own SessionId (core/sqlite/session.c's rule) */
			struct sv t = sid.p ? text_of(nm, &sid) : (struct sv){ NULL, 0 };
			if (t.p && t.n)
				ev->session = t;
			if (tok.p)
				set_if_empty(&ev->token, text_of(nm, &tok));
			if (capp.p)
				set_if_empty(&ev->client_app, lower(nm, text_of(nm, &capp)));
		}
	}
	if (norm_has(m, K_OperationProperties)) {
		static const struct sv names[] = { { "MailAccessType", 14 }, { "IsThrottled", 11 } };
		struct jval vals[2];
		bool found[2];
		norm_name_values(nm, &m->v[K_OperationProperties], names, 2, vals, found);
		if (found[0])
			set_if_empty(&ev->access, text_of(nm, &vals[0]));
		if (found[1] && is_true(nm, &vals[1]))
			ev->flags |= EVF_THROTTLED;
	}
	if (norm_has(m, K_ExtendedProperties) && !ev->client_info.p &&
	    norm_name_value(nm, &m->v[K_ExtendedProperties], "UserAgent", &v))
		ev->client_info = text_of(nm, &v);
	if (norm_has(m, K_OperationCount)) {
		long long n;
		if (json_get_int(&m->v[K_OperationCount], &n))
			ev->op_count = n;
	}
	if (norm_has(m, K_Folders))
		norm_folders(nm, &m->v[K_Folders], ev);
}

static bool set_time(struct norm *nm, const struct jval *v, struct event *ev)
{
	struct sv t = text_of(nm, v);
	int64_t ms;
	if (t.p && time_parse_ex(t.p, t.n, nm->dates, &nm->dates_seen, &ms)) {
		ev->ts = ms;
		return true;
	}
	return false;
}

static void clear_event(struct event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = KIND_UAL;
	ev->ts = INT64_MIN;
	ev->op_count = -1;
}

/* A wrapper's user is lower-cased here, when it is taken (the CSV
 * column's copy was made for every record and used by almost none). */
static int finish(struct norm *nm, struct event *ev, const struct wrapper_hints *h, const char **why)
{
	if (h) {
		set_if_empty(&ev->record_id, h->record_id);
		set_if_empty(&ev->op, h->op);
		if (!ev->user.p && h->user.p)
			ev->user = lower(nm, h->user);
		set_if_empty(&ev->rtype, h->rtype);
		if (ev->ts == INT64_MIN && h->date.p) {
			int64_t ms;
			if (!time_parse_ex(h->date.p, h->date.n, nm->dates, &nm->dates_seen, &ms)) {
				*why = "unreadable date";
				return -1;
			}
			ev->ts = ms;
			ev->flags |= EVF_NO_TIME;
		}
	}
	if (ev->ts == INT64_MIN) {
		*why = "no event time in the record";
		return -1;
	}
	return 0;
}

static int norm_ual(struct norm *nm, const struct norm_members *m, const struct wrapper_hints *h,
		    struct event *ev, const char **why)
{
	if (norm_has(m, K_CreationTime) && !set_time(nm, &m->v[K_CreationTime], ev)) {
		*why = "unreadable CreationTime";
		return -1;
	}
	if (ev->ts == INT64_MIN && norm_has(m, K_TimeGenerated) && !set_time(nm, &m->v[K_TimeGenerated], ev)) {
		*why = "unreadable TimeGenerated";
		return -1;
	}
	ual_fields(nm, m, ev);
	return finish(nm, ev, h, why);
}

static int norm_wrapped(struct norm *nm, const struct norm_members *m, const struct wrapper_hints *h0,
			struct event *ev, const char **why)
{
	struct jval ad;
	struct wrapper_hints h = { 0 };
	h.date = text_of(nm, &m->v[K_CreationDate]);
	h.record_id = text_of(nm, &m->v[K_RecordId]);
	set_if_empty(&h.record_id, text_of(nm, &m->v[K_Identity]));
	h.op = text_of(nm, &m->v[K_Operation]);
	set_if_empty(&h.op, text_of(nm, &m->v[K_Operations]));
	h.user = lower(nm, text_of(nm, &m->v[K_UserId]));
	set_if_empty(&h.user, lower(nm, text_of(nm, &m->v[K_UserIds])));
	h.rtype = rtype_of(nm, &m->v[K_RecordType]);
	if (h0) {
		set_if_empty(&h.date, h0->date);
		set_if_empty(&h.record_id, h0->record_id);
		set_if_empty(&h.op, h0->op);
		set_if_empty(&h.user, h0->user);
		set_if_empty(&h.rtype, h0->rtype);
	}
	if (!norm_container(nm, &m->v[K_AuditData], JT_OBJ, &ad)) {
		*why = "AuditData is not a JSON object";
		return -1;
	}
	/* The record is the AuditData; the wrapper only fills gaps. */
	ev->raw.p = ad.p;
	ev->raw.n = ad.n;
	struct norm_members inner;
	norm_collect(&ad, &inner);
	return norm_ual(nm, &inner, &h, ev, why);
}

static int norm_graph_audit(struct norm *nm, const struct norm_members *m, struct event *ev, const char **why)
{
	struct jval ad;
	struct wrapper_hints h = { 0 };
	h.date = text_of(nm, &m->v[K_createdDateTime]);
	h.record_id = text_of(nm, &m->v[K_id]);
	h.op = text_of(nm, &m->v[K_operation]);
	h.user = lower(nm, text_of(nm, &m->v[K_userPrincipalName]));
	h.rtype = text_of(nm, &m->v[K_auditLogRecordType]);
	if (norm_container(nm, &m->v[K_auditData], JT_OBJ, &ad)) {
		struct norm_members inner;
		norm_collect(&ad, &inner);
		if (norm_ual(nm, &inner, &h, ev, why) < 0)
			return -1;
	} else if (finish(nm, ev, &h, why) < 0) {
		return -1;
	}
	normalize_addr(nm, text_of(nm, &m->v[K_clientIp]), &ev->ip, &ev->host);
	set_if_empty(&ev->workload, text_of(nm, &m->v[K_service]));
	return 0;
}

static int dispatch(struct norm *nm, enum rec_kind kind, const struct jval *obj, const struct norm_members *m,
		    const struct wrapper_hints *hints, struct event *ev, const char **why)
{
	clear_event(ev);
	ev->raw.p = obj->p;
	ev->raw.n = obj->n;
	nm->ps_seen = nm->ps_lost_msgs = 0;
	switch (kind) {
	case REC_UAL:
	case REC_SENTINEL: {
		int rc = norm_ual(nm, m, hints, ev, why);
		if (nm->ps_seen)
			ev->flags |= EVF_PS_TRUNCATED;
		return rc;
	}
	case REC_WRAPPED: return norm_wrapped(nm, m, hints, ev, why);
	case REC_GRAPH_AUDIT: return norm_graph_audit(nm, m, ev, why);
	case REC_UNKNOWN:
	case REC_COUNT: *why = "not an audit record (no recognised time and operation fields)"; return -1;
	default: return logs_normalize(nm, kind, obj, ev, why, 0);
	}
}

int normalize_json(struct norm *nm, enum rec_kind kind, const struct jval *obj,
		   const struct wrapper_hints *hints, struct event *ev, const char **why)
{
	struct norm_members m;
	norm_collect(obj, &m);
	return dispatch(nm, kind, obj, &m, hints, ev, why);
}

int normalize_record(struct norm *nm, const struct jval *obj, const struct jmember *mem, size_t n,
		     const struct wrapper_hints *hints, enum rec_kind fallback, enum rec_kind *kind,
		     struct event *ev, const char **why)
{
	struct norm_members m;
	norm_collect_from(mem, n, &m);
	enum rec_kind k = classify_all(&m, obj);
	if (k == REC_UNKNOWN)
		k = fallback;
	*kind = k;
	return dispatch(nm, k, obj, &m, hints, ev, why);
}

int normalize_named(struct norm *nm, const struct jval *obj, const struct norm_members *m,
		    const struct wrapper_hints *hints, enum rec_kind fallback, enum rec_kind *kind,
		    struct event *ev, const char **why)
{
	enum rec_kind k = classify_all(m, obj);
	if (k == REC_UNKNOWN)
		k = fallback;
	*kind = k;
	return dispatch(nm, k, obj, m, hints, ev, why);
}

bool normalize_named_plain(const struct norm_members *m)
{
	return !m->v[0].p && !m->v[K_tables].p && !m->v[K_value].p && !m->v[K_records].p &&
	       !m->v[K_Results].p && !m->v[K_results].p && !m->v[K_odataNextLink].p;
}

bool normalize_placeholder_id(struct sv id)
{
	if (!id.p || id.n == 0)
		return true;
	if (id.n == 10 && strncasecmp(id.p, "ANONYMIZED", 10) == 0)
		return true;
	/* the all-zero GUID of anonymised data, and its x-ed out kin
	 * ("xxxxxxxx-xxxx-...") */
	bool zero = false;
	for (size_t i = 0; i < id.n; i++) {
		if (id.p[i] == '0' || id.p[i] == 'x' || id.p[i] == 'X')
			zero = true;
		else if (id.p[i] != '-' && id.p[i] != '{' && id.p[i] != '}')
			return false;
	}
	return zero;
}

void normalize_synth_id(struct norm *nm, struct event *ev)
{
	if (!normalize_placeholder_id(ev->record_id))
		return;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(ev->raw.p, ev->raw.n, md, &mdlen, EVP_sha256(), NULL);
	char buf[7 + 32 + 1];
	memcpy(buf, "sha256:", 7);
	for (int i = 0; i < 16; i++)
		snprintf(buf + 7 + 2 * i, 3, "%02x", md[i]);
	ev->record_id = norm_copy(nm, buf, 39);
}

size_t count_newlines(const char *p, size_t n)
{
	size_t c = 0;
	const char *e = p + n;
	while (p < e) {
		const char *q = memchr(p, '\n', (size_t)(e - p));
		if (!q)
			break;
		c++;
		p = q + 1;
	}
	return c;
}

/* ------------------------------------------------------------------ */
/* For the other normalize*.c files (normalize_priv.h): the helpers above,
 * exported without renaming the UAL code that uses them. */

struct sv norm_text(struct norm *nm, const struct jval *v)
{
	return text_of(nm, v);
}

struct sv norm_lower(struct norm *nm, struct sv s)
{
	return lower(nm, s);
}

void norm_clear(struct event *ev)
{
	clear_event(ev);
}

/* A UAL-shaped object (AuditData, a Sentinel OfficeActivity row) inside
 * another log's record: CloudAppEvents' RawEventData. */
int norm_ual_object(struct norm *nm, const struct jval *obj, struct event *ev, const char **why)
{
	struct norm_members m;
	norm_collect(obj, &m);
	enum rec_kind k = classify(&m);
	if (k != REC_UAL && k != REC_SENTINEL) {
		*why = "not a UAL record";
		return -1;
	}
	return norm_ual(nm, &m, NULL, ev, why);
}

bool norm_is_ual_object(const struct jval *obj)
{
	struct norm_members m;
	norm_collect(obj, &m);
	enum rec_kind k = classify(&m);
	return k == REC_UAL || k == REC_SENTINEL;
}
