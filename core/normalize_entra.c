/*
 * normalize_entra.c: Entra ID's logs as events: sign-ins (every stream:
 * interactive, non-interactive, service principal, managed identity,
 * ADFS), directory audits and provisioning, Identity Protection risk
 * detections and risky users; in Graph, Sentinel or diagnostic spelling.
 */
#include <string.h>
#include <strings.h>

#include "normalize_logs.h"

/* An Entra result: errorCode / ResultType 0 is success; a failure
 * carries its reason beside the code, "Failure (50126: Invalid username
 * or password ...)", from status.failureReason (Graph) or
 * ResultDescription (diagnostic records, Sentinel rows). */
static struct sv signin_result(struct norm *nm, const struct xm *m)
{
	struct jval st;
	long long code;
	struct jval v;
	bool have = false;
	struct sv why = { NULL, 0 };
	if (xhas(m, XK_status) && norm_container(nm, &m->v[XK_status], JT_OBJ, &st) &&
	    cget(&st, "errorCode", &v) && json_get_int(&v, &code)) {
		have = true;
		why = cpath(nm, &m->v[XK_status], "failureReason", NULL);
	} else if (xhas(m, XK_resulttype) && json_get_int(&m->v[XK_resulttype], &code)) {
		have = true;
	} else if (xhas(m, XK_errorcode) && json_get_int(&m->v[XK_errorcode], &code)) {
		have = true; /* Defender XDR's sign-in tables */
	}
	if (!have)
		return (struct sv){ NULL, 0 };
	if (code == 0)
		return lit("Success");
	if (!why.p)
		why = xs(nm, m, XK_resultdescription);
	if (why.p && why.n)
		return xfmt(nm, "Failure (%lld: %.*s)", code, (int)(why.n < 160 ? why.n : 160), why.p);
	return xfmt(nm, "Failure (%lld)", code);
}

/* What a sign-in category or table says about the sign-in. */
const char *signin_op_of(struct sv cat)
{
	static const struct {
		const char *cat, *op;
	} t[] = {
		{ "SignInLogs", "Sign-in" },
		{ "SigninLogs", "Sign-in" },
		{ "NonInteractiveUserSignInLogs", "Non-interactive sign-in" },
		{ "AADNonInteractiveUserSignInLogs", "Non-interactive sign-in" },
		{ "ServicePrincipalSignInLogs", "Service principal sign-in" },
		{ "AADServicePrincipalSignInLogs", "Service principal sign-in" },
		{ "MicrosoftServicePrincipalSignInLogs", "Microsoft service principal sign-in" },
		{ "ManagedIdentitySignInLogs", "Managed identity sign-in" },
		{ "AADManagedIdentitySignInLogs", "Managed identity sign-in" },
		{ "ADFSSignInLogs", "ADFS sign-in" },
	};
	if (!cat.p)
		return NULL;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (cat.n == strlen(t[i].cat) && strncasecmp(cat.p, t[i].cat, cat.n) == 0)
			return t[i].op;
	return NULL;
}

/* One of signInEventTypes' words as the sign-in's operation; an
 * interactive one never overrides another word of the same sign-in. */
static const char *signin_type_op(const struct jval *t, const char *op)
{
	if (json_str_eq(t, "servicePrincipal"))
		return "Service principal sign-in";
	if (json_str_eq(t, "managedIdentity"))
		return "Managed identity sign-in";
	if (json_str_eq(t, "nonInteractiveUser"))
		return "Non-interactive sign-in";
	if (json_str_eq(t, "interactiveUser") && !op)
		return "Sign-in";
	return op;
}

