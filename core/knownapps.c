/*
 * knownapps.c: the built-in table of Microsoft first-party app ids, and the
 * tenant's own app names kept in the case (knownapps.h).
 *
 * The table was written by the project from public facts, each entry
 * marked with where it is listed:
 *
 *  SRC_LEARN   Microsoft Learn, "Verify first-party Microsoft applications
 *              in sign-in reports" (learn.microsoft.com/troubleshoot/entra/
 *              entra-id/governance/verify-first-party-apps-sign-in), both
 *              tables ("commonly used Microsoft applications" and
 *              "Microsoft tenant-owned applications"). The article prints
 *              Azure SQL Database's id without its first digit
 *              ("22907d3-..."); the id in use is 022907d3-0f1b-48f7-badc-
 *              1ba6abab6d66.
 *  SRC_FOCI    Secureworks Counter Threat Unit, "Family of Client IDs"
 *              research, known-foci-clients.csv (github.com/secureworks/
 *              family-of-client-ids-research): Microsoft public clients
 *              that share refresh tokens.
 *  SRC_OUTLOOK Microsoft Learn (Outlook), how to find new Outlook's
 *              sign-ins: application "Microsoft Outlook",
 *              5d661950-3475-41cd-a2c3-d671a3162bc1.
 *  SRC_GRAPH   service principals owned by Microsoft's tenant
 *              (appOwnerOrganizationId f8cdef31-a31e-4b4a-93e4-5f571e91255a)
 *              as Graph lists them, collected daily by github.com/merill/
 *              microsoft-info; here only ids that audit logs of mailbox
 *              compromises commonly show (Outlook on the web, the Exchange
 *              and SharePoint admin shells, ...).
 *
 * Sorted by id (lower case) for binary search; tests/test_knownapps.c
 * checks the order, the GUID shape and that no id repeats.
 */
#include "knownapps.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "input.h"
#include "stream.h"
#include "xalloc.h"
#include "storage.h"

#define SRC_LEARN "Microsoft Learn: verify first-party apps"
#define SRC_FOCI "Secureworks FOCI client list"
#define SRC_OUTLOOK "Microsoft Learn: new Outlook sign-ins"
#define SRC_GRAPH "Graph: Microsoft-owned service principals"

