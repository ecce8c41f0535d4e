/*
 * pivots.h: posting lists of the pivot fields (user, app, ip, operation,
 * session): for each value, the events that have it, as (ts, id) entries
 * in chunks written by the load's writer (schema 11).
 *
 * Why: the five pivot indexes (events(user, ts) ...) cost a 1M-event load
 * 2.0 s of serial CREATE INDEX at its end (each a full scan of events and
 * a sort), 97 MB of a 1M high-cardinality case, and a rebuild or random
 * B-tree inserts on every append. The load's writer knows each event's
 * values and id as it writes it: it keeps the entries of a window of
 * events in memory (bounded) and writes one chunk per value of the window
 * in the load's own transaction, so that a kill -9 never leaves events
 * without their entries, nor entries of uncommitted events.
 *
 *   pivots(col, val, seq, n, lo, hi, data)  one row a chunk: n entries
 *       of events whose column col has value id val; lo/hi their least
 *       and greatest ts; seq the least event id of the window that wrote
 *       it (event ids are never given twice, so it is unique within (col,
 *       val) and grows in the order chunks are written), plus k for the
 *       k-th further chunk of a value whose entries of one window take
 *       more than PIVOT_CHUNK_BYTES (still below the next window's).
 *   pivot_gone(col, val, n)  entries that no longer hold: an event deleted
 *       when a richer copy replaced it (load_dedup.c). Entries are never
 *       removed from a chunk, so a reader joins events on id and ts and
 *       keeps the pivot term in its WHERE; counts are sum(n) - gone.
 *
 * A chunk's entries are sorted by (ts, id), the order a timeline pages
 * in (keyset on (ts, id)), so a reader merges a value's chunks by a heap
 * and stops at its page's end. They are stored as deltas from the
 * previous entry in varints: the first entry's ts is the row's lo, then
 * each entry is varint(ts - previous ts) (never negative) and
 * varint(zigzag(id - previous id)) (ids of one value in time order go up
 * and down); the first id is a plain varint. Arithmetic is modulo 2^64,
 * so any int64 ts and id round-trip (negative times, ids far apart).
 *
 * Readers (SQL, registered on every connection of a case):
 *   pivot_rows(col, vals)  eponymous table-valued function, columns ts,
 *       id; vals one value id (INTEGER) or a BLOB of little-endian int64
 *       ids (their lists merged). Rows in (ts, id) order, ascending or
 *       descending as the ORDER BY asks (consumed); constraints on ts (=,
 *       <, <=, >, >=) skip chunks by lo/hi and bound the merge.
 *   pivot_and(terms[, lead])  eponymous table-valued function, columns
 *       ts, id: the entries every term's list holds (an intersection), in
 *       the same order and with the same ts constraints as pivot_rows;
 *       terms a BLOB of little-endian int64, for each term its column
 *       code, its number of values and the values (a term's values merged
 *       as pivot_rows merges them). The first term leads (the sparsest);
 *       chunks that end before the entry sought are passed unread.
 *       Entries of events gone are in it as in the lists. With lead, the
 *       first lead rows are the first term's alone (a superset, for a
 *       caller that tests the terms on the joined events), the others'
 *       lists read only past them. With hits (a struct pivot_hits bound
 *       as a pointer of type PIVOT_HITS_TYPE), the lead ends as soon as
 *       the rows the caller took from it say that joining on costs more
 *       than intersecting: see struct pivot_hits.
 *   pivot_count(col, vals)  exact count of live events, sum(n) - gone.
 *   pivot_cached(col, val)  NULL, or when the connection's cache of chunk
 *       rows holds the value's (the rows the lists of a page read lately,
 *       kept while the case is unchanged), its entries (sum(n), gone
 *       not subtracted) and chunk rows: a blob of two native int64.
 *       Asked from a statement that reads the case (NULL otherwise: the
 *       case's version is known within a read transaction only).
 */
#ifndef AUDITSCOPE_SQLITE_PIVOTS_H
#define AUDITSCOPE_SQLITE_PIVOTS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The pivot columns and their codes in pivots.col */
enum pivot_col { PIVOT_USER, PIVOT_APP, PIVOT_IP, PIVOT_OP, PIVOT_SESSION, PIVOT_NCOL };

