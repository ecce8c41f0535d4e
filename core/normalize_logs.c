/*
 * normalize_logs.c: the logs an incident brings besides the UAL (issue 11).
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
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "normalize_priv.h"
#include "timeparse.h"

#define XKEYS(X)                       \
	X(time)                        \
	X(timegenerated)               \
	X(timestamp)                   \
	X(createddatetime)             \
	X(activitydatetime)            \
	X(detecteddatetime)            \
	X(eventtimestamp)              \
	X(received)                    \
	X(risklastupdateddatetime)     \
	X(eventdatetime)               \
	X(firstactivitydatetime)       \
	X(_time)                       \
	X(category)                    \
	X(properties)                  \
	X(operationname)               \
	X(operationnamevalue)          \
	X(resourceid)                  \
	X(_resourceid)                 \
	X(calleripaddress)             \
	X(identity)                    \
	X(caller)                      \
	X(resulttype)                  \
	X(resultsignature)             \
	X(resultdescription)           \
	X(correlationid)               \
	X(type)                        \
	X(_raw)                        \
	X(id)                          \
	X(requestid)                   \
	X(level)                       \
	X(userprincipalname)           \
	X(userid)                      \
	X(accountupn)                  \
	X(initiatingprocessaccountupn) \
	X(accountname)                 \
	X(accountdisplayname)          \
	X(userdisplayname)             \
	X(appid)                       \
	X(applicationid)               \
	X(appdisplayname)              \
	X(resourcedisplayname)         \
	X(oauthappid)                  \
	X(serviceprincipalid)          \
	X(serviceprincipalname)        \
	X(ipaddress)                   \
	X(httprequest)                 \
	X(claims)                      \
	X(fromip)                      \
	X(remoteip)                    \
	X(status)                      \
	X(sessionid)                   \
	X(uniquetokenidentifier)       \
	X(signinactivityid)            \
	X(useragent)                   \
	X(clientappused)               \
	X(isinteractive)               \
	X(signineventtypes)            \
	X(activitydisplayname)         \
	X(initiatedby)                 \
	X(result)                      \
	X(targetresources)             \
	X(requestmethod)               \
	X(requesturi)                  \
	X(responsestatuscode)          \
	X(senderaddress)               \
	X(recipientaddress)            \
	X(subject)                     \
	X(messageid)                   \
	X(messagetraceid)              \
	X(riskeventtype)               \
	X(risklevel)                   \
	X(riskstate)                   \
	X(riskdetail)                  \
	X(title)                       \
	X(severity)                    \
	X(alertname)                   \
	X(alertseverity)               \
	X(systemalertid)               \
	X(compromisedentity)           \
	X(servicesource)               \
	X(evidence)                    \
	X(userstates)                  \
	X(actiontype)                  \
	X(raweventdata)                \
	X(reportid)                    \
	X(devicename)                  \
	X(deviceid)                    \
	X(application)                 \
	X(activitystatusvalue)         \
	X(activitystatus)              \
	X(eventdataid)                 \
	X(provisioningaction)          \
	X(provisioningstatusinfo)      \
	X(sourceidentity)              \
	X(targetidentity)              \
	X(location)                    \
	X(locationdetails)             \
	X(tokenissuertype)             \
	X(alertdisplayname)            \
	X(description)                 \
	X(objectname)                  \
	X(filename)                    \
	X(ipaddr)

enum xkey {
	XK_NONE = 0,
#define X(n) XK_##n,
	XKEYS(X)
#undef X
		XK_COUNT
};

static const char *const xnames[XK_COUNT] = {
#define X(n) [XK_##n] = #n,
	XKEYS(X)
#undef X
};

#define XSLOTS 512
static unsigned short xtable[XSLOTS];
static int xtable_ready;

static unsigned xhash(const char *p, size_t n)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static void xtable_init(void)
{
	for (int k = 1; k < XK_COUNT; k++) {
		unsigned h = xhash(xnames[k], strlen(xnames[k])) & (XSLOTS - 1);
		while (xtable[h])
			h = (h + 1) & (XSLOTS - 1);
		xtable[h] = (unsigned short)k;
	}
	xtable_ready = 1;
}

/* A member name, lower-cased, to its key. */
static enum xkey xkey_of(const struct jval *k)
{
	if (k->t != JT_STR || k->esc)
		return XK_NONE;
	size_t n = json_str_len(k);
	if (n == 0 || n > 40)
		return XK_NONE;
	char buf[48];
	const char *p = json_str_ptr(k);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	unsigned h = xhash(buf, n) & (XSLOTS - 1);
	while (xtable[h]) {
		const char *s = xnames[xtable[h]];
		if (strncmp(s, buf, n) == 0 && s[n] == '\0')
			return (enum xkey)xtable[h];
		h = (h + 1) & (XSLOTS - 1);
	}
	return XK_NONE;
}

