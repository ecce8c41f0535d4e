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
	[K_tables] = "tables",
	[K_value] = "value",
	[K_records] = "records",
	[K_Results] = "Results",
	[K_results] = "results",
	[K_odataNextLink] = "@odata.nextLink",
};

/* Every member name of every record is looked up here (about 30 a
 * record): json_names' hash reads the length and the first and last
 * bytes, not every byte; the names this table holds differ there but for
 * a few, which the probe's compare tells apart (probes of at most three;
 * it would still work with more). Shifts and xors, about six
 * instructions: the multiplying hash before it was 20 of key_of's 50 a
 * name. */
static struct json_names key_table;
static int key_table_ready;

static void key_table_init(void)
{
	for (int k = 1; k < K_COUNT; k++)
		json_names_add(&key_table, (unsigned)k, key_names[k]);
	key_table_ready = 1;
}

_Static_assert(K_COUNT <= JSON_NAMES_MAX, "the names fit json_names");
_Static_assert(K_COUNT == NORMALIZE_NAMES, "normalize.h's count of names");

const struct json_names *normalize_names(void)
{
	if (!key_table_ready)
		key_table_init();
	return &key_table;
}

__attribute__((always_inline)) static inline enum key key_of(const struct jval *k)
{
	if (k->t != JT_STR || k->esc)
		return K_NONE;
	return (enum key)json_names_find(&key_table, json_str_ptr(k), json_str_len(k));
}

void norm_collect(const struct jval *obj, struct norm_members *m)
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

void norm_collect_from(const struct jmember *mem, size_t n, struct norm_members *m)
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