/*
 * From schema 16, a value of a packed column (PIVOT_ONES_COLS: the
 * session, a fresh id on most records of a real audit log) that has one
 * entry in a window has no chunk row of its own: the window's such
 * entries of a column are packed by value group into rows of
 *   pivot_ones(col, grp, seq, n, data)  n entries of values whose id >>
 *       PIVOT_ONES_SHIFT is grp, one entry each, sorted by value: for
 *       each, varint(val - previous val) (the first from grp <<
 *       PIVOT_ONES_SHIFT), varint(zigzag(ts - previous ts)) and
 *       varint(zigzag(id - previous id)) (both from 0); seq as a chunk's
 *       (the window's least event id, + k for its k-th further row of
 *       the group).
 * A value's list is its chunks and its entries in the rows of its
 * group; its count sum(n) of the chunks, plus those entries, less gone.
 * (A chunk row each cost the load's writer ~5k instructions: 24k of the
 * 32k chunk rows of 200k high-cardinality events were such lists.) A
 * case of an older schema has none: its lists are read as they are.
 */
#define PIVOT_ONES_COLS (1u << PIVOT_SESSION)
#define PIVOT_ONES_COLS_SQL "16" /* (the same, pivots.c checks) */
#define PIVOT_ONES_SHIFT 8
#define PIVOT_ONES_SHIFT_SQL "8"
/* SQL of the number of entries value val (SQL text: a parameter or a
 * column) of column col (the same) has in pivot_ones (0 for a column not
 * packed, without a look) */
#define PIVOT_ONES_COUNT_SQL(col, val)                                                           \
	"CASE WHEN (1 << (" col ")) & " PIVOT_ONES_COLS_SQL " THEN (SELECT coalesce(sum("        \
	"pivot_ones_has(data, " val ")), 0) FROM pivot_ones WHERE col = " col " AND grp = (" val \
	") >> " PIVOT_ONES_SHIFT_SQL ") ELSE 0 END"

/*
 * The schema 11 tables (store.c's schema, T "TABLE"; T "TEMP TABLE"
 * for a read-only case of an older schema).
 *
 * pivots is a rowid table whose chunks go in at its end, in the order the
 * windows write them, and the index its UNIQUE makes holds (col, val,
 * seq, n, lo, hi): every reader's statement (the lists' heads, counts,
 * stacks, the tallies, the walks in (col, val, seq) order) searches that
 * index, covering but for a walk's data, read by rowid. Until wave 24 a
 * new case's pivots was WITHOUT ROWID, PRIMARY KEY(col, val, seq), the
 * data in its B-tree: every window's chunk of a value went beside that
 * value's older ones, in a leaf of its own for most values, so a window
 * dirtied a leaf a value all over a table that grows with the case, which
 * past the 8 MB page cache it read back (16 KB reads of the pivots at a
 * 10M-event load: 370k; the WAL frames of 200k events: 1,381 of 5,283,
 * and 2,059 of 7,770 appended to a 1M-event case). Now a window's
 * chunks fill new pages at the table's end and only the index, ~30 bytes
 * a chunk, takes the random inserts (the same loads: 390 and 533 frames).
 * The columns and every statement are the same for both layouts, so a
 * case keeps the one it was made with (CREATE ... IF NOT EXISTS), and
 * an older build reads and appends to either. The writers (the load's,
 * the window's own, the conversion's) never write a (col, val, seq) twice
 * (a window's least event id + k, below the next window's), which
 * PRIMARY KEY(col, val, seq) would have refused and UNIQUE over all six
 * columns no longer does.
 */
#define PIVOTS_TABLES_SQL(T)                                                                    \
	"CREATE " T " IF NOT EXISTS pivots(col INTEGER NOT NULL, val INTEGER NOT NULL,"         \
	"  seq INTEGER NOT NULL, n INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL," \
	"  data BLOB NOT NULL, UNIQUE(col, val, seq, n, lo, hi));"                              \
	"CREATE " T " IF NOT EXISTS pivot_gone(col INTEGER NOT NULL, val INTEGER NOT NULL,"     \
	"  n INTEGER NOT NULL, PRIMARY KEY(col, val)) WITHOUT ROWID;" PIVOT_ONES_TABLE_SQL(T)
