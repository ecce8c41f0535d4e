/*
 * hunt_rules.c: the hunts about Exchange rules and settings, read from
 * the raw records of the cmdlets and mailbox audit operations that make
 * them: inbox-rules, forwarding and anti-forensics (audit settings,
 * rules removed soon after they were made). All three are raw hunts
 * (hunt_entry.h): they select events by operation and evaluate the
 * parameters in their raw records.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hunt_entry.h"
#include "timeparse.h"
#include "xalloc.h"

/* Every reason ("; "-separated) of a finding adds 20, from 40. */
static int why_score(const char *why)
{
	int n = 1;
	for (const char *p = why; (p = strstr(p, "; ")); p += 2)
		n++;
	return 40 + 20 * n;
}

/* Remove-InboxRule this soon after the rule was made counts as covering
 * tracks (the planted intrusion removes its rule two days later). */
#define RULE_REMOVED_WITHIN (7 * DAY_MS)

static const struct hunt_col cols_rules[] = {
	{ "time", HUNT_TIME }, { "op", HUNT_TEXT },  { "user", HUNT_TEXT }, { "mailbox", HUNT_TEXT },
	{ "rule", HUNT_TEXT }, { "why", HUNT_TEXT }, { "ip", HUNT_TEXT },
};
static const struct hunt_col cols_admin[] = {
	{ "time", HUNT_TIME },   { "op", HUNT_TEXT },  { "user", HUNT_TEXT },
	{ "target", HUNT_TEXT }, { "why", HUNT_TEXT }, { "ip", HUNT_TEXT },
};

/* Characters (not bytes) of UTF-8 text. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool only_punct(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!ispunct((unsigned char)*s) && !isspace((unsigned char)*s))
			return false;
	return true;
}


static bool is_op(const struct hunt_cand *c, const char *op)
{
	return strcasecmp(c->optext, op) == 0;
}

/*
 * anti-forensics alone reads a New-InboxRule only when a Remove-InboxRule
 * follows it closely enough to match (RULE_REMOVED_WITHIN): most cases
 * have many rules and few removals, and every raw record read costs a
 * block. The candidates stay in id order.
 */
static void prune_rule_makers(struct hunt_cand *c, size_t *n)
{
	struct util_ivec removed = { 0 };
	for (size_t i = 0; i < *n; i++)
		if (is_op(&c[i], "Remove-InboxRule"))
			util_ivec_push(&removed, c[i].ts);
	size_t w = 0;
	for (size_t i = 0; i < *n; i++) {
		bool keep = !is_op(&c[i], "New-InboxRule");
		for (size_t j = 0; !keep && j < removed.n; j++)
			keep = c[i].ts <= removed.v[j] &&
			       hunt_gap(removed.v[j], c[i].ts) <= RULE_REMOVED_WITHIN;
		if (keep)
			c[w++] = c[i];
		else
			free(c[i].optext);
	}
	*n = w;
	util_ivec_free(&removed);
}

/* ------------------------------------------------------------------ */
/* inbox-rules */

static const char *const rule_ops[] = { "New-InboxRule", "Set-InboxRule", "Enable-InboxRule",
					"UpdateInboxRules", NULL };

/* Folders an intruder hides mail in. */
static const char *hiding_folder(const char *f)
{
	static const char *const hide[] = { "RSS Feeds", "RSS Subscriptions", "Conversation History",
					    "Archive",   "Deleted Items",     NULL };
	if (!f)
		return NULL;
	/* "mailbox:\RSS Feeds", ":\Conversation History", "RSS Feeds" */
	const char *tail = f;
	for (const char *p = f; *p; p++)
		if (*p == '\\' || *p == ':' || *p == '/')
			tail = p + 1;
	while (*tail == ' ')
		tail++;
	for (int i = 0; hide[i]; i++)
		if (strcasecmp(tail, hide[i]) == 0)
			return hide[i];
	return NULL;
}

static void name_reasons(struct util_buf *why, const char *name)
{
	if (!name)
		return;
	size_t n = utf8_chars(name);
	bool punct = only_punct(name);
	if (n >= 1 && n <= 3)
		util_buf_item(why, "; ", "name of %zu character%s%s", n, n == 1 ? "" : "s",
			      punct ? ", punctuation only" : "");
	else if (punct)
		util_buf_item(why, "; ", "name of punctuation only");
}

/*
 * Why a New-/Set-/Enable-InboxRule is suspicious, from its Parameters;
 * *name gets the rule's name. Empty when it is not.
 */
