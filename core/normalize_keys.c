/*
 * normalize_keys.c: the member names the UAL walkers look for (normalize.c),
 * found by a tiny hash table, and the members of one object by name.
 */
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
static unsigned char key_table[KEY_SLOTS];
static unsigned char key_len[K_COUNT];
static int key_table_ready;

/* Every member name of every record is looked up here (about 30 a
 * record): the hash reads the length and three bytes, not every byte;
 * the names this table holds differ there but for a few, which the
 * probe's compare tells apart. */
static unsigned key_hash(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	unsigned h = (unsigned)n * 0x9E3779B1u ^ (unsigned)(unsigned char)p[0] << 8 ^
		     (unsigned char)p[n - 1] ^ (unsigned)(unsigned char)p[n / 2] << 16;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

static void key_table_init(void)
{
	for (int k = 1; k < K_COUNT; k++) {
		const char *s = key_names[k];
		key_len[k] = (unsigned char)strlen(s);
		unsigned h = key_hash(s, key_len[k]) & (KEY_SLOTS - 1);
		while (key_table[h])
			h = (h + 1) & (KEY_SLOTS - 1);
		key_table[h] = (unsigned char)k;
	}
	key_table_ready = 1;
}

static enum key key_of(const struct jval *k)
{
	if (k->t != JT_STR || k->esc)
		return K_NONE;
	const char *p = json_str_ptr(k);
	size_t n = json_str_len(k);
	unsigned h = key_hash(p, n) & (KEY_SLOTS - 1);
	while (key_table[h]) {
		unsigned char id = key_table[h];
		if (key_len[id] == n && memcmp(key_names[id], p, n) == 0)
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
