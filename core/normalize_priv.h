/*
 * normalize_priv.h: what the normalize*.c files share; not for the rest
 * of core/.
 */
#ifndef AUDITSCOPE_NORMALIZE_PRIV_H
#define AUDITSCOPE_NORMALIZE_PRIV_H

#include "normalize.h"

/* normalize_keys.c: the member names the UAL walkers look for, and the
 * members of one object by key (the first of each name). */
enum key {
	K_NONE = 0,
	K_CreationTime,
	K_Id,
	K_Operation,
	K_RecordType,
	K_Workload,
	K_UserId,
	K_AppId,
	K_ApplicationId,
	K_ClientAppId,
	K_ClientIP,
	K_ClientIPAddress,
	K_ActorIpAddress,
	K_ResultStatus,
	K_SessionId,
	K_AppAccessContext,
	K_MailboxOwnerUPN,
	K_OperationProperties,
	K_OperationCount,
	K_Folders,
	K_ClientInfoString,
	K_ExtendedProperties,
	K_AADSessionId,
	K_UniqueTokenId,
	K_ErrorNumber,
	K_LogonError,
	K_DeviceProperties,
	/* Sentinel */
	K_TimeGenerated,
	K_OfficeId,
	K_OfficeWorkload,
	K_Client_IPAddress,
	K_SourceRecordId,
	/* wrappers */
	K_AuditData,
	K_CreationDate,
	K_RecordId,
	K_Operations,
	K_UserIds,
	K_Identity,
	/* Graph audit */
	K_auditData,
	K_id,
	K_createdDateTime,
	K_operation,
	K_userPrincipalName,
	K_clientIp,
	K_service,
	K_auditLogRecordType,
	/* Entra */
	K_appId,
	K_ipAddress,
	K_status,
	K_sessionId,
	K_uniqueTokenIdentifier,
	K_userAgent,
	K_servicePrincipalName,
	K_isInteractive,
	K_signInEventTypes,
	K_clientAppUsed,
	K_activityDateTime,
	K_activityDisplayName,
	K_initiatedBy,
	K_result,
	K_errorCode,
	K_user,
	K_app,
	K_displayName,
	K_correlationId,
	K_category,
	K_loggedByService,
	K_Name,
	K_Value,
	K_Path,
	K_FolderItems,
	K_InternetMessageId,
	K_SizeInBytes,
	/* read by no normalizer: a record's top-level member of one of these
	 * names may make it a container of records (ingest_json's tables and
	 * pages), which normalize_named_plain tells a reader scanning by name */
	K_tables,
	K_value,
	K_records,
	K_Results,
	K_results,
	K_odataNextLink,
	K_COUNT
};

/* struct norm_members (normalize.h): v[K_...] */

void norm_collect(const struct jval *obj, struct norm_members *m);
void norm_collect_from(const struct jmember *mem, size_t n, struct norm_members *m);

static inline bool norm_has(const struct norm_members *m, enum key k)
{
	return m->v[k].p != NULL;
}

/* normalize.c */
struct sv norm_text(struct norm *nm, const struct jval *v);
struct sv norm_lower(struct norm *nm, struct sv s);
void norm_clear(struct event *ev);
bool norm_is_ual_object(const struct jval *obj);
int norm_ual_object(struct norm *nm, const struct jval *obj, struct event *ev, const char **why);

/* normalize_nested.c: values inside values. norm_container: an object
 * or array, or a string holding one as JSON text; norm_name_value(s): the
 * Value of the first {Name, Value} element (or PowerShell's text of one)
 * named each name; norm_folders: Folders[] as message rows. */
bool norm_container(struct norm *nm, const struct jval *v, enum jtype want, struct jval *out);
bool norm_name_value(struct norm *nm, const struct jval *arr, const char *name, struct jval *out);
void norm_name_values(struct norm *nm, const struct jval *arr, const struct sv *names, size_t n,
		      struct jval *out, bool *found);
void norm_folders(struct norm *nm, const struct jval *fv, struct event *ev);

/* normalize_logs.c: classify an object the UAL rules did not claim, and
 * normalize it as that kind. depth counts records inside records (a
 * pipeline capture's _raw, a diagnostic record's properties). */
enum rec_kind logs_classify(const struct jval *obj);
int logs_normalize(struct norm *nm, enum rec_kind kind, const struct jval *obj, struct event *ev,
		   const char **why, int depth);
const char *logs_kind_name(enum rec_kind k);

#endif
