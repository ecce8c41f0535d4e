/*
 * normalize_activity.c: the other services' logs as events: Microsoft
 * Graph activity, Exchange message trace, the Azure Activity log, security
 * alerts (v1 and v2), Defender XDR advanced hunting rows (CloudAppEvents
 * carry the UAL record itself), and any other log that has a time and an
 * operation.
 */
#include <string.h>

#include "normalize_logs.h"

int norm_graphact(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_timegenerated, XK_time, XK_timestamp) < 0)
		return -1;
	ev->kind = KIND_GRAPH;
	struct sv method = xs(nm, m, XK_requestmethod), uri = xs(nm, m, XK_requesturi);
	fill(&ev->record_id, xs(nm, m, XK_requestid));
	fill(&ev->op, xfmt(nm, "Graph %.*s", SV(method)));
	fill(&ev->detail,
	     xfmt(nm, "%.*s %.*s", SV(method), (int)(uri.n > 900 ? 900 : uri.n), uri.p ? uri.p : ""));
	fill(&ev->rtype, lit("GraphActivity"));
	fill(&ev->workload, lit("MicrosoftGraph"));
	fill(&ev->result, xs(nm, m, XK_responsestatuscode));
	fill(&ev->app, xl(nm, m, XK_appid));
	fill(&ev->user, xl(nm, m, XK_userprincipalname));
	fill(&ev->user, xl(nm, m, XK_userid));
	fill(&ev->user, xl(nm, m, XK_serviceprincipalid));
	normalize_addr(nm, xs(nm, m, XK_ipaddress), &ev->ip, &ev->host);
	normalize_addr(nm, xs(nm, m, XK_calleripaddress), &ev->ip, &ev->host);
	fill(&ev->client_info, xs(nm, m, XK_useragent));
	/* signInActivityId is the sign-in's uniqueTokenIdentifier */
	fill(&ev->token, xs(nm, m, XK_signinactivityid));
	fill(&ev->session, xs(nm, m, XK_sessionid));
	return 0;
}

int norm_msgtrace(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_received, XK_timegenerated, XK_timestamp) < 0)
		return -1;
	ev->kind = KIND_MSGTRACE;
	struct sv from = xl(nm, m, XK_senderaddress), to = xl(nm, m, XK_recipientaddress);
	struct sv subj = xs(nm, m, XK_subject), tid = xs(nm, m, XK_messagetraceid);
	/* one trace id per message, one row per recipient */
	if (tid.p)
		fill(&ev->record_id, xfmt(nm, "%.*s/%.*s", SV(tid), SV(to)));
	fill(&ev->op, lit("Message trace"));
	fill(&ev->rtype, lit("MessageTrace"));
	fill(&ev->workload, lit("Exchange"));
	fill(&ev->result, xs(nm, m, XK_status));
	fill(&ev->user, from);
	fill(&ev->mailbox, to);
	normalize_addr(nm, xs(nm, m, XK_fromip), &ev->ip, &ev->host);
	fill(&ev->detail, xfmt(nm, "%.*s -> %.*s: %.*s", SV(from), SV(to), SV(subj)));
	return 0;
}

int norm_azactivity(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_eventtimestamp, XK_timegenerated, XK_time) < 0)
		return -1;
	ev->kind = KIND_AZURE;
	fill(&ev->record_id, xs(nm, m, XK_eventdataid));
	/* operationName is {value, localizedValue} in the REST shape */
	struct sv name = { NULL, 0 };
	if (xhas(m, XK_operationname) && m->v[XK_operationname].t == JT_OBJ) {
		fill(&ev->op, cpath(nm, &m->v[XK_operationname], "value", NULL));
		name = cpath(nm, &m->v[XK_operationname], "localizedValue", NULL);
	} else {
		name = xs(nm, m, XK_operationname);
	}
	fill(&ev->op, xs(nm, m, XK_operationnamevalue));
	fill(&ev->op, name);
	fill(&ev->rtype, lit("AzureActivity"));
	fill(&ev->workload, lit("Azure"));
	fill(&ev->user, xl(nm, m, XK_caller));
	static const char upn[] = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
	struct jval claims = m->v[XK_claims], id;
	if (!claims.p && xhas(m, XK_identity) && norm_container(nm, &m->v[XK_identity], JT_OBJ, &id))
		cget(&id, "claims", &claims);
	if (claims.p) {
		fill(&ev->user, norm_lower(nm, cpath(nm, &claims, upn, NULL)));
		fill(&ev->app, norm_lower(nm, cpath(nm, &claims, "appid", NULL)));
	}
	normalize_addr(nm, cpath(nm, &m->v[XK_httprequest], "clientIpAddress", NULL), &ev->ip, &ev->host);
	normalize_addr(nm, xs(nm, m, XK_calleripaddress), &ev->ip, &ev->host);
	if (xhas(m, XK_status) && m->v[XK_status].t == JT_OBJ)
		fill(&ev->result, cpath(nm, &m->v[XK_status], "value", NULL));
	fill(&ev->result, xs(nm, m, XK_activitystatusvalue));
	fill(&ev->result, xs(nm, m, XK_activitystatus));
	fill(&ev->result, xs(nm, m, XK_resulttype));
	struct sv res = xs(nm, m, XK_resourceid);
	fill(&res, xs(nm, m, XK__resourceid));
	if (name.p && ev->op.p && (name.n != ev->op.n || memcmp(name.p, ev->op.p, name.n) != 0))
		fill(&ev->detail, xfmt(nm, "%.*s: %.*s", SV(name), SV(res)));
	else
		fill(&ev->detail, res);
	return 0;
}