/* (schema 16; alone for a read-only case of 11 to 15) */
#define PIVOT_ONES_TABLE_SQL(T)                                                             \
	"CREATE " T " IF NOT EXISTS pivot_ones(col INTEGER NOT NULL, grp INTEGER NOT NULL," \
	"  seq INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,"                   \
	"  PRIMARY KEY(col, grp, seq)) WITHOUT ROWID;"

/* ---- the codec ---- */
struct pivot_entry {
	int64_t ts, id;
};
/* The most bytes one entry takes encoded (two 10-byte varints). */
#define PIVOT_ENTRY_MAX 20
/*
 * The most bytes of a chunk's data: a value's entries of a window past
 * it go in further chunks. In a case made before wave 24 pivots is a
 * WITHOUT ROWID table, whose rows are their B-tree's keys: a row longer than a page's local payload
 * (4,086 bytes on the case's 16 KB pages) spills onto overflow pages, and
 * every insert's seek that compared its key with such a row copied the
 * whole row out of them first (callgrind, 200k high-cardinality CSV:
 * 22.6k instructions a chunk, 0.29 G of the writer's memcpy).
 */
#define PIVOT_CHUNK_BYTES 4000
/* Encode n entries sorted by (ts, id) into out (n * PIVOT_ENTRY_MAX bytes
 * at most): its length. The first ts is not written: it is the row's lo. */
size_t pivot_encode(const struct pivot_entry *e, size_t n, unsigned char *out);
/* Decode n entries of a chunk whose first ts is lo: 0, or -1 when the
 * blob is shorter than n entries or longer (damaged). */
int pivot_decode(const unsigned char *p, size_t len, size_t n, int64_t lo, struct pivot_entry *out);

/* ---- the writer's window ---- */
/*
 * The entries of a window of events, grouped by (col, val) as they come
 * (a hash of the values seen in the window), written as one chunk per
 * value by pivot_window_flush, or sealed when full and written a piece at
 * a time while the window takes the next events (pivot_window_seal,
 * pivot_window_pace). Memory is fixed when made: cap events (at most 172
 * bytes each).
 */
struct pivot_window;
struct pivot_window *pivot_window_new(size_t cap);
void pivot_window_free(struct pivot_window *w);
/* Entries held (the sealed window's not yet written too). */
size_t pivot_window_len(const struct pivot_window *w);
/* Room for another event's entries (up to PIVOT_NCOL)? Flush or seal
 * when not: an add past it is lost. */
int pivot_window_room(const struct pivot_window *w);
/* Room for k more events, at PIVOT_NCOL entries each, in the window being
 * filled (nothing sealed waiting either)? A writer that commits when not
 * writes whole windows at its commits (load_yield). */
bool pivot_window_room_for(const struct pivot_window *w, size_t k);
/* One event's entry for column col (val 0: none, ignored); an event's
 * entries one after the other. */
void pivot_window_add(struct pivot_window *w, int col, int64_t val, int64_t ts, int64_t id);
/* The same for each column c of one event, its value val[c] */
void pivot_window_add_event(struct pivot_window *w, const int64_t val[PIVOT_NCOL], int64_t ts, int64_t id);
/* Forget its entries (their transaction was rolled back). */
void pivot_window_discard(struct pivot_window *w);
/* Write the window's chunks into db's pivots (the caller's transaction)
 * and empty it: 0, or -1 with *cause set to SQLite's message (or the
 * inserter's). */
int pivot_window_flush(struct pivot_window *w, sqlite3 *db, char **cause);
/* Seal the window for writing by pivot_window_pace and empty it for the
 * next events (what an earlier seal left is written first): 0 or -1 as
 * the flush. */
int pivot_window_seal(struct pivot_window *w, sqlite3 *db, char **cause);
/* After each event's adds: a piece of the sealed window's chunks every
 * so many events (all of them by the time a quarter of the window is
 * full again): 0 or -1 as the flush. */