static char *rule_reasons_cmdlet(json_t *rec, char **name, char **owner)
{
	struct util_buf why = { 0 };
	static const struct {
		const char *param, *text;
	} fwd[] = {
		{ "ForwardTo", "forwards to" },
		{ "ForwardAsAttachmentTo", "forwards as attachment to" },
		{ "RedirectTo", "redirects to" },
	};
	for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++) {
		char *v = hunt_raw_param(rec, fwd[i].param);
		if (!hunt_raw_blank(v))
			util_buf_item(&why, "; ", "%s %s", fwd[i].text, v);
		free(v);
	}
	static const struct {
		const char *param, *text;
	} flags[] = {
		{ "DeleteMessage", "deletes" },
		{ "SoftDeleteMessage", "deletes" },
		{ "MarkAsRead", "marks as read" },
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		char *v = hunt_raw_param(rec, flags[i].param);
		if (hunt_raw_truthy(v))
			util_buf_item(&why, "; ", "%s", flags[i].text);
		free(v);
	}
	static const char *const moves[] = { "MoveToFolder", "CopyToFolder" };
	for (size_t i = 0; i < 2; i++) {
		char *v = hunt_raw_param(rec, moves[i]);
		const char *f = hiding_folder(v);
		if (f)
			util_buf_item(&why, "; ", "%s %s", i ? "copies to" : "moves to", f);
		free(v);
	}
	char *nm = hunt_raw_param(rec, "Name");
	char *ident = hunt_raw_param(rec, "Identity");
	json_t *oid = json_object_get(rec, "ObjectId");
	char *objid = json_is_string(oid) ? hunt_raw_jtext(oid) : NULL;
	if (!nm) {
		const char *t = hunt_raw_after_backslash(ident);
		if (!t)
			t = hunt_raw_after_backslash(objid);
		if (t)
			nm = xstrdup(t);
	}
	*owner = hunt_raw_identity_owner(objid && strchr(objid, '\\') ? objid : ident);
	name_reasons(&why, nm);
	*name = nm;
	free(ident);
	free(objid);
	return util_buf_take(&why);
}

/* UpdateInboxRules (Outlook's own rule edits): RuleName, RuleActions,
 * RuleOperation in OperationProperties. */
static char *rule_reasons_update(json_t *rec, char **name)
{
	struct util_buf why = { 0 };
	char *op = hunt_raw_nv(rec, "OperationProperties", "RuleOperation");
	char *nm = hunt_raw_nv(rec, "OperationProperties", "RuleName");
	char *act = hunt_raw_nv(rec, "OperationProperties", "RuleActions");
	*name = nm;
	if (op && hunt_raw_find(op, "Remove")) {
		free(op);
		free(act);
		return util_buf_take(&why);
	}
	if (act) {
		/* action types as JSON strings ("Delete" with its quotes, so that
		 * a folder named "Deleted Items" is not an action) */
		static const struct {
			const char *word, *text;
		} acts[] = {
			{ "\"Forward\"", "forwards" },
			{ "\"ForwardAsAttachment\"", "forwards as attachment" },
			{ "\"Redirect\"", "redirects" },
			{ "\"Delete\"", "deletes" },
			{ "\"PermanentDelete\"", "deletes permanently" },
			{ "\"MarkAsRead\"", "marks as read" },
		};
		for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
			if (hunt_raw_find(act, acts[i].word))
				util_buf_item(&why, "; ", "%s", acts[i].text);
		static const char *const hide[] = { "RSS Feeds", "RSS Subscriptions", "Conversation History",
						    "Archive",   "Deleted Items",     NULL };
		for (int i = 0; hide[i]; i++)
			if (hunt_raw_find(act, hide[i]))
				util_buf_item(&why, "; ", "moves to %s", hide[i]);
	}
	name_reasons(&why, nm);
	free(op);
	free(act);
	return util_buf_take(&why);
}

static void eval_rule(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out)
{
	(void)text;
	if (strcasecmp(c->optext, "UpdateInboxRules") == 0)
		out->why = rule_reasons_update(rec, &out->name);
	else
		out->why = rule_reasons_cmdlet(rec, &out->name, &out->owner);
}

static int rules_run(struct hctx *h)
{
	static const struct hunt_raw_cols k = {
		.owner = 3, .name = 4, .why = 5, .ip = 6, .owner_from_event = true
	};
	return hunt_raw_findings(h, &k, why_score);
}

