/*
 * normalize_logs.c: the logs an incident brings besides the UAL (issue 11):
 * which kind a record is, the envelopes around records, and the dispatch
 * to each family (normalize_entra.c, normalize_activity.c).
 *
 * Entra sign-ins and directory audits, Microsoft Graph activity, Exchange
 * message trace, the Azure Activity log, Identity Protection risk, security
 * alerts, Defender XDR advanced hunting rows, and anything else that has a
 * time and an operation, in whichever wrapper they come: Graph JSON
 * (lowerCamel), Sentinel / Log Analytics rows (PascalCase, nested values as
 * JSON text), Azure Monitor diagnostic records ({time, category,
 * properties}), pipeline captures ({"_raw": "<record as text>"}). Names are
 * matched without regard to case, which makes the Graph and the Sentinel
 * spelling of a field one key (appId, AppId). The UAL's own shapes never
 * come here: normalize.c claims them first, on its faster path.
 */
#include <string.h>
#include <strings.h>

#include "normalize_logs.h"

/* ------------------------------------------------------------------ */

static bool is_cat(struct sv c, const char *s)
{
	return c.p && c.n == strlen(s) && strncasecmp(c.p, s, c.n) == 0;
}

static bool cat_prefix(struct sv c, const char *s)
{
	size_t n = strlen(s);
	return c.p && c.n > n && strncasecmp(c.p, s, n) == 0;
}

/* Activity log categories when the log is streamed by diagnostic
 * settings (the envelope then holds the activity record itself). */
static bool activity_category(struct sv c)
{
	static const char *const cats[] = { "Administrative", "Security", "ServiceHealth", "Alert",
					    "Recommendation", "Policy",   "Autoscale",     "ResourceHealth" };
	for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
		if (is_cat(c, cats[i]))
			return true;
	return false;
}

/* A string value's text when it has no escapes (enough for names). */
static struct sv plain(const struct jval *v)
{
	struct sv r = { NULL, 0 };
	if (v->p && v->t == JT_STR && !v->esc) {
		r.p = json_str_ptr(v);
		r.n = json_str_len(v);
	}
	return r;
}

static enum rec_kind classify_x(const struct xm *m, const struct jval *obj)
{
	(void)obj;
	bool t_any = xhas(m, XK_time) || xhas(m, XK_timegenerated) || xhas(m, XK_timestamp) ||
		     xhas(m, XK_createddatetime) || xhas(m, XK_activitydatetime);
	if (xhas(m, XK__raw) && m->v[XK__raw].t == JT_STR)
		return REC_PIPELINE;
	if (xhas(m, XK_eventtimestamp) && xhas(m, XK_operationname))
		return REC_AZACTIVITY;
	if (xhas(m, XK_properties) && xhas(m, XK_category) &&
	    (xhas(m, XK_time) || xhas(m, XK_operationname) || xhas(m, XK_resourceid)))
		return REC_AZDIAG;
	if (xhas(m, XK_requestmethod) && xhas(m, XK_requesturi))
		return REC_GRAPHACT;
	if (xhas(m, XK_senderaddress) && xhas(m, XK_recipientaddress) &&
	    (xhas(m, XK_received) || xhas(m, XK_messagetraceid)))
		return REC_MSGTRACE;
	if (xhas(m, XK_riskeventtype) &&
	    (xhas(m, XK_activitydatetime) || xhas(m, XK_detecteddatetime) || xhas(m, XK_timegenerated)))
		return REC_RISK;
	if (xhas(m, XK_risklastupdateddatetime) && xhas(m, XK_risklevel))
		return REC_RISKYUSER;
	if (((xhas(m, XK_severity) && xhas(m, XK_title)) ||
	     (xhas(m, XK_alertname) && xhas(m, XK_alertseverity))) &&
	    (t_any || xhas(m, XK_eventdatetime) || xhas(m, XK_firstactivitydatetime)))
		return REC_ALERT;
	if (xhas(m, XK_timestamp) && xhas(m, XK_actiontype))
		return REC_XDR;
	/* Defender XDR's mail tables (EmailEvents, EmailAttachmentInfo,
	 * EmailUrlInfo) have no ActionType: a row is one message */
	if (xhas(m, XK_timestamp) && xhas(m, XK_networkmessageid))
		return REC_XDR;
	/* Defender XDR's Entra sign-in tables (AADSignInEventsBeta,
	 * AADSpnSignInEventsBeta, EntraIdSignInEvents, ...): no ActionType
	 * either, an Entra ErrorCode and the sign-in's RequestId */
	if (xhas(m, XK_timestamp) && xhas(m, XK_errorcode) && xhas(m, XK_ipaddress) &&
	    (xhas(m, XK_applicationid) || xhas(m, XK_appid)))
		return REC_SIGNIN;
	if ((xhas(m, XK_operationnamevalue) || xhas(m, XK_eventdataid)) && (t_any || xhas(m, XK_eventtimestamp)))
		return REC_AZACTIVITY;
	if ((xhas(m, XK_createddatetime) || xhas(m, XK_timegenerated)) &&
	    (xhas(m, XK_uniquetokenidentifier) || signin_op_of(plain(&m->v[XK_type])) ||
	     signin_op_of(plain(&m->v[XK_category])) ||
	     (xhas(m, XK_createddatetime) && (xhas(m, XK_ipaddress) || xhas(m, XK_appid) || xhas(m, XK_status)))))
		return REC_SIGNIN;
	/* SigninLogs and its sibling tables projected by a query (no Type,
	 * Category or token column): an IP, an app, and who or how it went */
	if (xhas(m, XK_timegenerated) && xhas(m, XK_ipaddress) &&
	    (xhas(m, XK_appid) || xhas(m, XK_appdisplayname)) &&
	    (xhas(m, XK_userprincipalname) || xhas(m, XK_serviceprincipalname) || xhas(m, XK_resulttype) ||
	     xhas(m, XK_status)))
		return REC_SIGNIN;
	if ((xhas(m, XK_activitydatetime) || xhas(m, XK_timegenerated)) &&
	    (xhas(m, XK_initiatedby) || xhas(m, XK_activitydisplayname) || xhas(m, XK_provisioningaction)))
		return REC_DIRAUDIT;
	if ((t_any || xhas(m, XK_eventtimestamp)) && (xhas(m, XK_operationname) || xhas(m, XK_actiontype) ||
						      xhas(m, XK_category) || xhas(m, XK_activitydisplayname)))
		return REC_GENERIC;
	return REC_UNKNOWN;
}