struct xm {
	struct jval v[XK_COUNT];
	struct jval key[XK_COUNT]; /* the name as the record spells it */
	struct jval empty_time;    /* a time member that was "", for the reason */
};

static bool is_time_key(enum xkey k)
{
	return k == XK_time || k == XK_timegenerated || k == XK_timestamp || k == XK_createddatetime ||
	       k == XK_activitydatetime || k == XK_detecteddatetime || k == XK_eventtimestamp ||
	       k == XK_received || k == XK_risklastupdateddatetime || k == XK_eventdatetime ||
	       k == XK_firstactivitydatetime;
}

static void xcollect(const struct jval *obj, struct xm *m)
{
	memset(m, 0, sizeof *m);
	if (!xtable_ready)
		xtable_init();
	if (obj->t != JT_OBJ)
		return;
	struct jiter it;
	struct jval k, v;
	json_iter_init(&it, obj);
	while (json_iter_next(&it, &k, &v)) {
		enum xkey id = xkey_of(&k);
		if (id == XK_NONE || m->v[id].p)
			continue;
		/* null and "" are absent: Sentinel rows carry every column */
		if (v.t == JT_NULL || (v.t == JT_STR && v.n == 2)) {
			if (is_time_key(id) && !m->empty_time.p)
				m->empty_time = k;
			continue;
		}
		m->v[id] = v;
		m->key[id] = k;
	}
}

static bool xhas(const struct xm *m, enum xkey k)
{
	return m->v[k].p != NULL;
}

/* A member of a container by name, any case. */
static bool cget(const struct jval *obj, const char *name, struct jval *out)
{
	if (obj->t != JT_OBJ)
		return false;
	size_t n = strlen(name);
	struct jiter it;
	struct jval k, v;
	json_iter_init(&it, obj);
	while (json_iter_next(&it, &k, &v))
		if (k.t == JT_STR && !k.esc && json_str_len(&k) == n &&
		    strncasecmp(json_str_ptr(&k), name, n) == 0 && v.t != JT_NULL) {
			*out = v;
			return true;
		}
	return false;
}

/* obj.a.b...: each step an object, or JSON text holding one. */
static struct sv cpath(struct norm *nm, const struct jval *obj, const char *a, const char *b)
{
	struct jval o, v;
	struct sv none = { NULL, 0 };
	if (!obj->p || !norm_container(nm, obj, JT_OBJ, &o) || !cget(&o, a, &v))
		return none;
	if (b) {
		struct jval o2;
		if (!norm_container(nm, &v, JT_OBJ, &o2) || !cget(&o2, b, &v))
			return none;
	}
	return norm_text(nm, &v);
}

static struct sv xs(struct norm *nm, const struct xm *m, enum xkey k)
{
	struct sv r = { NULL, 0 };
	return xhas(m, k) ? norm_text(nm, &m->v[k]) : r;
}

static struct sv xl(struct norm *nm, const struct xm *m, enum xkey k)
{
	return norm_lower(nm, xs(nm, m, k));
}

static void fill(struct sv *dst, struct sv v)
{
	if (!dst->p && v.p && v.n)
		*dst = v;
}

static struct sv lit(const char *s)
{
	return (struct sv){ s, strlen(s) };
}

/* printf into the arena; absent when it does not fit. */
static struct sv fmt(struct norm *nm, const char *f, ...) __attribute__((format(printf, 2, 3)));
static struct sv fmt(struct norm *nm, const char *f, ...)
{
	struct sv r = { NULL, 0 };
	size_t room = nm->acap - nm->alen;
	if (room < 2)
		return r;
	if (room > 1024)
		room = 1024;
	va_list ap;
	va_start(ap, f);
	int k = vsnprintf(nm->arena + nm->alen, room, f, ap);
	va_end(ap);
	if (k < 0)
		return r;
	size_t n = (size_t)k < room ? (size_t)k : room - 1;
	r.p = nm->arena + nm->alen;
	r.n = n;
	nm->alen += n + 1;
	return r;
}

#define SV(s) (int)((s).n > 400 ? 400 : (s).n), (s).p ? (s).p : ""