int norm_signin_x(struct norm *nm, const struct xm *m, struct sv cat, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_createddatetime, XK_timegenerated, XK_time, XK_timestamp) < 0)
		return -1;
	ev->kind = KIND_SIGNIN;
	fill(&ev->record_id, xs(nm, m, XK_id));
	/* Defender XDR's sign-in rows: RequestId is the sign-in's id (Graph's
	 * id of the same sign-in), ReportId only the row's */
	if (xhas(m, XK_errorcode) && xhas(m, XK_timestamp))
		fill(&ev->record_id, xs(nm, m, XK_requestid));
	bool sp = false;
	fill(&ev->user, xl(nm, m, XK_userprincipalname));
	fill(&ev->user, xl(nm, m, XK_accountupn));
	if (!ev->user.p) {
		fill(&ev->user, xl(nm, m, XK_serviceprincipalname));
		sp = ev->user.p != NULL;
	}
	const char *op = signin_op_of(cat);
	if (!op)
		op = signin_op_of(xs(nm, m, XK_category));
	if (!op)
		op = signin_op_of(xs(nm, m, XK_type));
	/* a log stream named by its category keeps its sign-ins apart from
	 * the other streams' (see normalize_signin_id) */
	bool by_category = op != NULL;
	/* signInEventTypes (Graph beta); LogonType of Defender XDR's sign-in
	 * tables holds the same words, as an array or one of them */
	const struct jval *types = xhas(m, XK_signineventtypes) ? &m->v[XK_signineventtypes]
				   : xhas(m, XK_logontype)      ? &m->v[XK_logontype]
								: NULL;
	struct jval arr, word;
	if (!op && types && norm_container(nm, types, JT_ARR, &arr)) {
		struct jiter it;
		json_iter_init(&it, &arr);
		while (json_iter_next(&it, NULL, &word))
			op = signin_type_op(&word, op);
	} else if (!op && types && types->t == JT_STR) {
		op = signin_type_op(types, NULL);
	}
	if (!op && sp)
		op = "Service principal sign-in";
	if (!op && xhas(m, XK_isinteractive)) {
		const struct jval *v = &m->v[XK_isinteractive];
		struct sv t = norm_text(nm, v);
		if (v->t == JT_FALSE || (t.p && t.n == 5 && strncasecmp(t.p, "false", 5) == 0))
			op = "Non-interactive sign-in";
	}
	fill(&ev->op, lit(op ? op : "Sign-in"));
	if (by_category)
		normalize_signin_id(nm, ev);
	fill(&ev->rtype, lit("EntraSignIn"));
	fill(&ev->workload, lit("AzureActiveDirectory"));
	fill(&ev->app, xl(nm, m, XK_appid));
	fill(&ev->app, xl(nm, m, XK_applicationid));
	normalize_addr(nm, xs(nm, m, XK_ipaddress), &ev->ip, &ev->host);
	fill(&ev->session, xs(nm, m, XK_sessionid));
	fill(&ev->token, xs(nm, m, XK_uniquetokenidentifier));
	fill(&ev->client_info, xs(nm, m, XK_useragent));
	fill(&ev->client_info, xs(nm, m, XK_clientappused));
	fill(&ev->result, signin_result(nm, m));
	struct sv app = xs(nm, m, XK_appdisplayname), res = xs(nm, m, XK_resourcedisplayname);
	struct sv city = cpath(nm, &m->v[XK_location], "city", NULL);
	struct sv ctry = cpath(nm, &m->v[XK_location], "countryOrRegion", NULL);
	if (!city.p && !ctry.p) {
		city = cpath(nm, &m->v[XK_locationdetails], "city", NULL);
		ctry = cpath(nm, &m->v[XK_locationdetails], "countryOrRegion", NULL);
	}
	if (app.p || res.p || ctry.p)
		fill(&ev->detail, xfmt(nm, "%.*s%s%.*s%s%.*s%s%.*s", SV(app), res.p ? " -> " : "", SV(res),
				       ctry.p || city.p ? " from " : "", SV(city),
				       city.p && ctry.p ? ", " : "", SV(ctry)));
	return 0;
}

