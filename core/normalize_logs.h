/*
 * normalize_logs.h: what the normalize_*.c files of the other logs
 * (issue 11) share: the member names they look for, matched without regard
 * to case, an object's members by those names, and the small helpers that
 * turn them into an event's fields. Not for the rest of core/.
 */
#ifndef AUDITSCOPE_NORMALIZE_LOGS_H
#define AUDITSCOPE_NORMALIZE_LOGS_H

#include "normalize_priv.h"

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
	X(ipaddr)                      \
	X(errorcode)                   \
	X(logontype)                   \
	X(networkmessageid)            \
	X(internetmessageid)           \
	X(recipientemailaddress)       \
	X(senderfromaddress)           \
	X(sendermailfromaddress)       \
	X(senderipv4)                  \
	X(senderipv6)                  \
	X(emaildirection)              \
	X(deliveryaction)

enum xkey {
	XK_NONE = 0,
#define X(n) XK_##n,

	XKEYS(X)
#undef X
		XK_COUNT
};

struct xm {
	struct jval v[XK_COUNT];
	struct jval key[XK_COUNT]; /* the name as the record spells it */
	struct jval empty_time;    /* a time member that was "", for the reason */
};

/* normalize_xkeys.c */
void xcollect(const struct jval *obj, struct xm *m);
/* A member of a container by name, any case. */
bool cget(const struct jval *obj, const char *name, struct jval *out);
/* obj.a.b...: each step an object, or JSON text holding one. */
struct sv cpath(struct norm *nm, const struct jval *obj, const char *a, const char *b);
/* printf into the arena; absent when it does not fit. */
struct sv xfmt(struct norm *nm, const char *f, ...) __attribute__((format(printf, 2, 3)));
/* The first of the keys that holds a readable time; -1 with *why when
 * one is there but unreadable; 0 when none is there (ts unset). */
int xtime(struct norm *nm, const struct xm *m, struct event *ev, const char **why, const enum xkey *keys,
	  size_t nkeys);
#define XTIME(nm, m, ev, why, ...)                                \
	xtime(nm, m, ev, why, (const enum xkey[]){ __VA_ARGS__ }, \
	      sizeof((const enum xkey[]){ __VA_ARGS__ }) / sizeof(enum xkey))

#define SV(s) (int)((s).n > 400 ? 400 : (s).n), (s).p ? (s).p : ""

static inline bool xhas(const struct xm *m, enum xkey k)
{
	return m->v[k].p != NULL;
}

static inline struct sv xs(struct norm *nm, const struct xm *m, enum xkey k)
{
	struct sv r = { NULL, 0 };
	return xhas(m, k) ? norm_text(nm, &m->v[k]) : r;
}

static inline struct sv xl(struct norm *nm, const struct xm *m, enum xkey k)
{
	return norm_lower(nm, xs(nm, m, k));
}

static inline void fill(struct sv *dst, struct sv v)
{
	if (!dst->p && v.p && v.n)
		*dst = v;
}

static inline struct sv lit(const char *s)
{
	return (struct sv){ s, strlen(s) };
}

/* normalize_entra.c: sign-ins, directory audits, Identity Protection risk */
const char *signin_op_of(struct sv cat);
int norm_signin_x(struct norm *nm, const struct xm *m, struct sv cat, struct event *ev, const char **why);
int norm_diraudit_x(struct norm *nm, const struct xm *m, struct event *ev, const char **why);
int norm_risk(struct norm *nm, const struct xm *m, bool user_risk, struct event *ev, const char **why);

/* normalize_activity.c: Graph activity, message trace, Azure Activity,
 * security alerts, Defender XDR rows, and any other log */
int norm_graphact(struct norm *nm, const struct xm *m, struct event *ev, const char **why);
int norm_msgtrace(struct norm *nm, const struct xm *m, struct event *ev, const char **why);
int norm_azactivity(struct norm *nm, const struct xm *m, struct event *ev, const char **why);
int norm_alert(struct norm *nm, const struct xm *m, struct event *ev, const char **why);
int norm_xdr(struct norm *nm, const struct jval *obj, const struct xm *m, struct sv table, struct event *ev,
	     const char **why);
int norm_generic(struct norm *nm, const struct xm *m, struct event *ev, const char **why);

#endif
