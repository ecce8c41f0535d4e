/*
 * normalize_keys.c: the member names the UAL walkers look for (normalize.c),
 * found by a tiny hash table, and the members of one object by name.
 */
#include <stdint.h>
#include <string.h>

#include "normalize_priv.h"

static const char *const key_names[K_COUNT] = {
	[K_CreationTime] = "CreationTime",
	[K_Id] = "Id",
	[K_Operation] = "Operation",
	[K_RecordType] = "RecordType",
	[K_Workload] = "Workload",
	[K_UserId] = "UserId",
	[K_AppId] = "AppId",
	[K_ApplicationId] = "ApplicationId",
	[K_ClientAppId] = "ClientAppId",
	[K_ClientIP] = "ClientIP",
	[K_ClientIPAddress] = "ClientIPAddress",
	[K_ActorIpAddress] = "ActorIpAddress",
	[K_ResultStatus] = "ResultStatus",
	[K_SessionId] = "SessionId",
	[K_AppAccessContext] = "AppAccessContext",
	[K_MailboxOwnerUPN] = "MailboxOwnerUPN",
	[K_OperationProperties] = "OperationProperties",
	[K_OperationCount] = "OperationCount",
	[K_Folders] = "Folders",
	[K_ClientInfoString] = "ClientInfoString",
	[K_ExtendedProperties] = "ExtendedProperties",
	[K_AADSessionId] = "AADSessionId",
	[K_UniqueTokenId] = "UniqueTokenId",
	[K_ErrorNumber] = "ErrorNumber",
	[K_LogonError] = "LogonError",
	[K_DeviceProperties] = "DeviceProperties",
	[K_TimeGenerated] = "TimeGenerated",
	[K_OfficeId] = "OfficeId",
	[K_OfficeWorkload] = "OfficeWorkload",
	[K_Client_IPAddress] = "Client_IPAddress",
	[K_SourceRecordId] = "SourceRecordId",
	[K_AuditData] = "AuditData",
	[K_CreationDate] = "CreationDate",
	[K_RecordId] = "RecordId",
	[K_Operations] = "Operations",
	[K_UserIds] = "UserIds",
	[K_Identity] = "Identity",
	[K_auditData] = "auditData",
	[K_id] = "id",
	[K_createdDateTime] = "createdDateTime",
	[K_operation] = "operation",
	[K_userPrincipalName] = "userPrincipalName",
	[K_clientIp] = "clientIp",
	[K_service] = "service",
	[K_auditLogRecordType] = "auditLogRecordType",
	[K_appId] = "appId",
	[K_ipAddress] = "ipAddress",
	[K_status] = "status",
	[K_sessionId] = "sessionId",
	[K_uniqueTokenIdentifier] = "uniqueTokenIdentifier",
	[K_userAgent] = "userAgent",
	[K_servicePrincipalName] = "servicePrincipalName",
	[K_isInteractive] = "isInteractive",
	[K_signInEventTypes] = "signInEventTypes",
	[K_clientAppUsed] = "clientAppUsed",
	[K_activityDateTime] = "activityDateTime",
	[K_activityDisplayName] = "activityDisplayName",
	[K_initiatedBy] = "initiatedBy",
	[K_result] = "result",
	[K_errorCode] = "errorCode",
	[K_user] = "user",
	[K_app] = "app",
	[K_displayName] = "displayName",
	[K_correlationId] = "correlationId",
	[K_category] = "category",
	[K_loggedByService] = "loggedByService",
	[K_Name] = "Name",
	[K_Value] = "Value",
	[K_Path] = "Path",
	[K_FolderItems] = "FolderItems",
	[K_InternetMessageId] = "InternetMessageId",
	[K_SizeInBytes] = "SizeInBytes",
};

#define KEY_SLOTS 512
#define KEY_PAD 24 /* the longest name (21) and the tail of an 8-byte load */
static unsigned char key_table[KEY_SLOTS];
static unsigned char key_len[K_COUNT];
static char key_pad[K_COUNT][KEY_PAD]; /* the names, zero-padded */
static int key_table_ready;

/* Every member name of every record is looked up here (about 30 a
 * record): the hash reads the length and the first and last bytes, not
 * every byte; the names this table holds differ there but for a few,
 * which the probe's compare tells apart (probes of at most three;
 * key_table_init would still work with more). Shifts and xors, about
 * six instructions: the multiplying hash before it was 20 of key_of's
 * 50 a name. */
static inline unsigned key_hash(const char *p, size_t n)
{
	return ((unsigned)n << 5 ^ (unsigned)(unsigned char)p[n - 1] << 2 ^ (unsigned)(unsigned char)p[0]) &
	       (KEY_SLOTS - 1);
}

static void key_table_init(void)
{
	for (int k = 1; k < K_COUNT; k++) {
		const char *s = key_names[k];
		key_len[k] = (unsigned char)strlen(s);
		memcpy(key_pad[k], s, key_len[k]);
		unsigned h = key_hash(s, key_len[k]);
		while (key_table[h])
			h = (h + 1) & (KEY_SLOTS - 1);
		key_table[h] = (unsigned char)k;
	}
	key_table_ready = 1;
}

static inline uint64_t load8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static inline uint32_t load4(const char *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

/* n bytes at p (1 <= n <= KEY_PAD, only those read) against a padded
 * name: two or three overlapping word loads instead of a call to memcmp
 * (the call was half of key_of's 64 instructions a member name) */
static inline bool key_eq(const char *p, const char *name, size_t n)
{
	if (n >= 8)
		return load8(p) == load8(name) && load8(p + n - 8) == load8(name + n - 8) &&
		       (n <= 16 || load8(p + 8) == load8(name + 8));
	if (n >= 4)
		return load4(p) == load4(name) && load4(p + n - 4) == load4(name + n - 4);
	return p[0] == name[0] && p[n - 1] == name[n - 1] && p[n / 2] == name[n / 2];
}

__attribute__((always_inline)) static inline enum key key_of(const struct jval *k)
{
	if (k->t != JT_STR || k->esc)
		return K_NONE;
	const char *p = json_str_ptr(k);
	size_t n = json_str_len(k);
	if (n == 0 || n > KEY_PAD)
		return K_NONE;
	unsigned h = key_hash(p, n);
	while (key_table[h]) {
		unsigned char id = key_table[h];
		if (key_len[id] == n && key_eq(p, key_pad[id], n))
			return (enum key)id;
		h = (h + 1) & (KEY_SLOTS - 1);
	}
	return K_NONE;
}

void norm_collect(const struct jval *obj, struct members *m)
{
	struct jiter it;
	struct jval k, v;
	memset(m, 0, sizeof *m);
	if (!key_table_ready)
		key_table_init();
	if (obj->t != JT_OBJ)
		return;
	json_iter_init(&it, obj);
	while (json_iter_next(&it, &k, &v)) {
		enum key id = key_of(&k);
		if (id != K_NONE && !m->v[id].p)
			m->v[id] = v;
	}
}

void norm_collect_from(const struct jmember *mem, size_t n, struct members *m)
{
	memset(m, 0, sizeof *m);
	if (!key_table_ready)
		key_table_init();
	for (size_t i = 0; i < n; i++) {
		enum key id = key_of(&mem[i].key);
		if (id != K_NONE && !m->v[id].p)
			m->v[id] = mem[i].val;
	}
}