int norm_diraudit_x(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_activitydatetime, XK_timegenerated, XK_time) < 0)
		return -1;
	ev->kind = KIND_DIRAUDIT;
	fill(&ev->record_id, xs(nm, m, XK_id));
	fill(&ev->rtype, lit("EntraDirectoryAudit"));
	fill(&ev->workload, lit("AzureActiveDirectory"));
	if (xhas(m, XK_provisioningaction) || xhas(m, XK_provisioningstatusinfo)) {
		struct sv act = xs(nm, m, XK_provisioningaction);
		fill(&ev->op, xfmt(nm, "Provisioning: %.*s", SV(act)));
		fill(&ev->result, cpath(nm, &m->v[XK_provisioningstatusinfo], "status", NULL));
		struct sv src = cpath(nm, &m->v[XK_sourceidentity], "displayName", NULL);
		struct sv dst = cpath(nm, &m->v[XK_targetidentity], "displayName", NULL);
		if (src.p || dst.p)
			fill(&ev->detail, xfmt(nm, "%.*s -> %.*s", SV(src), SV(dst)));
	}
	fill(&ev->op, xs(nm, m, XK_activitydisplayname));
	fill(&ev->op, xs(nm, m, XK_operationname));
	fill(&ev->result, xs(nm, m, XK_result));
	const struct jval *by = &m->v[XK_initiatedby];
	if (by->p) {
		fill(&ev->user, norm_lower(nm, cpath(nm, by, "user", "userPrincipalName")));
		normalize_addr(nm, cpath(nm, by, "user", "ipAddress"), &ev->ip, &ev->host);
		fill(&ev->app, norm_lower(nm, cpath(nm, by, "app", "appId")));
		fill(&ev->user, norm_lower(nm, cpath(nm, by, "app", "servicePrincipalName")));
		fill(&ev->user, norm_lower(nm, cpath(nm, by, "app", "displayName")));
		fill(&ev->user, norm_lower(nm, cpath(nm, by, "user", "displayName")));
	}
	/* the first target, for the timeline */
	struct jval arr, t;
	if (xhas(m, XK_targetresources) && norm_container(nm, &m->v[XK_targetresources], JT_ARR, &arr)) {
		struct jiter it;
		json_iter_init(&it, &arr);
		if (json_iter_next(&it, NULL, &t) && t.t == JT_OBJ) {
			struct jval v;
			struct sv name = { NULL, 0 }, type = { NULL, 0 };
			if (cget(&t, "userPrincipalName", &v))
				name = norm_text(nm, &v);
			if (!name.p && cget(&t, "displayName", &v))
				name = norm_text(nm, &v);
			if (cget(&t, "type", &v))
				type = norm_text(nm, &v);
			if (name.p)
				fill(&ev->detail, xfmt(nm, "target: %.*s%s%.*s%s", SV(type),
						       type.p ? " " : "", SV(name), ""));
		}
	}
	return 0;
}

int norm_risk(struct norm *nm, const struct xm *m, bool user_risk, struct event *ev, const char **why)
{
	int r = user_risk ? XTIME(nm, m, ev, why, XK_risklastupdateddatetime, XK_timegenerated, XK_time)
			  : XTIME(nm, m, ev, why, XK_activitydatetime, XK_detecteddatetime, XK_timegenerated,
				  XK_time);
	if (r < 0)
		return -1;
	ev->kind = KIND_RISK;
	struct sv type = xs(nm, m, XK_riskeventtype), level = xs(nm, m, XK_risklevel);
	struct sv state = xs(nm, m, XK_riskstate), detail = xs(nm, m, XK_riskdetail);
	fill(&ev->record_id, xs(nm, m, XK_id));
	fill(&ev->op, user_risk ? lit("Risky user") : type);
	fill(&ev->op, lit("Risk detection"));
	fill(&ev->rtype, lit(user_risk ? "RiskyUser" : "RiskDetection"));
	fill(&ev->workload, lit("AzureActiveDirectory"));
	fill(&ev->user, xl(nm, m, XK_userprincipalname));
	normalize_addr(nm, xs(nm, m, XK_ipaddress), &ev->ip, &ev->host);
	fill(&ev->result, state);
	fill(&ev->token, xs(nm, m, XK_requestid));
	if (user_risk)
		fill(&ev->detail, xfmt(nm, "risk level %.*s, %.*s (%.*s)", SV(level), SV(state), SV(detail)));
	else
		fill(&ev->detail, xfmt(nm, "%.*s, risk level %.*s, %.*s", SV(type), SV(level), SV(state)));
	return 0;
}

void normalize_signin_id(struct norm *nm, struct event *ev)
{
	static const struct {
		const char *op, *cls;
	} t[] = {
		{ "Non-interactive sign-in", "noninteractive" },
		{ "Service principal sign-in", "serviceprincipal" },
		{ "Microsoft service principal sign-in", "msserviceprincipal" },
		{ "Managed identity sign-in", "managedidentity" },
		{ "ADFS sign-in", "adfs" },
	};
	if (normalize_placeholder_id(ev->record_id) || !ev->op.p)
		return;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (ev->op.n == strlen(t[i].op) && memcmp(ev->op.p, t[i].op, ev->op.n) == 0) {
			struct sv id = xfmt(nm, "%.*s#%s", SV(ev->record_id), t[i].cls);
			if (id.p)
				ev->record_id = id;
			return;
		}
}
