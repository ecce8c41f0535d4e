/*
 * normalize_nested.c: values inside values. JSON held as text in a string
 * (Sentinel's columns, AuditData as text), PowerShell's depth-cut object
 * text ("@{Name=...; Value=...}"), {Name, Value} arrays, and Exchange's
 * Folders[] with their messages.
 */
#include <ctype.h>
#include <string.h>

#include "normalize_priv.h"
#include "xalloc.h"

/* Validate JSON held in a string value (Sentinel, AuditData as text):
 * unescaped into the arena, then scanned. */
static bool nested_json(struct norm *nm, const struct jval *s, struct jval *out)
{
	struct sv t = norm_text(nm, s);
	if (!t.p)
		return false;
	const char *err, *at;
	const char *e = json_scan_value(t.p, t.p + t.n, out, &err, &at);
	return e && json_skip_ws(e, t.p + t.n) == t.p + t.n;
}

/* An object, or a string holding one: the value to walk. */
bool norm_container(struct norm *nm, const struct jval *v, enum jtype want, struct jval *out)
{
	if (v->t == want) {
		*out = *v;
		return true;
	}
	if (v->t == JT_STR && nested_json(nm, v, out) && out->t == want)
		return true;
	return false;
}

/*
 * PowerShell's ConvertTo-Json stops at a depth (2 by default) and writes
 * what lies deeper as the object's text: "@{Value=Bind; Name=MailAccessType}"
 * for an object, "System.Object[]" for an array. An object's text still
 * holds its scalar members, read here; an array's is lost.
 */
static bool ps_field(struct sv s, const char *key, struct sv *out)
{
	if (!s.p || s.n < 3 || s.p[0] != '@' || s.p[1] != '{')
		return false;
	size_t kn = strlen(key);
	const char *p = s.p + 2, *e = s.p + s.n;
	if (e > p && e[-1] == '}')
		e--;
	while (p < e) {
		/* a member starts here: "Key=" */
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (!eq)
			return false;
		const char *v = eq + 1, *ve = v;
		/* the value runs to the next "; Key=" */
		for (;;) {
			const char *sc = memchr(ve, ';', (size_t)(e - ve));
			if (!sc) {
				ve = e;
				break;
			}
			const char *k = sc + 1;
			while (k < e && *k == ' ')
				k++;
			const char *k2 = k;
			while (k2 < e && (isalnum((unsigned char)*k2) || *k2 == '_'))
				k2++;
			if (k2 > k && k2 < e && *k2 == '=') {
				ve = sc;
				break;
			}
			ve = sc + 1;
		}
		if ((size_t)(eq - p) == kn && memcmp(p, key, kn) == 0) {
			out->p = v;
			out->n = (size_t)(ve - v);
			if (out->n == 0)
				out->p = NULL;
			return true;
		}
		p = ve < e ? ve + 1 : e;
		while (p < e && *p == ' ')
			p++;
	}
	return false;
}

/* A span as a JSON string value in the arena, so that it can stand where
 * a parsed value is expected. */
static bool sv_as_jstr(struct norm *nm, struct sv s, struct jval *out)
{
	if (!s.p || nm->alen + 2 * s.n + 3 > nm->acap)
		return false;
	char *w = nm->arena + nm->alen, *start = w;
	bool esc = false;
	*w++ = '"';
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '"' || c == '\\') {
			*w++ = '\\';
			esc = true;
		} else if (c < 0x20) {
			c = ' ';
		}
		*w++ = (char)c;
	}
	*w++ = '"';
	out->p = start;
	out->n = (size_t)(w - start);
	out->t = JT_STR;
	out->esc = esc;
	out->ends = NULL;
	*w++ = '\0';
	nm->alen += out->n + 1;
	return true;
}