int pivot_window_pace(struct pivot_window *w, sqlite3 *db, char **cause);
/* A chunk's row of pivots, as the flush hands it to an inserter. */
struct pivot_chunk {
	int64_t col, val, seq, n, lo, hi;
	const unsigned char *data;
	size_t len;
};
/* Chunks go to insert(ctx, c, n, cause), up to PIVOT_INSERT_ROWS or
 * PIVOT_INSERT_BYTES of data at a time (0, or -1 with *cause), rather
 * than through a statement run of the flush's own for each: the load's
 * writer inserts them as it does its events (load_rows). */
#define PIVOT_INSERT_ROWS 1024
#define PIVOT_INSERT_BYTES ((size_t)64 << 10)
typedef int (*pivot_insert_fn)(void *ctx, const struct pivot_chunk *c, size_t n, char **cause);
void pivot_window_set_insert(struct pivot_window *w, pivot_insert_fn insert, void *ctx);

/* Build the posting lists of every event in db's events, in place of
 * any it has (the conversion
 * of a case of schema 10, or of a read-only one into temp tables of the
 * same names), in windows of ids: 0 or -1 with *cause. In the caller's
 * transaction. */
int pivots_build(sqlite3 *db, char **cause);

/* ---- readers ---- */
#define PIVOT_HELD 4 /* terms pivot_and holds back at most (struct pivot_hits) */
/*
 * What a page's reader tells pivot_and while it reads (its third
 * argument, bound with sqlite3_bind_pointer as PIVOT_HITS_TYPE): the rows
 * it wants (its LIMIT; 0: it says nothing) and has taken so far, each a
 * row of the lead that met every term once joined. The lead goes on
 * while joining the rows still wanted, at the rate seen (the first
 * PIVOT_SAMPLE rows taken on trust), costs no more than intersecting
 * (inter, what the filter compiler guessed the page's lists cost) and
 * joining what the intersection gives that the terms tested on the
 * joined events refuse (keep: the share they pass), or while the rate
 * seen is well above rate, the share of the lead's rows the compiler
 * guessed every term keeps; join is what a refused row costs. The
 * compiler's shares take the terms as independent; the rows taken say
 * what they are. rows is the lead's list's entries (0: not told) and
 * cand what the intersection would give of them: neither way joins more
 * rows than the lists have left (a sparse driving list whose terms meet
 * little runs out of rows before it gives a page).
 */
struct pivot_hits {
	int64_t want, got;
	double join, inter, keep, rate;
	double rows, cand;
	/*
	 * The last held of pivot_and's terms are held back: tested on the
	 * joined events, not intersected, as the compiler guessed that
	 * reading them costs more than the joins they spare. Each is brought
	 * in (intersected from the row on, the lead over) once the rows
	 * refused since the last one came in (given, not taken) cost more
	 * (join each) than reading it over the same stretch would have: its
	 * chunk rows (hrows[k], head each, or a few instructions when the
	 * connection's cache holds them) and its entries among the ids the
	 * stretch spans (hshare[k] of them, decode each). Terms that agree
	 * where the compiler took them as independent (an address all one
	 * user's, beside an app of a fifteenth of its events) refuse rows
	 * the guess said they would not.
	 */
	int held;
	double hrows[PIVOT_HELD], hshare[PIVOT_HELD];
	double head, decode;
	/* the chunk rows of the lists intersected after the lead (head each
	 * in inter): when the connection's cache holds them all, inter is
	 * taken as that much less */
	double prows;
};
#define PIVOT_HITS_TYPE "pivot_hits"
#define PIVOT_SAMPLE 8

/* pivot_rows, pivot_and, pivot_count, pivot_cached, pivot_ones_has
 * (data, val): 1 when the pivot_ones row's data holds val, and
 * pivot_ones_each(col): the entries (val, ts, id) of column col's packed
 * lists, in the order of their rows (a table-valued function), on db. */
int sqlite_pivots_register(sqlite3 *db);
/* The live events (sum(n) - gone) of column col having any of vals[0..n):
 * 0 or -1 (SQLite's error on db). */
int sqlite_pivot_count(sqlite3 *db, int col, const int64_t *vals, size_t n, int64_t *out);

#endif
