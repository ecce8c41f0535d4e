/*
 * messages.h: which messages the events of a filter exposed.
 *
 * What breach notification needs: from MailItemsAccessed records, each
 * internet message id read (Bind), per mailbox, folder, access type, app,
 * client app and IP, with first and last access and how many events named
 * it. A Sync record names a folder, not messages: every item in that
 * folder counts as exposed, so it is listed once per folder with sync set
 * and msgid NULL.
 */
#ifndef AUDITSCOPE_MESSAGES_H
#define AUDITSCOPE_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "query.h"

struct messages_row {
	char *mailbox, *msgid, *folder, *access, *app, *client_app, *ip; /* owned, may be NULL */
	bool sync; /* a folder synchronised: all its items exposed */
	int64_t first, last, events;
	int64_t size; /* bytes, -1 when unknown */
};

struct messages {
	struct messages_row *rows;
	size_t n;
	size_t total;     /* rows there are: n < total when cut at the limit */
	int64_t messages; /* distinct (mailbox, message id) pairs */
	int64_t folders;  /* distinct (mailbox, folder) synchronised */
};

/*
 * The messages exposed by the events q matches, by mailbox then first
 * access; at most limit rows (< 0: all). out is overwritten
 * (messages_clear it afterwards). 0, or -1 with *cause.
 */
int messages_run(struct query *q, int64_t limit, struct messages *out, char **cause);
void messages_clear(struct messages *m);

#endif