/* The members named a and b of object obj (the last of each name, as a
 * walk over its members keeps them; absent: p NULL). On the tape (nearly
 * always: the validation put it there) its entries are read as they are,
 * without an iterator and a key and a value copied out for each member:
 * the {Name, Value} elements and Folders[] with their items were walked
 * member by member through json_iter_next (about 110 instructions an
 * element of two members). */
__attribute__((always_inline)) static inline bool
tape_key_is(const struct json_ends *e, const struct json_tape *t, const char *lit, size_t n)
{
	if (!(t->esc & 1))
		return t->klen == n + 2 && memcmp(e->base + t->key + 1, lit, n) == 0;
	struct jval k = { e->base + t->key, t->klen, JT_STR, true, e };
	return json_str_eqn(&k, lit, n);
}

__attribute__((always_inline)) static inline void members2(const struct jval *obj, const char *a, size_t an,
							   const char *b, size_t bn, struct jval *va,
							   struct jval *vb)
{
	struct jiter it;
	struct jval k, v;
	*va = *vb = (struct jval){ 0 };
	json_iter_init(&it, obj);
	if (it.tape) {
		const struct json_ends *e = it.ends;
		for (uint32_t ti = it.ti; ti;) {
			const struct json_tape *t = &e->tape[ti - 1];
			ti = t->next;
			struct jval *dst = tape_key_is(e, t, a, an)   ? va
					   : tape_key_is(e, t, b, bn) ? vb
								      : NULL;
			if (dst)
				*dst = (struct jval){ e->base + t->val, t->vlen, (enum jtype)t->t,
						      (t->esc & 2) != 0, e };
		}
		return;
	}
	while (json_iter_next(&it, &k, &v)) {
		if (json_str_eq(&k, a))
			*va = v;
		else if (json_str_eq(&k, b))
			*vb = v;
	}
}

/* Does the Name value nv say name (len bytes)? json_str_eq, with the
 * name's length taken once for the walk and its first byte tested before
 * the compare's call: the arrays' other elements (DeviceProperties' OS,
 * BrowserType, ...) differ there nearly always (each element's strlen and
 * memcmp calls were a third of these walks). */
static inline bool names_name(const struct jval *nv, const char *name, size_t len)
{
	if (nv->t == JT_STR && !nv->esc)
		return nv->n == len + 2 &&
		       (len == 0 || (nv->p[1] == name[0] && memcmp(nv->p + 1, name, len) == 0));
	return json_str_eqn(nv, name, len);
}

/* {Name, Value} arrays: the Value of the first element named name. */
bool norm_name_value(struct norm *nm, const struct jval *arr, const char *name, struct jval *out)
{
	struct jval a, el;
	if (!norm_container(nm, arr, JT_ARR, &a))
		return false;
	size_t len = strlen(name);
	struct jiter it;
	json_iter_init(&it, &a);
	while (json_iter_next(&it, NULL, &el)) {
		if (el.t == JT_STR) {
			/* "@{Value=Bind; Name=MailAccessType}" */
			struct sv t = norm_text(nm, &el), pn, pv;
			if (ps_field(t, "Name", &pn)) {
				nm->ps_seen++;
				if (pn.p && pn.n == strlen(name) && memcmp(pn.p, name, pn.n) == 0 &&
				    ps_field(t, "Value", &pv) && sv_as_jstr(nm, pv, out))
					return true;
			}
			continue;
		}
		if (el.t != JT_OBJ)
			continue;
		struct jval nv, vv;
		members2(&el, "Name", 4, "Value", 5, &nv, &vv);
		if (nv.p && vv.p && names_name(&nv, name, len)) {
			*out = vv;
			return true;
		}
	}
	return false;
}

/* name_value for several names in one walk over the array: found[i] and
 * out[i] for names[i], the first element that names it. */