enum rec_kind logs_classify(const struct jval *obj)
{
	struct xm m;
	xcollect(obj, &m);
	return classify_x(&m, obj);
}

const char *logs_kind_name(enum rec_kind k)
{
	switch (k) {
	case REC_AZDIAG: return "azure-diagnostic";
	case REC_PIPELINE: return "pipeline-capture";
	case REC_GRAPHACT: return "graph-activity";
	case REC_MSGTRACE: return "message-trace";
	case REC_AZACTIVITY: return "azure-activity";
	case REC_RISK: return "risk-detection";
	case REC_RISKYUSER: return "risky-user";
	case REC_ALERT: return "security-alert";
	case REC_XDR: return "xdr-hunting";
	case REC_GENERIC: return "generic-log";
	default: return NULL;
	}
}

static int dispatch_x(struct norm *nm, enum rec_kind kind, const struct jval *obj, const struct xm *m,
		      struct sv cat, struct event *ev, const char **why, int depth);

/* A record inside a record (properties, _raw): classified on its own. */
static int inner(struct norm *nm, const struct jval *obj, enum rec_kind want, struct sv cat, struct event *ev,
		 const char **why, int depth)
{
	if (depth > 3) {
		*why = "records nested too deep";
		return -1;
	}
	struct xm m;
	xcollect(obj, &m);
	if (want == REC_UNKNOWN) {
		if (norm_is_ual_object(obj))
			return norm_ual_object(nm, obj, ev, why);
		want = classify_x(&m, obj);
	}
	if (want == REC_UNKNOWN) {
		*why = "not an audit record (no recognised time and operation fields)";
		return -1;
	}
	return dispatch_x(nm, want, obj, &m, cat, ev, why, depth + 1);
}