const struct hunt_entry hunt_inbox_rules = {
	.def = { HUNT_INBOX_RULES, "inbox-rules",
		 "inbox rules that forward, delete, mark read, hide mail or have a throwaway name",
		 "Inbox rules made or changed (New-, Set-, Enable-InboxRule; Outlook's UpdateInboxRules) that "
		 "forward or redirect mail, delete it, mark it read, move it to a folder people do not look in "
		 "(RSS Feeds, Conversation History, Archive, Deleted Items), or carry a name of one to three "
		 "characters or of punctuation only. Every row is a hit. Score: 40, plus 20 per reason.",
		 HUNT_COLS(cols_rules) },
	.order = HUNT_ORDER_TIME,
	.raw = { rule_ops, false, eval_rule, NULL },
	.run = rules_run,
};

/* ------------------------------------------------------------------ */
/* forwarding */

static void eval_forwarding(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out)
{
	(void)text;
	const char *op = c->optext;
	struct util_buf why = { 0 };
	char *ident = hunt_raw_param(rec, "Identity");
	char *target = hunt_raw_short_id(ident);
	free(ident);
	if (strcasecmp(op, "Set-Mailbox") == 0) {
		static const char *const fw[] = { "ForwardingSmtpAddress", "ForwardingAddress" };
		for (int j = 0; j < 2; j++) {
			char *v = hunt_raw_param(rec, fw[j]);
			if (!hunt_raw_blank(v))
				util_buf_item(&why, "; ", "%s %s", fw[j], v);
			free(v);
		}
		char *v = hunt_raw_param(rec, "DeliverToMailboxAndForward");
		if (why.n && hunt_raw_truthy(v))
			util_buf_item(&why, "; ", "keeps a copy");
		free(v);
		v = hunt_raw_param(rec, "GrantSendOnBehalfTo");
		if (!hunt_raw_blank(v))
			util_buf_item(&why, "; ", "GrantSendOnBehalfTo %s", v);
		free(v);
	} else if (strcasecmp(op, "Add-MailboxPermission") == 0) {
		char *r = hunt_raw_param(rec, "AccessRights"), *u = hunt_raw_param(rec, "User");
		char *us = hunt_raw_short_id(u);
		if (r && hunt_raw_find(r, "FullAccess"))
			util_buf_item(&why, "; ", "FullAccess for %s", us ? us : "?");
		free(r);
		free(u);
		free(us);
	} else if (strcasecmp(op, "Add-RecipientPermission") == 0) {
		char *r = hunt_raw_param(rec, "AccessRights"), *u = hunt_raw_param(rec, "Trustee");
		util_buf_item(&why, "; ", "%s for %s", r ? r : "SendAs", u ? u : "?");
		free(r);
		free(u);
	} else if (hunt_raw_find(op, "TransportRule")) {
		static const char *const tp[] = { "RedirectMessageTo",         "BlindCopyTo",
						  "AddToRecipients",           "CopyTo",
						  "AddManagerAsRecipientType", NULL };
		for (int j = 0; tp[j]; j++) {
			char *v = hunt_raw_param(rec, tp[j]);
			if (!hunt_raw_blank(v))
				util_buf_item(&why, "; ", "%s %s", tp[j], v);
			free(v);
		}
		char *v = hunt_raw_param(rec, "DeleteMessage");
		if (hunt_raw_truthy(v))
			util_buf_item(&why, "; ", "deletes");
		free(v);
		if (!why.n)
			util_buf_item(&why, "; ", "transport rule changed");
		if (!target)
			target = hunt_raw_param(rec, "Name");
	} else {
		/* folder permissions, by cmdlet or by the mailbox audit */
		char *r = hunt_raw_param(rec, "AccessRights"), *u = hunt_raw_param(rec, "User");
		if (r || u)
			util_buf_item(&why, "; ", "folder permission %s for %s", r ? r : "?", u ? u : "?");
		else
			util_buf_item(&why, "; ", "folder permission changed");
		free(r);
		free(u);
		if (!target) {
			json_t *it = json_object_get(rec, "Item");
			json_t *pf = json_is_object(it) ? json_object_get(it, "ParentFolder") : NULL;
			json_t *path = json_is_object(pf) ? json_object_get(pf, "Path") : NULL;
			target = hunt_raw_jtext(path);
		}
	}
	if (!target) {
		json_t *oid = json_object_get(rec, "ObjectId");
		char *objid = json_is_string(oid) ? hunt_raw_jtext(oid) : NULL;
		target = hunt_raw_identity_owner(objid);
		free(objid);
	}
	out->why = util_buf_take(&why);
	out->owner = target;
}

