/*
 * notes.h: an analyst's annotations carried to another analyst's case.
 *
 * Two responders who loaded the same exports into different cases merge
 * their work through a JSON Lines file: bookmarks, tags, notes and saved
 * views, keyed by (record id, kind), never by row number, each with its
 * author and time. The first line is a header
 *   {"auditscope_notes":1,"exported":"2024-03-01T10:00:00.000Z","by":"alice","case":"..."}
 * then one object a line, in record id order:
 *   {"type":"mark","record_id":"...","kind":"ual","author":"...","created":"..."}
 *   {"type":"tag","record_id":"...","kind":"ual","tag":"exfil","author":"...","created":"..."}
 *   {"type":"note","record_id":"...","kind":"signin","author":"...","created":"...","text":"..."}
 *   {"type":"view","name":"...","filter":"...","sort":null,"columns":null,"author":"...","created":"..."}
 * kind is "ual", "signin" or "directory_audit".
 *
 * Importing merges: a bookmark or tag the case already has is kept as it
 * is; a note is added unless the case holds the very same note (record,
 * author, time and text), so importing twice changes nothing, and two
 * analysts' different notes on one event are both kept, each attributed;
 * a saved view whose name is taken is not replaced. Annotations of
 * records the case does not hold are kept too: they attach when those
 * records are loaded. Removals are not carried over.
 */
#ifndef AUDITSCOPE_NOTES_H
#define AUDITSCOPE_NOTES_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

struct notes_stats {
	int64_t marks, tags, notes, views; /* written (export) or added (import) */
	int64_t present;                   /* import: already in the case, skipped */
	int64_t absent;                    /* import: added for records this case does not hold */
};

/* Write every annotation of st to out. case_label names the case in the
 * header (NULL: its path). 0, or -1 with *cause. */
int notes_export(struct store *st, FILE *out, const char *case_label, struct notes_stats *stats, char **cause);

/*
 * Merge a notes file into st, in one transaction: all of it or, on the
 * first bad line, none of it, with *cause naming name:line and what is
 * wrong. 0 or -1.
 */
int notes_import(struct store *st, FILE *in, const char *name, struct notes_stats *stats, char **cause);

#endif