static int norm_azdiag(struct norm *nm, const struct xm *m, struct event *ev, const char **why, int depth)
{
	struct sv cat = xs(nm, m, XK_category);
	struct jval props;
	bool have = norm_container(nm, &m->v[XK_properties], JT_OBJ, &props);
	enum rec_kind want = REC_UNKNOWN;
	struct sv table = { NULL, 0 };
	if (signin_op_of(cat))
		want = REC_SIGNIN;
	else if (is_cat(cat, "AuditLogs") || is_cat(cat, "ProvisioningLogs"))
		want = REC_DIRAUDIT;
	else if (is_cat(cat, "MicrosoftGraphActivityLogs"))
		want = REC_GRAPHACT;
	else if (is_cat(cat, "UserRiskEvents") || is_cat(cat, "ServicePrincipalRiskEvents"))
		want = REC_RISK;
	else if (is_cat(cat, "RiskyUsers") || is_cat(cat, "RiskyServicePrincipals"))
		want = REC_RISKYUSER;
	else if (cat_prefix(cat, "AdvancedHunting-")) {
		want = REC_XDR;
		table = (struct sv){ cat.p + 16, cat.n - 16 };
	}
	int rc;
	if (activity_category(cat)) {
		rc = norm_azactivity(nm, m, ev, why);
	} else if (want != REC_UNKNOWN && have) {
		struct xm pm;
		xcollect(&props, &pm);
		if (want == REC_XDR)
			rc = norm_xdr(nm, &props, &pm, table, ev, why);
		else
			rc = dispatch_x(nm, want, &props, &pm, cat, ev, why, depth + 1);
	} else {
		/* anything else: the envelope is the event */
		rc = norm_generic(nm, m, ev, why);
		ev->kind = KIND_GENERIC;
	}
	if (rc < 0)
		return -1;
	/* the envelope fills what the record left empty */
	if (ev->ts == INT64_MIN && XTIME(nm, m, ev, why, XK_time) < 0)
		return -1;
	normalize_addr(nm, xs(nm, m, XK_calleripaddress), &ev->ip, &ev->host);
	if (ev->kind != KIND_UAL) {
		if (xhas(m, XK_operationname) && m->v[XK_operationname].t == JT_STR)
			fill(&ev->op, xs(nm, m, XK_operationname));
		fill(&ev->result, xs(nm, m, XK_resulttype));
		fill(&ev->rtype, cat);
	}
	return 0;
}

static int norm_pipeline(struct norm *nm, const struct xm *m, struct event *ev, const char **why, int depth)
{
	struct jval rec;
	if (!norm_container(nm, &m->v[XK__raw], JT_OBJ, &rec)) {
		*why = "_raw is not a JSON object (the captured record is not JSON)";
		return -1;
	}
	if (inner(nm, &rec, REC_UNKNOWN, (struct sv){ NULL, 0 }, ev, why, depth) < 0)
		return -1;
	/* the record is what was captured, not the capture's wrapper */
	if (ev->raw.p < rec.p || ev->raw.p + ev->raw.n > rec.p + rec.n) {
		ev->raw.p = rec.p;
		ev->raw.n = rec.n;
	}
	if (ev->ts == INT64_MIN && XTIME(nm, m, ev, why, XK__time) < 0)
		return -1;
	return 0;
}

static int dispatch_x(struct norm *nm, enum rec_kind kind, const struct jval *obj, const struct xm *m,
		      struct sv cat, struct event *ev, const char **why, int depth)
{
	switch (kind) {
	case REC_SIGNIN: return norm_signin_x(nm, m, cat, ev, why);
	case REC_DIRAUDIT: return norm_diraudit_x(nm, m, ev, why);
	case REC_GRAPHACT: return norm_graphact(nm, m, ev, why);
	case REC_MSGTRACE: return norm_msgtrace(nm, m, ev, why);
	case REC_AZACTIVITY: return norm_azactivity(nm, m, ev, why);
	case REC_RISK: return norm_risk(nm, m, false, ev, why);
	case REC_RISKYUSER: return norm_risk(nm, m, true, ev, why);
	case REC_ALERT: return norm_alert(nm, m, ev, why);
	case REC_XDR: return norm_xdr(nm, obj, m, (struct sv){ NULL, 0 }, ev, why);
	case REC_GENERIC: return norm_generic(nm, m, ev, why);
	case REC_AZDIAG: return norm_azdiag(nm, m, ev, why, depth);
	case REC_PIPELINE: return norm_pipeline(nm, m, ev, why, depth);
	default: *why = "not an audit record (no recognised time and operation fields)"; return -1;
	}
}

int logs_normalize(struct norm *nm, enum rec_kind kind, const struct jval *obj, struct event *ev,
		   const char **why, int depth)
{
	struct xm m;
	norm_clear(ev);
	ev->raw.p = obj->p;
	ev->raw.n = obj->n;
	nm->ps_seen = nm->ps_lost_msgs = 0;
	xcollect(obj, &m);
	if (dispatch_x(nm, kind, obj, &m, (struct sv){ NULL, 0 }, ev, why, depth) < 0)
		return -1;
	if (nm->ps_seen)
		ev->flags |= EVF_PS_TRUNCATED;
	if (ev->ts == INT64_MIN) {
		*why = "no event time in the record";
		return -1;
	}
	return 0;
}