static int unreadable(const struct jval *key, const char **why)
{
	static _Thread_local char buf[80];
	snprintf(buf, sizeof buf, "unreadable %.*s", (int)(json_str_len(key) > 60 ? 60 : json_str_len(key)),
		 json_str_ptr(key));
	*why = buf;
	return -1;
}

/* The first of the keys that holds a readable time; -1 with *why when
 * one is there but unreadable; 0 when none is there (ts unset). */
static int xtime(struct norm *nm, const struct xm *m, struct event *ev, const char **why,
		 const enum xkey *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (!xhas(m, keys[i]))
			continue;
		const struct jval *v = &m->v[keys[i]];
		int64_t ms;
		if (keys[i] == XK__time && v->t == JT_NUM) {
			/* a pipeline's epoch seconds, maybe with a fraction */
			char buf[40];
			size_t n = v->n < sizeof buf - 1 ? v->n : sizeof buf - 1;
			memcpy(buf, v->p, n);
			buf[n] = '\0';
			char *end;
			double s = strtod(buf, &end);
			if (end == buf || s < 0 || s > 32503680000.0)
				return unreadable(&m->key[keys[i]], why);
			ev->ts = (int64_t)(s * 1000.0 + 0.5);
			return 1;
		}
		struct sv t = norm_text(nm, v);
		if (t.p && time_parse(t.p, t.n, &ms)) {
			ev->ts = ms;
			return 1;
		}
		return unreadable(&m->key[keys[i]], why);
	}
	if (m->empty_time.p)
		return unreadable(&m->empty_time, why);
	return 0;
}
#define XTIME(nm, m, ev, why, ...)                                \
	xtime(nm, m, ev, why, (const enum xkey[]){ __VA_ARGS__ }, \
	      sizeof((const enum xkey[]){ __VA_ARGS__ }) / sizeof(enum xkey))

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
	}
	if (!have)
		return (struct sv){ NULL, 0 };
	if (code == 0)
		return lit("Success");
	if (!why.p)
		why = xs(nm, m, XK_resultdescription);
	if (why.p && why.n)
		return fmt(nm, "Failure (%lld: %.*s)", code, (int)(why.n < 160 ? why.n : 160), why.p);
	return fmt(nm, "Failure (%lld)", code);
}

/* What a sign-in category or table says about the sign-in. */
static const char *signin_op_of(struct sv cat)
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

static int norm_signin_x(struct norm *nm, const struct xm *m, struct sv cat, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_createddatetime, XK_timegenerated, XK_time) < 0)
		return -1;
	ev->kind = KIND_SIGNIN;
	fill(&ev->record_id, xs(nm, m, XK_id));
	bool sp = false;
	fill(&ev->user, xl(nm, m, XK_userprincipalname));
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
	if (!op && xhas(m, XK_signineventtypes)) {
		struct jval arr, t;
		if (norm_container(nm, &m->v[XK_signineventtypes], JT_ARR, &arr)) {
			struct jiter it;
			json_iter_init(&it, &arr);
			while (json_iter_next(&it, NULL, &t)) {
				if (json_str_eq(&t, "servicePrincipal"))
					op = "Service principal sign-in";
				else if (json_str_eq(&t, "managedIdentity"))
					op = "Managed identity sign-in";
				else if (json_str_eq(&t, "nonInteractiveUser"))
					op = "Non-interactive sign-in";
				else if (json_str_eq(&t, "interactiveUser") && !op)
					op = "Sign-in";
			}
		}
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
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_ipaddress)));
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
		fill(&ev->detail,
		     fmt(nm, "%.*s%s%.*s%s%.*s%s%.*s", SV(app), res.p ? " -> " : "", SV(res),
			 ctry.p || city.p ? " from " : "", SV(city), city.p && ctry.p ? ", " : "", SV(ctry)));
	return 0;
}

