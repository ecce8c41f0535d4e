/*
 * normalize_priv.h: what normalize.c and normalize_logs.c share; not for
 * the rest of core/.
 */
#ifndef AUDITSCOPE_NORMALIZE_PRIV_H
#define AUDITSCOPE_NORMALIZE_PRIV_H

#include "normalize.h"

/* normalize.c */
struct sv norm_text(struct norm *nm, const struct jval *v);
struct sv norm_lower(struct norm *nm, struct sv s);
bool norm_container(struct norm *nm, const struct jval *v, enum jtype want, struct jval *out);
void norm_clear(struct event *ev);
bool norm_is_ual_object(const struct jval *obj);
int norm_ual_object(struct norm *nm, const struct jval *obj, struct event *ev, const char **why);

/* normalize_logs.c: classify an object the UAL rules did not claim, and
 * normalize it as that kind. depth counts records inside records (a
 * pipeline capture's _raw, a diagnostic record's properties). */
enum rec_kind logs_classify(const struct jval *obj);
int logs_normalize(struct norm *nm, enum rec_kind kind, const struct jval *obj, struct event *ev,
		   const char **why, int depth);
const char *logs_kind_name(enum rec_kind k);

#endif