static const struct knownapp table[] = {
	{ "00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory", SRC_LEARN },
	{ "00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online", SRC_LEARN },
	{ "00000003-0000-0000-c000-000000000000", "Microsoft Graph", SRC_LEARN },
	{ "00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online", SRC_LEARN },
	{ "00000004-0000-0ff1-ce00-000000000000", "Skype for Business Online", SRC_LEARN },
	{ "00000005-0000-0ff1-ce00-000000000000", "Viva Engage (formerly Yammer)", SRC_LEARN },
	{ "00000006-0000-0ff1-ce00-000000000000", "Microsoft Office 365 Portal", SRC_LEARN },
	{ "00000007-0000-0000-c000-000000000000", "Dataverse", SRC_LEARN },
	{ "00000007-0000-0ff1-ce00-000000000000", "Microsoft Exchange Online Protection", SRC_LEARN },
	{ "00000009-0000-0000-c000-000000000000", "Power BI Service", SRC_LEARN },
	{ "0000000a-0000-0000-c000-000000000000", "Microsoft Intune", SRC_GRAPH },
	{ "0000000c-0000-0000-c000-000000000000", "Microsoft App Access Panel", SRC_LEARN },
	{ "00000015-0000-0000-c000-000000000000", "Microsoft Dynamics ERP", SRC_LEARN },
	{ "0000001a-0000-0000-c000-000000000000", "MicrosoftAzureActiveAuthn", SRC_LEARN },
	{ "00b41c95-dab0-4487-9791-b9d2c32c80f2", "Office 365 Management", SRC_LEARN },
	{ "022907d3-0f1b-48f7-badc-1ba6abab6d66", "Azure SQL Database", SRC_LEARN },
	{ "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI", SRC_LEARN },
	{ "05a65629-4c1b-48c1-a78b-804c4abdd4af", "Microsoft Cloud App Security", SRC_GRAPH },
	{ "08e18876-6177-487e-b8b5-cf950c1e598c", "SharePoint Online Web Client Extensibility", SRC_LEARN },
	{ "0cb7b9ec-5336-483b-bc31-b15b5788de71", "ASM Campaign Servicing", SRC_LEARN },
	{ "0cd196ee-71bf-4fd6-a57c-b491ffd4fb1e", "Media Analysis and Transformation Service", SRC_LEARN },
	{ "0ec893e0-5785-4de6-99da-4ed124e5296c", "Office UWP PWA", SRC_FOCI },
	{ "0f698dd4-f011-4d23-a33e-b36416dcb1e6", "OfficeClientService", SRC_LEARN },
	{ "13937bba-652e-4c46-b222-3003f4d1ff97", "Substrate Context Service", SRC_LEARN },
	{ "14d82eec-204b-4c2f-b7e8-296a70dab67e", "Microsoft Graph Command Line Tools", SRC_LEARN },
	{ "16aeb910-ce68-41d1-9ac3-9e1673ac9575", "IrisSelectionFrontDoor", SRC_LEARN },
	{ "1786c5ed-9644-47b2-8aa0-7201292175b6", "Microsoft Bing Default Search Engine", SRC_LEARN },
	{ "17d5e35f-655b-4fb0-8ae6-86356e9a49f5", "Office Online Client Microsoft Entra ID- Maker", SRC_LEARN },
	{ "18fbca16-2224-45f6-85b0-f7bf2b39b3f3", "Microsoft Docs", SRC_LEARN },
	{ "1950a258-227b-4e31-a9cf-717495945fc2", "Microsoft Azure PowerShell", SRC_LEARN },
	{ "1b3c667f-cde3-4090-b60b-3d2abd0117f0", "Windows Spotlight", SRC_LEARN },
	{ "1b730954-1685-4b74-9bfd-dac224a7b894", "Azure Active Directory PowerShell", SRC_GRAPH },
	{ "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams", SRC_LEARN },
	{ "20a11fe0-faa8-4df5-baf2-f965f8f9972e", "ContactsInferencingEmailProcessor", SRC_LEARN },
	{ "22098786-6e16-43cc-a27d-191a01a1e3b5", "Microsoft To-Do client", SRC_FOCI },
	{ "23523755-3a2b-41ca-9315-f81f3f566a95", "ACOM Azure Website", SRC_LEARN },
	{ "243c63a3-247d-41c5-9d83-7788c43f1c43", "Office Online Core SSO", SRC_LEARN },
	{ "268761a2-03f3-40df-8a8b-c3db24145b6b", "Universal Store Native Client", SRC_LEARN },
	{ "26a7ee05-5602-4d76-a7ba-eae8b7b67941", "Windows Search", SRC_LEARN },
	{ "26abc9a8-24f0-4b11-8234-e86ede698878", "SubstrateDirectoryEventProcessor", SRC_LEARN },
	{ "27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile", SRC_LEARN },
	{ "28b567f6-162c-4f54-99a0-6887f387bbcc", "Microsoft Storefronts", SRC_LEARN },
	{ "29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker", SRC_LEARN },
	{ "2abdc806-e091-4495-9b10-b04d93c3f040",
	  "Office Online Client Microsoft Entra ID- Augmentation Loop", SRC_LEARN },
	{ "2d4d3d8e-2be3-4bef-9f87-7875a61c29de", "OneNote", SRC_LEARN },
	{ "2d7f3606-b07d-41d1-b9d2-0d0c9296a6e8", "Microsoft Bing Search for Microsoft Edge", SRC_LEARN },
	{ "3090ab82-f1c1-4cdf-af2c-5d7a6f3e2cc7", "Microsoft Defender for Cloud Apps", SRC_LEARN },
	{ "33be1cef-03fb-444b-8fd3-08ca1b4d803f", "OneDrive Web", SRC_GRAPH },
	{ "35d54a08-36c9-4847-9018-93934c62740c", "PeoplePredictions", SRC_LEARN },
	{ "37182072-3c9c-4f6a-a4b3-b3f91cacffce", "AzureSupportCenter", SRC_LEARN },
	{ "38049638-cc2c-4cde-abe4-4479d721ed44", "Microsoft Approval Management", SRC_LEARN },
	{ "3c896ded-22c5-450f-91f6-3d1ef0848f6e", "WeveEngine", SRC_LEARN },
	{ "4345a7b9-9a63-4910-a426-35363201d503", "O365 Suite UX", SRC_LEARN },
	{ "45a330b1-b1ec-4cc1-9161-9f03992aa49f", "Windows Store for Business", SRC_LEARN },
	{ "4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", SRC_LEARN },
	{ "4813382a-8fa7-425e-ab75-3b753aab3abb", "Microsoft Authenticator App", SRC_FOCI },
	{ "497effe9-df71-4043-a8bb-14cf78c4b63b", "Exchange Admin Center", SRC_LEARN },
	{ "4b233688-031c-404b-9a80-a4f3f2351f90", "Office.com", SRC_LEARN },
	{ "4d5c2d63-cf83-4365-853c-925fd1a64357", "OfficeShredderWacClient", SRC_LEARN },
	{ "4e291c71-d680-4d0e-9640-0a3358e31177", "PowerApps", SRC_FOCI },
	{ "51be292c-a17e-4f17-9a7e-4b661fb16dd2", "Microsoft Exchange ProtectedServiceHost", SRC_LEARN },
	{ "5572c4c0-d078-44ce-b81c-6cbf8d3ed39e", "Vortex [wsfed enabled]", SRC_LEARN },
	{ "57336123-6e14-4acc-8dcf-287b6088aa28", "Microsoft Whiteboard Client", SRC_FOCI },
	{ "57fb890c-0dab-4253-a5e0-7188c88b2bb4", "SharePoint Online Client", SRC_GRAPH },
	{ "57fcbcfa-7cee-4eb1-8b25-12d2030b4ee0", "Microsoft Flow", SRC_FOCI },
	{ "5d661950-3475-41cd-a2c3-d671a3162bc1", "Microsoft Outlook", SRC_OUTLOOK },
	{ "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", "Microsoft Teams Web Client", SRC_LEARN },
	{ "60c8bde5-3167-4f92-8fdb-059f6176dc0f", "Enterprise Roaming and Backup", SRC_LEARN },
	{ "61109738-7d2b-4a0b-9fe3-660b1ff83505", "SpoolsProvisioning", SRC_LEARN },
	{ "62256cef-54c0-4cb4-bcac-4c67989bdc40", "OMSOctopiPROD", SRC_LEARN },
	{ "6253bca8-faf2-4587-8f2f-b056d80998a7", "Microsoft Edge Insider Addons Prod", SRC_LEARN },
	{ "65d91a3d-ab74-42e6-8a2f-0add61688c74", "Microsoft Approval Management", SRC_LEARN },
	{ "66375f6b-983f-4c2c-9701-d680650f588f", "Microsoft Planner", SRC_FOCI },
	{ "66a88757-258c-4c72-893c-3e8bed4d6899", "Office 365 Search Service", SRC_LEARN },
	{ "67e3df25-268a-4324-a550-0de1c7f97287", "Microsoft Office Web Apps Service", SRC_LEARN },
	{ "69893ee3-dd10-4b1c-832d-4870354be3d8", "AEM-DualAuth", SRC_LEARN },
	{ "74658136-14ec-4630-ad9b-26e160ff0fc6", "ADIbizaUX", SRC_LEARN },
	{ "74bcdadc-2fdc-4bb3-8459-76d06952a0e9", "Microsoft Intune Web Company Portal", SRC_LEARN },
	{ "797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API", SRC_LEARN },
	{ "7ab7862c-4c57-491e-8a45-d52a7e023983", "App Service", SRC_LEARN },
	{ "7ae974c5-1af7-4923-af3a-fb1fd14dcb7e", "OutlookUserSettingsConsumer", SRC_LEARN },
	{ "7b7531ad-5926-4f2d-8a1d-38495ad33e17", "Azure Advanced Threat Protection", SRC_LEARN },
	{ "80ccca67-54bd-44ab-8625-4b79c4dc7775", "Microsoft 365 Security and Compliance Center", SRC_LEARN },
	{ "835b2a73-6e10-4aa5-a979-21dfda45231c", "Azure Lab Services Portal", SRC_LEARN },
	{ "844cca35-0656-46ce-b636-13f48b0eecbd", "Microsoft Stream Mobile Native", SRC_FOCI },
	{ "871c010f-5e61-4fb1-83ac-98610a7e9110", "Microsoft Power BI", SRC_LEARN },
	{ "872cd9fa-d31f-45e0-9eab-6e460a02d1f1", "Visual Studio", SRC_FOCI },
	{ "87749df4-7ccf-48f8-aa87-704bad0e0e16", "Microsoft Teams - Device Admin Agent", SRC_FOCI },
	{ "89bee1f7-5e6e-4d8a-9f3d-ecd601259da7", "Office365 Shell WCSS-Client", SRC_LEARN },
	{ "8edd93e1-2103-40b4-bd70-6e34e586362d", "Windows Azure Security Resource Provider", SRC_LEARN },
	{ "8ee8fdad-f234-4243-8f3b-15c294843740", "Microsoft Threat Protection", SRC_GRAPH },
	{ "905fcf26-4eb7-48a0-9ff0-8dcc7194b5ba", "Sway", SRC_LEARN },
	{ "9199bf20-a13f-4107-85dc-02114787ef48", "One Outlook Web", SRC_GRAPH },
	{ "91ca2ca5-3b3e-41dd-ab65-809fa3dffffa", "Sticky Notes API", SRC_LEARN },
	{ "93625bc8-bfe2-437a-97e0-3d0060024faa", "Microsoft password reset service", SRC_LEARN },
	{ "93d53678-613d-4013-afc1-62e9e444a0a5", "Office Online Add-in SSO", SRC_LEARN },
	{ "944f0bd1-117b-4b1c-af26-804ed95e767e", "Media Analysis and Transformation Service", SRC_LEARN },
	{ "94c63fef-13a3-47bc-8074-75af8c65887a", "Office Delve", SRC_LEARN },
	{ "95de633a-083e-42f5-b444-a4295d8e9314", "Microsoft Whiteboard Services", SRC_LEARN },
	{ "97cb1f73-50df-47d1-8fb0-0271f2728514", "Transcript Ingestion", SRC_LEARN },
	{ "98db8bd6-0cc0-4e67-9de5-f187f1cd1b41", "Microsoft Substrate Management", SRC_LEARN },
	{ "99b904fd-a1fe-455c-b86c-2f9fb1da7687", "Microsoft Exchange ForwardSync", SRC_LEARN },
	{ "9ba1a5c7-f17a-4de9-a1f1-6178c8d51223", "Microsoft Intune Company Portal", SRC_FOCI },
	{ "9bc3ab49-b65d-410a-85ad-de819febfddc", "Microsoft SharePoint Online Management Shell", SRC_GRAPH },
	{ "9ea1ad79-fdb6-4f9a-8bc3-2b70f96e34c7", "Bing", SRC_LEARN },
	{ "a0c73c16-a7e3-4564-9a95-2bdf47383716", "Microsoft Exchange Online Remote PowerShell", SRC_GRAPH },
	{ "a3475900-ccec-4a69-98f5-a65cd5dc5306", "Partner Customer Delegated Admin Offline Processor",
	  SRC_LEARN },
	{ "a3b79187-70b2-4139-83f9-6016c58cd27b", "WindowsDefenderATP Portal", SRC_LEARN },
	{ "a40d7d7d-59aa-447e-a655-679a4107e548", "Accounts Control UI", SRC_FOCI },
	{ "a569458c-7f2b-45cb-bab9-b7dee514d112", "Yammer iPhone", SRC_FOCI },
	{ "a57aca87-cbc0-4f3c-8b9e-dc095fdc8978", "IAM Supportability", SRC_LEARN },
	{ "a970bac6-63fe-4ec5-8884-8536862c42d4", "Substrate Search Settings Management Service", SRC_LEARN },
	{ "a9b49b65-0a12-430b-9540-c80b3332c127", "Office Online Search", SRC_LEARN },
	{ "ab9b8c07-8f02-4f72-87fa-80105867a763", "OneDrive SyncEngine", SRC_LEARN },
	{ "ae8e128e-080f-4086-b0e3-4c19301ada69", "Scheduling", SRC_LEARN },
	{ "af124e86-4e96-495a-b70a-90f90ab96707", "OneDrive iOS App", SRC_FOCI },
	{ "b23dd4db-9142-4734-867f-3577f640ad0c", "Office Online Client Microsoft Entra ID- Loki", SRC_LEARN },
	{ "b26aadf8-566f-4478-926f-589f601d9c74", "OneDrive", SRC_FOCI },
	{ "b4bddae8-ab25-483e-8670-df09b9f1d0ea", "Signup", SRC_LEARN },
	{ "b669c6ea-1adf-453f-b8bc-6d526592b419", "Focused Inbox", SRC_LEARN },
	{ "b6e69c34-5f1f-4c34-8cdf-7fea120b8670", "Office Online Client MSA- Loki", SRC_LEARN },
	{ "bb2a2e3a-c5e7-4f0a-88e0-8e01fd3fc1f4", "CPIM Service", SRC_LEARN },
	{ "bdd48c81-3a58-4ea9-849c-ebea7f6b6360", "Password Breach Authenticator", SRC_LEARN },
	{ "be1918be-3fe3-4be9-b32b-b542fc27f02e", "M365 Compliance Drive Client", SRC_FOCI },
	{ "c0d2a505-13b8-4ae0-aa9e-cddd5eab0b12", "Microsoft Power BI", SRC_FOCI },
	{ "c1c74fed-04c9-4704-80dc-9f79a2e515cb", "Yammer Web", SRC_LEARN },
	{ "c35cb2ba-f88b-4d15-aa9d-37bd443522e1", "GroupsRemoteApiRestClient", SRC_LEARN },
	{ "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal", SRC_LEARN },
	{ "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87", "Microsoft Forms", SRC_LEARN },
	{ "cab96880-db5b-4e15-90a7-f3f1d62ffe39", "Microsoft Defender Platform", SRC_FOCI },
	{ "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services", SRC_LEARN },
	{ "cf36b471-5b44-428c-9ce7-313bf84528de", "Microsoft Bing Search", SRC_LEARN },
	{ "cf53fce8-def6-4aeb-8d30-b158e7b1cf83", "Microsoft Stream Portal", SRC_LEARN },
	{ "d176f6e7-38e5-40c9-8a78-3998aab820e7", "Microsoft Online Syndication Partner Portal", SRC_LEARN },
	{ "d326c1ce-6cc6-4de2-bebc-4591e5e13ef0", "SharePoint", SRC_FOCI },
	{ "d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office", SRC_LEARN },
	{ "d73f4b35-55c9-48c7-8b10-651f6f2acb2e", "MCAPI Authorization Prod", SRC_LEARN },
	{ "d7b530a4-7680-4c23-a8bf-c52c121d2e87", "Microsoft Edge Enterprise New Tab Page", SRC_FOCI },
	{ "d9b8ec3a-1e4e-4e08-b3c2-5baf00c0fcb0", "HxService", SRC_LEARN },
	{ "dd47d17a-3194-4d86-bfd5-c6ae6f5651e3", "Microsoft Defender for Mobile", SRC_FOCI },
	{ "de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer", SRC_LEARN },
	{ "dfe74da8-9279-44ec-8fb2-2aed9e1c73d0", "O365 SkypeSpaces Ingestion Service", SRC_LEARN },
	{ "e1ef36fd-b883-4dbf-97f0-9ece4b576fc6", "Yammer Web Embed", SRC_LEARN },
	{ "e64aa8bc-8eb4-40e2-898b-cf261a25954f", "CRM Power BI Integration", SRC_LEARN },
	{ "e9b154d0-7658-433b-bb25-6b8e0a8a7c59", "Outlook Lite", SRC_FOCI },
	{ "e9c51622-460d-4d3d-952d-966a5b1da34c", "Microsoft Edge", SRC_FOCI },
	{ "e9f49c6b-5ce5-44c8-925d-015017e9f7ad", "Azure Data Lake", SRC_LEARN },
	{ "eb539595-3fe1-474e-9c1d-feb3625d1be5", "Microsoft Tunnel", SRC_FOCI },
	{ "ecd6b820-32c2-49b6-98a6-444530e5a77a", "Microsoft Edge", SRC_FOCI },
	{ "ee272b19-4411-433f-8f28-5c13cb6fd407", "Microsoft 365 Support Service", SRC_LEARN },
	{ "f05ff7c9-f75a-4acd-a3b5-f4b6a870245d", "SharePoint Android", SRC_FOCI },
	{ "f44b1140-bc5e-48c6-8dc0-5cf5a53c0e34", "Microsoft Edge", SRC_FOCI },
	{ "f5eaa862-7f08-448c-9c4e-f4047d4d4521", "FindTime", SRC_LEARN },
	{ "fb78d390-0c51-40cd-8e17-fdbfab77341b", "Microsoft Exchange REST API Based Powershell", SRC_LEARN },
	{ "fc0f3af4-6835-4174-b806-f7db311fd2f3", "Microsoft Intune Windows Agent", SRC_LEARN },
	{ "fc780465-2017-40d4-a0c5-307022471b92", "WindowsDefenderATP", SRC_GRAPH },
	{ "fdf9885b-dd37-42bf-82e5-c3129ef5a302", "Microsoft Support", SRC_LEARN },
	{ "ffcb16e8-f789-467c-8ce9-f826a080d987", "SharedWithMe", SRC_LEARN },
};
#define NTABLE (sizeof table / sizeof table[0])