static int norm_diraudit_x(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_activitydatetime, XK_timegenerated, XK_time) < 0)
		return -1;
	ev->kind = KIND_DIRAUDIT;
	fill(&ev->record_id, xs(nm, m, XK_id));
	fill(&ev->rtype, lit("EntraDirectoryAudit"));
	fill(&ev->workload, lit("AzureActiveDirectory"));
	if (xhas(m, XK_provisioningaction) || xhas(m, XK_provisioningstatusinfo)) {
		struct sv act = xs(nm, m, XK_provisioningaction);
		fill(&ev->op, fmt(nm, "Provisioning: %.*s", SV(act)));
		fill(&ev->result, cpath(nm, &m->v[XK_provisioningstatusinfo], "status", NULL));
		struct sv src = cpath(nm, &m->v[XK_sourceidentity], "displayName", NULL);
		struct sv dst = cpath(nm, &m->v[XK_targetidentity], "displayName", NULL);
		if (src.p || dst.p)
			fill(&ev->detail, fmt(nm, "%.*s -> %.*s", SV(src), SV(dst)));
	}
	fill(&ev->op, xs(nm, m, XK_activitydisplayname));
	fill(&ev->op, xs(nm, m, XK_operationname));
	fill(&ev->result, xs(nm, m, XK_result));
	const struct jval *by = &m->v[XK_initiatedby];
	if (by->p) {
		fill(&ev->user, norm_lower(nm, cpath(nm, by, "user", "userPrincipalName")));
		fill(&ev->ip, normalize_ip(nm, cpath(nm, by, "user", "ipAddress")));
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
				fill(&ev->detail, fmt(nm, "target: %.*s%s%.*s%s", SV(type), type.p ? " " : "",
						      SV(name), ""));
		}
	}
	return 0;
}

static int norm_graphact(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_timegenerated, XK_time, XK_timestamp) < 0)
		return -1;
	ev->kind = KIND_GRAPH;
	struct sv method = xs(nm, m, XK_requestmethod), uri = xs(nm, m, XK_requesturi);
	fill(&ev->record_id, xs(nm, m, XK_requestid));
	fill(&ev->op, fmt(nm, "Graph %.*s", SV(method)));
	fill(&ev->detail,
	     fmt(nm, "%.*s %.*s", SV(method), (int)(uri.n > 900 ? 900 : uri.n), uri.p ? uri.p : ""));
	fill(&ev->rtype, lit("GraphActivity"));
	fill(&ev->workload, lit("MicrosoftGraph"));
	fill(&ev->result, xs(nm, m, XK_responsestatuscode));
	fill(&ev->app, xl(nm, m, XK_appid));
	fill(&ev->user, xl(nm, m, XK_userprincipalname));
	fill(&ev->user, xl(nm, m, XK_userid));
	fill(&ev->user, xl(nm, m, XK_serviceprincipalid));
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_ipaddress)));
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_calleripaddress)));
	fill(&ev->client_info, xs(nm, m, XK_useragent));
	/* signInActivityId is the sign-in's uniqueTokenIdentifier */
	fill(&ev->token, xs(nm, m, XK_signinactivityid));
	fill(&ev->session, xs(nm, m, XK_sessionid));
	return 0;
}

static int norm_msgtrace(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
{
	if (XTIME(nm, m, ev, why, XK_received, XK_timegenerated, XK_timestamp) < 0)
		return -1;
	ev->kind = KIND_MSGTRACE;
	struct sv from = xl(nm, m, XK_senderaddress), to = xl(nm, m, XK_recipientaddress);
	struct sv subj = xs(nm, m, XK_subject), tid = xs(nm, m, XK_messagetraceid);
	/* one trace id per message, one row per recipient */
	if (tid.p)
		fill(&ev->record_id, fmt(nm, "%.*s/%.*s", SV(tid), SV(to)));
	fill(&ev->op, lit("Message trace"));
	fill(&ev->rtype, lit("MessageTrace"));
	fill(&ev->workload, lit("Exchange"));
	fill(&ev->result, xs(nm, m, XK_status));
	fill(&ev->user, from);
	fill(&ev->mailbox, to);
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_fromip)));
	fill(&ev->detail, fmt(nm, "%.*s -> %.*s: %.*s", SV(from), SV(to), SV(subj)));
	return 0;
}

static int norm_azactivity(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
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
	fill(&ev->ip, normalize_ip(nm, cpath(nm, &m->v[XK_httprequest], "clientIpAddress", NULL)));
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_calleripaddress)));
	if (xhas(m, XK_status) && m->v[XK_status].t == JT_OBJ)
		fill(&ev->result, cpath(nm, &m->v[XK_status], "value", NULL));
	fill(&ev->result, xs(nm, m, XK_activitystatusvalue));
	fill(&ev->result, xs(nm, m, XK_activitystatus));
	fill(&ev->result, xs(nm, m, XK_resulttype));
	struct sv res = xs(nm, m, XK_resourceid);
	fill(&res, xs(nm, m, XK__resourceid));
	if (name.p && ev->op.p && (name.n != ev->op.n || memcmp(name.p, ev->op.p, name.n) != 0))
		fill(&ev->detail, fmt(nm, "%.*s: %.*s", SV(name), SV(res)));
	else
		fill(&ev->detail, res);
	return 0;
}

