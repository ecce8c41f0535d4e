/*
 * normalize_xkeys.c: the member names of the other logs (normalize_logs.h),
 * found by a tiny hash table on the lower-cased name, so that the Graph
 * and the Sentinel spelling of a field are one key (appId, AppId); an
 * object's members by those names; cget/cpath/xfmt/xtime.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "normalize_logs.h"
#include "timeparse.h"

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

static bool is_time_key(enum xkey k)
{
	return k == XK_time || k == XK_timegenerated || k == XK_timestamp || k == XK_createddatetime ||
	       k == XK_activitydatetime || k == XK_detecteddatetime || k == XK_eventtimestamp ||
	       k == XK_received || k == XK_risklastupdateddatetime || k == XK_eventdatetime ||
	       k == XK_firstactivitydatetime;
}

void xcollect(const struct jval *obj, struct xm *m)
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

/* A member of a container by name, any case. */
bool cget(const struct jval *obj, const char *name, struct jval *out)
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
struct sv cpath(struct norm *nm, const struct jval *obj, const char *a, const char *b)
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

struct sv xfmt(struct norm *nm, const char *f, ...)
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
int xtime(struct norm *nm, const struct xm *m, struct event *ev, const char **why, const enum xkey *keys,
	  size_t nkeys)
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
		if (t.p && time_parse_ex(t.p, t.n, nm->dates, &nm->dates_seen, &ms)) {
			ev->ts = ms;
			return 1;
		}
		return unreadable(&m->key[keys[i]], why);
	}
	if (m->empty_time.p)
		return unreadable(&m->empty_time, why);
	return 0;
}