size_t knownapps_count(void)
{
	return NTABLE;
}

const struct knownapp *knownapps_at(size_t i)
{
	return i < NTABLE ? &table[i] : NULL;
}

const char *knownapps_bare(const char *app_id, char *buf, size_t n)
{
	if (!app_id)
		return NULL;
	const char *p = app_id, *e = app_id + strlen(app_id);
	while (p < e && (isspace((unsigned char)*p) || *p == '{'))
		p++;
	while (e > p && (isspace((unsigned char)e[-1]) || e[-1] == '}'))
		e--;
	if (p == app_id && !*e)
		return app_id;
	size_t len = (size_t)(e - p);
	if (len >= n)
		return app_id;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

static const struct knownapp *find(const char *app_id)
{
	char bare[KNOWNAPPS_BARE_MAX];
	app_id = knownapps_bare(app_id, bare, sizeof bare);
	if (!app_id)
		return NULL;
	size_t lo = 0, hi = NTABLE;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(app_id, table[mid].id);
		if (c == 0)
			return &table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *knownapps_name(const char *app_id)
{
	const struct knownapp *k = find(app_id);
	return k ? k->name : NULL;
}

static bool is_guid(const char *s, size_t n);

bool knownapps_first_party(const char *app_id)
{
	if (find(app_id))
		return true;
	/* a log that writes the app's display name where its id belongs */
	char bare[KNOWNAPPS_BARE_MAX];
	const char *b = knownapps_bare(app_id, bare, sizeof bare);
	return b && *b && !is_guid(b, strlen(b)) && knownapps_ids(b, NULL, 0) > 0;
}

size_t knownapps_ids(const char *name, const char **ids, size_t max)
{
	size_t n = 0;
	if (!name)
		return 0;
	for (size_t i = 0; i < NTABLE; i++) {
		if (strcasecmp(name, table[i].name) != 0)
			continue;
		if (n < max)
			ids[n] = table[i].id;
		n++;
	}
	return n;
}

const char *knownapps_id(const char *name)
{
	const char *id = NULL;
	return knownapps_ids(name, &id, 1) ? id : NULL;
}

/* A copy of s in lower case (ids are ASCII GUIDs). */
static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

char *knownapps_case_name(struct store *st, const char *app_id, const char **origin)
{
	if (origin)
		*origin = NULL;
	if (!app_id || !*app_id)
		return NULL;
	char *name = NULL, *low = lower_dup(app_id), *why = NULL;
	/* a case that cannot say falls back on the built-in table */
	if (st->ops->apps_get(st, low, &name, &why) < 0)
		name = NULL;
	else if (name && origin)
		*origin = "tenant";
	free(low);
	free(why);
	if (!name) {
		const char *b = knownapps_name(app_id);
		if (b) {
			name = xstrdup(b);
			if (origin)
				*origin = "microsoft";
		}
	}
	return name;
}

static bool has_id(char **ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(ids[i], id) == 0)
			return true;
	return false;
}

/* The tenant's ids named c->name (any ASCII case, as SQLite's NOCASE),
 * in id order. */
struct named {
	const char *name;
	char **ids;
	size_t n, cap;
};

static int named_one(const struct store_app *a, void *ctx)
{
	struct named *c = ctx;
	if (strcasecmp(a->name, c->name) != 0 || has_id(c->ids, c->n, a->id))
		return 0;
	c->ids = xgrow(c->ids, &c->cap, c->n + 1, sizeof *c->ids);
	c->ids[c->n++] = xstrdup(a->id);
	return 0;
}

int knownapps_case_ids(struct store *st, const char *name, char ***out, size_t *nout, char **cause)
{
	*out = NULL;
	*nout = 0;
	if (!name)
		return 0;
	struct named c = { name, NULL, 0, 0 };
	if (st->ops->apps_each(st, false, named_one, &c, cause) < 0) {
		knownapps_ids_free(c.ids, c.n);
		return -1;
	}
	char **ids = c.ids;
	size_t n = c.n, cap = c.cap;
	/* a built-in id the tenant renamed is the tenant's to name: skip it
	 * unless the tenant's own name also matches (then it is in ids) */
	for (size_t i = 0; i < NTABLE; i++) {
		if (strcasecmp(name, table[i].name) != 0 || has_id(ids, n, table[i].id))
			continue;
		const char *origin;
		char *cur = knownapps_case_name(st, table[i].id, &origin);
		bool renamed = cur && strcmp(origin, "tenant") == 0;
		free(cur);
		if (renamed)
			continue;
		ids = xgrow(ids, &cap, n + 1, sizeof *ids);
		ids[n++] = xstrdup(table[i].id);
	}
	*out = ids;
	*nout = n;
	return 0;
}

void knownapps_ids_free(char **ids, size_t n)
{
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

struct tenant_app {
	char *id, *name;
};

struct knownapps {
	struct tenant_app *apps; /* sorted by id */
	size_t n;
};

struct ka_fill {
	struct knownapps *ka;
	size_t cap;
};

static int ka_one(const struct store_app *a, void *ctx)
{
	struct ka_fill *c = ctx;
	struct knownapps *ka = c->ka;
	ka->apps = xgrow(ka->apps, &c->cap, ka->n + 1, sizeof *ka->apps);
	ka->apps[ka->n].id = lower_dup(a->id);
	ka->apps[ka->n].name = xstrdup(a->name);
	ka->n++;
	return 0;
}

struct knownapps *knownapps_new(struct store *st, char **cause)
{
	struct ka_fill c = { xcalloc(1, sizeof *c.ka), 0 };
	if (st->ops->apps_each(st, false, ka_one, &c, cause) < 0) {
		knownapps_free(c.ka);
		return NULL;
	}
	return c.ka;
}

void knownapps_free(struct knownapps *ka)
{
	if (!ka)
		return;
	for (size_t i = 0; i < ka->n; i++) {
		free(ka->apps[i].id);
		free(ka->apps[i].name);
	}
	free(ka->apps);
	free(ka);
}

const char *knownapps_lookup(const struct knownapps *ka, const char *app_id, const char **origin)
{
	if (origin)
		*origin = NULL;
	if (!app_id || !*app_id)
		return NULL;
	char bare[KNOWNAPPS_BARE_MAX];
	app_id = knownapps_bare(app_id, bare, sizeof bare);
	if (ka) {
		size_t lo = 0, hi = ka->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcasecmp(app_id, ka->apps[mid].id);
			if (c == 0) {
				if (origin)
					*origin = "tenant";
				return ka->apps[mid].name;
			}
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	const char *b = knownapps_name(app_id);
	if (b && origin)
		*origin = "microsoft";
	return b;
}

static bool is_guid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

int knownapps_add(struct store *st, const char *app_id, const char *name, const char *origin, char **cause)
{
	if (!app_id || !is_guid(app_id, strlen(app_id)))
		return set_cause(cause, "apps: '%s' is not an app id (a GUID)", app_id ? app_id : "");
	if (!name || !*name)
		return set_cause(cause, "apps: %s: empty name", app_id);
	char *low = lower_dup(app_id);
	struct store_app a = { low, name, origin ? origin : "" };
	int rc = st->ops->apps_put(st, &a, 1, cause);
	free(low);
	return rc;
}

struct each_ctx {
	int (*fn)(const char *app_id, const char *name, const char *origin, void *ctx);
	void *ctx;
};

static int each_one(const struct store_app *a, void *ctx)
{
	struct each_ctx *c = ctx;
	return c->fn(a->id, a->name, a->origin, c->ctx);
}

int knownapps_each(struct store *st,
		   int (*fn)(const char *app_id, const char *name, const char *origin, void *ctx), void *ctx,
		   char **cause)
{
	struct each_ctx c = { fn, ctx };
	return st->ops->apps_each(st, true, each_one, &c, cause);
}

/* --- CSV of service principals --- */

/* Header names reduced to letters and digits, lower case, so that
 * "Application ID ", "applicationId" and "application_id" meet. */
static void header_key(const char *s, size_t n, char *out, size_t outsz)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c))
			out[k++] = (char)tolower(c);
	}
	out[k] = '\0';
}