int norm_alert(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_createddatetime, XK_eventdatetime, XK_firstactivitydatetime,
		  XK_timegenerated, XK_time) < 0)
		return -1;
	ev->kind = KIND_ALERT;
	fill(&ev->record_id, xs(nm, m, XK_id));
	fill(&ev->record_id, xs(nm, m, XK_systemalertid));
	struct sv title = xs(nm, m, XK_title), sev = xs(nm, m, XK_severity);
	fill(&title, xs(nm, m, XK_alertname));
	fill(&title, xs(nm, m, XK_alertdisplayname));
	fill(&sev, xs(nm, m, XK_alertseverity));
	fill(&ev->op, title);
	fill(&ev->op, lit("Security alert"));
	fill(&ev->rtype, lit("SecurityAlert"));
	fill(&ev->workload, xs(nm, m, XK_servicesource));
	fill(&ev->result, xs(nm, m, XK_status));
	fill(&ev->detail, xfmt(nm, "%.*s: %.*s", SV(sev), SV(title)));
	/* v1: userStates[]; v2: evidence[] with userAccount and ipAddress */
	struct jval arr, el;
	if (xhas(m, XK_userstates) && norm_container(nm, &m->v[XK_userstates], JT_ARR, &arr)) {
		struct jiter it;
		json_iter_init(&it, &arr);
		if (json_iter_next(&it, NULL, &el)) {
			fill(&ev->user, norm_lower(nm, cpath(nm, &el, "userPrincipalName", NULL)));
			normalize_addr(nm, cpath(nm, &el, "logonIp", NULL), &ev->ip, &ev->host);
		}
	}
	if (xhas(m, XK_evidence) && norm_container(nm, &m->v[XK_evidence], JT_ARR, &arr)) {
		struct jiter it;
		json_iter_init(&it, &arr);
		while (json_iter_next(&it, NULL, &el)) {
			fill(&ev->user, norm_lower(nm, cpath(nm, &el, "userAccount", "userPrincipalName")));
			normalize_addr(nm, cpath(nm, &el, "ipAddress", NULL), &ev->ip, &ev->host);
		}
	}
	fill(&ev->user, xl(nm, m, XK_compromisedentity));
	return 0;
}

/* A number as a spreadsheet shows a large one, rounded to a mantissa
 * and an exponent (1.23457E+17): what was an id no longer tells rows
 * apart. */