static const char *const forwarding_ops[] = {
	"Set-Mailbox",
	"Add-MailboxPermission",
	"Add-RecipientPermission",
	"Add-MailboxFolderPermission",
	"Set-MailboxFolderPermission",
	"AddFolderPermissions",
	"ModifyFolderPermissions",
	"UpdateFolderPermissions",
	"New-TransportRule",
	"Set-TransportRule",
	"Enable-TransportRule",
	NULL,
};

static int forwarding_run(struct hctx *h)
{
	static const struct hunt_raw_cols k = { .owner = 3, .why = 4, .ip = 5 };
	return hunt_raw_findings(h, &k, why_score);
}

const struct hunt_entry hunt_forwarding = {
	.def = { HUNT_FORWARDING, "forwarding",
		 "mailbox forwarding, FullAccess/SendAs grants, folder permissions, transport rules",
		 "Mailbox settings that send mail elsewhere or give others access: Set-Mailbox forwarding "
		 "(ForwardingSmtpAddress, ForwardingAddress, GrantSendOnBehalfTo), FullAccess and SendAs grants, "
		 "folder permissions, and transport rules that redirect, copy or delete. Every row is a hit. "
		 "Score: 40, plus 20 per reason.",
		 HUNT_COLS(cols_admin) },
	.order = HUNT_ORDER_TIME,
	.raw = { forwarding_ops, false, eval_forwarding, NULL },
	.run = forwarding_run,
};

/* ------------------------------------------------------------------ */
/* anti-forensics */

static void eval_anti(const struct hunt_cand *c, json_t *rec, const char *text, struct hunt_facts *out)
{
	(void)text;
	const char *op = c->optext;
	struct util_buf why = { 0 };
	char *ident = hunt_raw_param(rec, "Identity");
	json_t *oid = json_object_get(rec, "ObjectId");
	char *objid = json_is_string(oid) ? hunt_raw_jtext(oid) : NULL;
	if (strcasecmp(op, "New-InboxRule") == 0 || strcasecmp(op, "Remove-InboxRule") == 0) {
		/* matched with each other afterwards, in time order */
		char *name = hunt_raw_param(rec, "Name");
		if (!name) {
			const char *t = hunt_raw_after_backslash(ident);
			if (!t)
				t = hunt_raw_after_backslash(objid);
			name = t ? xstrdup(t) : NULL;
		}
		out->name = name;
		out->owner = hunt_raw_identity_owner(objid && strchr(objid, '\\')   ? objid
						     : ident && strchr(ident, '\\') ? ident
										    : NULL);
	} else if (strcasecmp(op, "Set-Mailbox") == 0) {
		char *v = hunt_raw_param(rec, "AuditEnabled");
		if (hunt_raw_falsy(v))
			util_buf_item(&why, "; ", "mailbox auditing turned off");
		free(v);
		static const char *const acts[] = { "AuditOwner", "AuditDelegate", "AuditAdmin" };
		for (int j = 0; j < 3; j++) {
			v = hunt_raw_param(rec, acts[j]);
			if (v)
				util_buf_item(&why, "; ", "%s set to %s", acts[j], v);
			free(v);
		}
	} else if (strcasecmp(op, "Set-OrganizationConfig") == 0) {
		char *v = hunt_raw_param(rec, "AuditDisabled");
		if (hunt_raw_truthy(v))
			util_buf_item(&why, "; ", "mailbox auditing turned off for the organisation");
		free(v);
	} else {
		/* Set-AdminAuditLogConfig, Set-MailboxAuditBypassAssociation:
		 * listed with what they set; a finding when they turn auditing
		 * off or narrow it (tenants set these at provisioning too) */
		bool off = false;
		json_t *owned;
		json_t *a = hunt_raw_jarray(rec, "Parameters", &owned);
		size_t j;
		json_t *el;
		json_array_foreach(a, j, el)
		{
			json_t *nm = json_object_get(el, "Name");
			if (!json_is_string(nm) || strcasecmp(json_string_value(nm), "Identity") == 0)
				continue;
			char *pn = hunt_raw_jtext(nm);
			char *v = hunt_raw_jtext(json_object_get(el, "Value"));
			util_buf_item(&why, "; ", "%s=%s", pn, v ? v : "");
			size_t pl = strlen(pn);
			if ((pl > 7 && strcasecmp(pn + pl - 7, "Enabled") == 0 && hunt_raw_falsy(v)) ||
			    (strcasecmp(pn, "AuditBypassEnabled") == 0 && hunt_raw_truthy(v)) ||
			    ((strcasecmp(pn, "AdminAuditLogExcludedCmdlets") == 0 ||
			      strcasecmp(pn, "AdminAuditLogCmdlets") == 0 ||
			      strcasecmp(pn, "AdminAuditLogParameters") == 0 ||
			      strcasecmp(pn, "AdminAuditLogAgeLimit") == 0) &&
			     !hunt_raw_blank(v)))
				off = true;
			free(v);
			free(pn);
		}
		json_decref(owned);
		if (!why.n)
			util_buf_item(&why, "; ", "audit configuration changed");
		out->context = !off;
	}
	if (why.n)
		out->owner = ident ? hunt_raw_short_id(ident) : hunt_raw_short_id(objid);
	out->why = util_buf_take(&why);
	free(ident);
	free(objid);
}