/* Rank of a header as the id (or name) column: lower is better, -1 not. */
static int rank_of(const char *key, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(key, names[i]) == 0)
			return i;
	return -1;
}

static const char *const id_headers[] = { "appid", "applicationid", "clientid", NULL };
/* Get-MgServicePrincipal has both DisplayName and AppDisplayName: the
 * first is the tenant's name for its principal */
static const char *const name_headers[] = { "displayname", "appdisplayname", "name", "applicationname", NULL };

/* The rows are checked as read and written in one batch at the end, so
 * that a file with a bad row leaves the table as it was. */
struct csvload {
	struct store *st;
	struct store_app *apps; /* owned strings */
	size_t napps, cap;
	struct knownapps_load_result *res;
	char *err;
};

static ssize_t member_read(void *ctx, char *buf, size_t n)
{
	return input_read(ctx, buf, n);
}

/* Trim ASCII white space around s[0..*n). */
static const char *trim(const char *s, size_t *n)
{
	while (*n && isspace((unsigned char)s[0])) {
		s++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

static void skip(struct csvload *L, uint64_t line, const char *why)
{
	L->res->skipped++;
	if (!L->res->first_skip)
		L->res->first_skip = xasprintf("line %llu: %s", (unsigned long long)line, why);
}

static int load_member(struct input *in, void *ctx)
{
	struct csvload *L = ctx;
	const char *name = input_name(in);
	struct stream s;
	stream_init(&s, member_read, in, (size_t)64 << 20);
	struct csv c;
	csv_init(&c, &s, ',');
	int rc = 0;
	if (stream_need(&s, 1) < 0) {
		L->err = xasprintf("%s: %s", name, input_error(in));
		rc = -1;
		goto out;
	}
	for (;;) {
		const char *nl = memchr(stream_ptr(&s), '\n', stream_avail(&s));
		if (nl || stream_need(&s, stream_avail(&s) + 1) != 0)
			break;
	}
	c.delim = csv_sniff_delim(stream_ptr(&s), stream_avail(&s));
	int k;
	do {
		k = csv_next(&c);
	} while (k == CSV_ROW && c.nf == 1 && c.f[0].n == 0);
	if (k != CSV_ROW) {
		if (k == CSV_IOERR)
			L->err = xasprintf("%s: %s", name, input_error(in));
		else
			L->err = xasprintf("%s: empty file: expected a CSV header with appId and displayName",
					   name);
		rc = -1;
		goto out;
	}
	int idcol = -1, namecol = -1, idrank = 99, namerank = 99;
	for (size_t i = 0; i < c.nf; i++) {
		char key[64];
		header_key(c.f[i].p, c.f[i].n, key, sizeof key);
		int r = rank_of(key, id_headers);
		if (r >= 0 && r < idrank) {
			idrank = r;
			idcol = (int)i;
		}
		r = rank_of(key, name_headers);
		if (r >= 0 && r < namerank) {
			namerank = r;
			namecol = (int)i;
		}
	}
	if (idcol < 0 || namecol < 0) {
		L->err = xasprintf("%s:%llu: the header names no %s column (expected appId and displayName,"
				   " or the portal's Application ID and Name)",
				   name, (unsigned long long)c.rec_line, idcol < 0 ? "app id" : "name");
		rc = -1;
		goto out;
	}
	while ((k = csv_next(&c)) != CSV_EOF) {
		if (k == CSV_IOERR) {
			L->err = xasprintf("%s: %s", name, input_error(in));
			rc = -1;
			goto out;
		}
		if (k == CSV_BAD) {
			L->res->rows++;
			skip(L, c.rec_line, c.why);
			continue;
		}
		if (c.nf == 1 && c.f[0].n == 0)
			continue;
		L->res->rows++;
		if ((size_t)idcol >= c.nf || (size_t)namecol >= c.nf) {
			skip(L, c.rec_line, "too few fields");
			continue;
		}
		size_t idn = c.f[idcol].n, nn = c.f[namecol].n;
		const char *id = trim(c.f[idcol].p, &idn);
		const char *nm = trim(c.f[namecol].p, &nn);
		if (!is_guid(id, idn)) {
			skip(L, c.rec_line, "the app id is not a GUID");
			continue;
		}
		if (nn == 0) {
			skip(L, c.rec_line, "empty name");
			continue;
		}
		char *idz = xstrndup(id, idn);
		L->apps = xgrow(L->apps, &L->cap, L->napps + 1, sizeof *L->apps);
		L->apps[L->napps++] = (struct store_app){ lower_dup(idz), xstrndup(nm, nn), xstrdup(name) };
		free(idz);
		L->res->added++;
	}
out:
	csv_free(&c);
	stream_free(&s);
	return rc;
}

static void walk_warn(const char *msg, void *ctx)
{
	struct csvload *L = ctx;
	if (!L->err)
		L->err = xstrdup(msg);
}

int knownapps_load_csv(struct store *st, const char *path, struct knownapps_load_result *res, char **cause)
{
	memset(res, 0, sizeof *res);
	struct csvload L = { .st = st, .res = res };
	char *why = NULL;
	int rc = input_walk(path, NULL, load_member, walk_warn, &L, &why);
	if (rc < 0 || L.err) {
		set_cause(cause, "%s", L.err ? L.err : why);
		res->added = 0;
		rc = -1;
	} else {
		rc = st->ops->apps_put(st, L.apps, L.napps, cause);
		if (rc < 0)
			res->added = 0;
	}
	for (size_t i = 0; i < L.napps; i++) {
		free((char *)L.apps[i].id);
		free((char *)L.apps[i].name);
		free((char *)L.apps[i].origin);
	}
	free(L.apps);
	free(L.err);
	free(why);
	return rc;
}