static int norm_risk(struct norm *nm, const struct xm *m, bool user_risk, struct event *ev, const char **why)
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
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_ipaddress)));
	fill(&ev->result, state);
	fill(&ev->token, xs(nm, m, XK_requestid));
	if (user_risk)
		fill(&ev->detail, fmt(nm, "risk level %.*s, %.*s (%.*s)", SV(level), SV(state), SV(detail)));
	else
		fill(&ev->detail, fmt(nm, "%.*s, risk level %.*s, %.*s", SV(type), SV(level), SV(state)));
	return 0;
}

static int norm_alert(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
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
	fill(&ev->detail, fmt(nm, "%.*s: %.*s", SV(sev), SV(title)));
	/* v1: userStates[]; v2: evidence[] with userAccount and ipAddress */
	struct jval arr, el;
	if (xhas(m, XK_userstates) && norm_container(nm, &m->v[XK_userstates], JT_ARR, &arr)) {
		struct jiter it;
		json_iter_init(&it, &arr);
		if (json_iter_next(&it, NULL, &el)) {
			fill(&ev->user, norm_lower(nm, cpath(nm, &el, "userPrincipalName", NULL)));
			fill(&ev->ip, normalize_ip(nm, cpath(nm, &el, "logonIp", NULL)));
		}
	}
	if (xhas(m, XK_evidence) && norm_container(nm, &m->v[XK_evidence], JT_ARR, &arr)) {
		struct jiter it;
		json_iter_init(&it, &arr);
		while (json_iter_next(&it, NULL, &el)) {
			fill(&ev->user, norm_lower(nm, cpath(nm, &el, "userAccount", "userPrincipalName")));
			fill(&ev->ip, normalize_ip(nm, cpath(nm, &el, "ipAddress", NULL)));
		}
	}
	fill(&ev->user, xl(nm, m, XK_compromisedentity));
	return 0;
}

static int norm_xdr(struct norm *nm, const struct jval *obj, const struct xm *m, struct sv table,
		    struct event *ev, const char **why)
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
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_ipaddress)));
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_remoteip)));
	fill(&ev->app, xl(nm, m, XK_appid));
	fill(&ev->client_app, xl(nm, m, XK_oauthappid));
	fill(&ev->workload, xs(nm, m, XK_application));
	struct sv dev = xs(nm, m, XK_devicename), what = xs(nm, m, XK_objectname);
	fill(&what, xs(nm, m, XK_filename));
	if (dev.p || what.p)
		fill(&ev->detail, fmt(nm, "%.*s%s%.*s", SV(dev), dev.p && what.p ? ": " : "", SV(what)));
	/* ReportId is unique per device (or per table for the others) */
	struct sv rid = xs(nm, m, XK_reportid), did = xs(nm, m, XK_deviceid);
	if (rid.p)
		fill(&ev->record_id, fmt(nm, "%.*s%s%.*s", SV(rid), did.p ? "@" : "", SV(did)));
	return 0;
}

static int norm_generic(struct norm *nm, const struct xm *m, struct event *ev, const char **why)
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
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_calleripaddress)));
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_ipaddress)));
	fill(&ev->result, xs(nm, m, XK_resulttype));
	fill(&ev->result, xs(nm, m, XK_resultsignature));
	fill(&ev->app, xl(nm, m, XK_appid));
	struct sv res = xs(nm, m, XK_resourceid);
	fill(&res, xs(nm, m, XK__resourceid));
	fill(&ev->detail, res);
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
			struct sv id = fmt(nm, "%.*s#%s", SV(ev->record_id), t[i].cls);
			if (id.p)
				ev->record_id = id;
			return;
		}
}

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
	if ((xhas(m, XK_operationnamevalue) || xhas(m, XK_eventdataid)) && (t_any || xhas(m, XK_eventtimestamp)))
		return REC_AZACTIVITY;
	if ((xhas(m, XK_createddatetime) || xhas(m, XK_timegenerated)) &&
	    (xhas(m, XK_uniquetokenidentifier) || signin_op_of(plain(&m->v[XK_type])) ||
	     signin_op_of(plain(&m->v[XK_category])) ||
	     (xhas(m, XK_createddatetime) && (xhas(m, XK_ipaddress) || xhas(m, XK_appid) || xhas(m, XK_status)))))
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
	fill(&ev->ip, normalize_ip(nm, xs(nm, m, XK_calleripaddress)));
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