static bool rounded_number(struct sv s)
{
	size_t i = 0, digits = 0;
	while (i < s.n && ((s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == '.' || s.p[i] == ','))
		digits += s.p[i++] != '.';
	if (!digits || i + 2 > s.n || (s.p[i] != 'E' && s.p[i] != 'e'))
		return false;
	i++;
	if (s.p[i] == '+' || s.p[i] == '-')
		i++;
	if (i == s.n)
		return false;
	while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
		i++;
	return i == s.n;
}

int norm_xdr(struct norm *nm, const struct jval *obj, const struct xm *m, struct sv table, struct event *ev,
	     const char **why)
{
	/* CloudAppEvents: RawEventData is the UAL record itself */
	struct jval rd;
	if (xhas(m, XK_raweventdata) && norm_container(nm, &m->v[XK_raweventdata], JT_OBJ, &rd) &&
	    norm_is_ual_object(&rd)) {
		if (norm_ual_object(nm, &rd, ev, why) < 0)
			return -1;
		ev->raw.p = rd.p;
		ev->raw.n = rd.n;
		ev->kind = KIND_UAL;
		return 0;
	}
	(void)obj;
	if (XTIME(nm, m, ev, why, XK_timestamp, XK_timegenerated, XK_time) < 0)
		return -1;
	ev->kind = KIND_XDR;
	fill(&table, xs(nm, m, XK_type));
	fill(&ev->rtype, table);
	fill(&ev->rtype, lit("AdvancedHunting"));
	fill(&ev->op, xs(nm, m, XK_actiontype));
	fill(&ev->user, xl(nm, m, XK_accountupn));
	fill(&ev->user, xl(nm, m, XK_userid));
	fill(&ev->user, xl(nm, m, XK_initiatingprocessaccountupn));
	fill(&ev->user, xl(nm, m, XK_accountname));
	normalize_addr(nm, xs(nm, m, XK_ipaddress), &ev->ip, &ev->host);
	normalize_addr(nm, xs(nm, m, XK_remoteip), &ev->ip, &ev->host);
	fill(&ev->app, xl(nm, m, XK_appid));
	fill(&ev->client_app, xl(nm, m, XK_oauthappid));
	fill(&ev->workload, xs(nm, m, XK_application));
	if (xhas(m, XK_networkmessageid)) {
		/* a mail table's row (EmailEvents, EmailAttachmentInfo,
		 * EmailUrlInfo, EmailPostDeliveryEvents): one message to one
		 * recipient, from the sender's IP */
		struct sv from = xl(nm, m, XK_senderfromaddress), to = xl(nm, m, XK_recipientemailaddress);
		struct sv dir = xs(nm, m, XK_emaildirection), subj = xs(nm, m, XK_subject);
		fill(&from, xl(nm, m, XK_sendermailfromaddress));
		fill(&ev->op, xfmt(nm, "Email%s%.*s", dir.p ? " " : "", SV(dir)));
		fill(&ev->user, to);
		fill(&ev->mailbox, to);
		fill(&ev->result, xs(nm, m, XK_deliveryaction));
		normalize_addr(nm, xs(nm, m, XK_senderipv4), &ev->ip, &ev->host);
		normalize_addr(nm, xs(nm, m, XK_senderipv6), &ev->ip, &ev->host);
		fill(&ev->workload, lit("Exchange"));
		fill(&ev->detail, xfmt(nm, "%.*s -> %.*s: %.*s", SV(from), SV(to), SV(subj)));
	}
	struct sv dev = xs(nm, m, XK_devicename), what = xs(nm, m, XK_objectname);
	fill(&what, xs(nm, m, XK_filename));
	if (dev.p || what.p)
		fill(&ev->detail, xfmt(nm, "%.*s%s%.*s", SV(dev), dev.p && what.p ? ": " : "", SV(what)));
	/* ReportId is unique per device (or per table for the others); not
	 * across the mail tables (a message's attachment and URL rows share
	 * its EmailEvents row's), whose rows are told apart by their content;
	 * nor once a spreadsheet has rounded it ("1.23457E+17") */
	struct sv rid = xs(nm, m, XK_reportid), did = xs(nm, m, XK_deviceid);
	if (rid.p && !xhas(m, XK_networkmessageid) && !rounded_number(rid))
		fill(&ev->record_id, xfmt(nm, "%.*s%s%.*s", SV(rid), did.p ? "@" : "", SV(did)));
	return 0;
}

int norm_generic(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_time, XK_timegenerated, XK_timestamp, XK_eventtimestamp,
		  XK_createddatetime, XK_activitydatetime) < 0)
		return -1;
	ev->kind = KIND_GENERIC;
	fill(&ev->record_id, xs(nm, m, XK_id));
	if (xhas(m, XK_operationname) && m->v[XK_operationname].t == JT_OBJ)
		fill(&ev->op, cpath(nm, &m->v[XK_operationname], "value", NULL));
	fill(&ev->op, xs(nm, m, XK_operationname));
	fill(&ev->op, xs(nm, m, XK_actiontype));
	fill(&ev->op, xs(nm, m, XK_activitydisplayname));
	struct sv cat = xs(nm, m, XK_category);
	if (xhas(m, XK_category) && m->v[XK_category].t == JT_OBJ)
		cat = cpath(nm, &m->v[XK_category], "value", NULL);
	fill(&ev->op, cat);
	fill(&ev->rtype, cat);
	fill(&ev->rtype, xs(nm, m, XK_type));
	if (xhas(m, XK_identity) && m->v[XK_identity].t == JT_STR)
		fill(&ev->user, xl(nm, m, XK_identity));
	fill(&ev->user, xl(nm, m, XK_caller));
	fill(&ev->user, xl(nm, m, XK_userprincipalname));
	fill(&ev->user, xl(nm, m, XK_accountupn));
	normalize_addr(nm, xs(nm, m, XK_calleripaddress), &ev->ip, &ev->host);
	normalize_addr(nm, xs(nm, m, XK_ipaddress), &ev->ip, &ev->host);
	fill(&ev->result, xs(nm, m, XK_resulttype));
	fill(&ev->result, xs(nm, m, XK_resultsignature));
	fill(&ev->app, xl(nm, m, XK_appid));
	struct sv res = xs(nm, m, XK_resourceid);
	fill(&res, xs(nm, m, XK__resourceid));
	fill(&ev->detail, res);
	return 0;
}