struct timed {
	const struct hunt_cand *c;
	struct hunt_facts *f;
};

static int cmp_timed(const void *a, const void *b)
{
	return hunt_raw_cmp_ts(((const struct timed *)a)->c, ((const struct timed *)b)->c);
}

static const char *const anti_ops[] = {
	"Set-AdminAuditLogConfig",
	"Set-MailboxAuditBypassAssociation",
	"Set-Mailbox",
	"Set-OrganizationConfig",
	"New-InboxRule",
	"Remove-InboxRule",
	NULL,
};

static int anti_run(struct hctx *h)
{
	struct hunt_cand *c;
	struct hunt_facts *f;
	size_t n;
	if (hunt_raw_candidates(h, &c, &n, &f) < 0)
		return -1;
	/* a rule is made before it is removed: walk in time order */
	struct timed *t = xcalloc(n ? n : 1, sizeof *t);
	for (size_t i = 0; i < n; i++)
		t[i] = (struct timed){ &c[i], &f[i] };
	qsort(t, n, sizeof *t, cmp_timed);
	struct made_rule {
		const char *owner, *name;
		int64_t ts;
	} *made = NULL;
	size_t nmade = 0, mcap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hunt_cand *ci = t[i].c;
		struct hunt_facts *fi = t[i].f;
		bool is_new = strcasecmp(ci->optext, "New-InboxRule") == 0;
		bool is_remove = strcasecmp(ci->optext, "Remove-InboxRule") == 0;
		if (!fi->seen)
			continue;
		if ((is_new || is_remove) && !fi->owner)
			fi->owner = hunt_vtext(h, "mailbox", ci->mailbox ? ci->mailbox : ci->user);
		if (is_new && fi->name && fi->owner) {
			made = xgrow(made, &mcap, nmade + 1, sizeof *made);
			made[nmade++] = (struct made_rule){ fi->owner, fi->name, ci->ts };
			continue;
		}
		if (is_remove && fi->name && fi->owner) {
			for (size_t j = nmade; j-- > 0;) {
				if (strcasecmp(made[j].owner, fi->owner) != 0 ||
				    strcmp(made[j].name, fi->name) != 0)
					continue;
				int64_t gap = hunt_gap(ci->ts, made[j].ts);
				if (gap >= 0 && gap <= RULE_REMOVED_WITHIN) {
					char tm[40];
					time_format(made[j].ts, tm, sizeof tm);
					tm[10] = ' ';
					tm[16] = '\0';
					free(fi->why);
					fi->why = xasprintf("removes rule '%s' made %s (%.1f days before)",
							    fi->name, tm, (double)gap / (double)DAY_MS);
				}
				break;
			}
		}
		static const struct hunt_raw_cols k = { .owner = 3, .why = 4, .ip = 5 };
		if (fi->why && *fi->why)
			hunt_raw_finding(h, ci, fi, &k, why_score);
	}
	free(made);
	free(t);
	hunt_raw_facts_free(f, n);
	hunt_raw_cands_free(c, n);
	return 0;
}

/* ------------------------------------------------------------------ */

const struct hunt_entry hunt_anti_forensics = {
	.def = { HUNT_ANTI_FORENSICS, "anti-forensics",
		 "audit settings changed, audit bypass, inbox rules removed soon after creation",
		 "Covering tracks: mailbox or organisation auditing turned off, audit actions narrowed, audit "
		 "bypass granted, admin audit log settings changed (listed for context unless they turn auditing "
		 "off or narrow it), and inbox rules removed within 7 days of being made. Score: 40, plus 20 per "
		 "reason; context rows 0.",
		 HUNT_COLS(cols_admin) },
	.order = HUNT_ORDER_TIME,
	.raw = { anti_ops, false, eval_anti, prune_rule_makers },
	.run = anti_run,
};