void norm_name_values(struct norm *nm, const struct jval *arr, const struct sv *names, size_t n,
		      struct jval *out, bool *found)
{
	struct jval a, el;
	size_t left = n;
	for (size_t i = 0; i < n; i++)
		found[i] = false;
	if (!norm_container(nm, arr, JT_ARR, &a))
		return;
	struct jiter it;
	json_iter_init(&it, &a);
	while (left && json_iter_next(&it, NULL, &el)) {
		if (el.t == JT_STR) {
			/* "@{Value=Bind; Name=MailAccessType}" */
			struct sv t = norm_text(nm, &el), pn, pv;
			if (!ps_field(t, "Name", &pn))
				continue;
			nm->ps_seen++;
			for (size_t i = 0; i < n; i++)
				if (!found[i] && pn.p && pn.n == names[i].n &&
				    memcmp(pn.p, names[i].p, pn.n) == 0 && ps_field(t, "Value", &pv) &&
				    sv_as_jstr(nm, pv, &out[i])) {
					found[i] = true;
					left--;
				}
			continue;
		}
		if (el.t != JT_OBJ)
			continue;
		struct jval nv, vv;
		members2(&el, "Name", 4, "Value", 5, &nv, &vv);
		if (!nv.p || !vv.p)
			continue;
		for (size_t i = 0; i < n; i++)
			if (!found[i] && names_name(&nv, names[i].p, names[i].n)) {
				out[i] = vv;
				found[i] = true;
				left--;
				break;
			}
	}
}

static void add_msg(struct norm *nm, struct event *ev, struct sv folder, struct sv msgid, int64_t size)
{
	nm->msgs = xgrow(nm->msgs, &nm->mcap, ev->nmsgs + 1, sizeof *nm->msgs);
	ev->msgs = nm->msgs;
	nm->msgs[ev->nmsgs].folder = folder;
	nm->msgs[ev->nmsgs].msgid = msgid;
	nm->msgs[ev->nmsgs].size = size;
	ev->nmsgs++;
}

/* Folders[].Path and Folders[].FolderItems[].InternetMessageId: one row
 * per message; a folder without items (Sync) is one row for the folder. */
void norm_folders(struct norm *nm, const struct jval *fv, struct event *ev)
{
	struct jval arr, f;
	if (!norm_container(nm, fv, JT_ARR, &arr))
		return;
	struct jiter it;
	json_iter_init(&it, &arr);
	while (json_iter_next(&it, NULL, &f)) {
		if (f.t == JT_STR) {
			/* "@{Id=...; Path=\\Inbox; FolderItems=System.Object[]}": the
			 * folder survives, its messages do not */
			struct sv t = norm_text(nm, &f), path, items;
			if (ps_field(t, "Path", &path)) {
				nm->ps_seen++;
				/* a folder row without ids means "every item"
				 * (Sync): say it only when no items were cut */
				if (ps_field(t, "FolderItems", &items) && items.p)
					nm->ps_lost_msgs++;
				else
					add_msg(nm, ev, path, (struct sv){ NULL, 0 }, -1);
			}
			continue;
		}
		if (f.t != JT_OBJ)
			continue;
		struct jval path, items;
		members2(&f, "Path", 4, "FolderItems", 11, &path, &items);
		struct sv folder = norm_text(nm, &path);
		size_t before = ev->nmsgs;
		if (items.p && items.t == JT_ARR) {
			struct jiter it3;
			struct jval item;
			json_iter_init(&it3, &items);
			while (json_iter_next(&it3, NULL, &item)) {
				struct jval mid, size;
				if (item.t != JT_OBJ)
					continue;
				members2(&item, "InternetMessageId", 17, "SizeInBytes", 11, &mid, &size);
				long long sz = -1;
				if (size.p)
					json_get_int(&size, &sz);
				struct sv m = norm_text(nm, &mid);
				if (m.p || sz >= 0)
					add_msg(nm, ev, folder, m, sz);
			}
		}
		if (ev->nmsgs == before && folder.p)
			add_msg(nm, ev, folder, (struct sv){ NULL, 0 }, -1);
	}
}
