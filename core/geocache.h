/*
 * geocache.h: what core/geoip.c and core/geoplaces.c parse out of their
 * databases' files, kept in a cache file and read back by later opens
 * while those files are unchanged (the ASN tables: 690 M instructions
 * to parse, 17 M to read back; the countries' places: 170 M, < 1 M).
 *
 * A cache is NAME beside the sources (a dot file, which make install's
 * glob skips), or, where that folder cannot be written (an installed
 * share/), $XDG_CACHE_HOME/auditscope (or ~/.cache/auditscope) under a
 * name hashed from the folder's real path. It is written to a temporary
 * file and renamed, so that a reader sees a whole cache or none.
 *
 * It is used only while each source is the file it was built from: the
 * same device, inode, size, modification and change times (in ns; no one
 * can set a change time back, so a file rewritten in place to the same
 * size with its mtime put back still differs), present or absent as it
 * was; its size is exact and its 64-bit checksum (of the header and the
 * payload) matches; the caller then checks that every offset it follows
 * stays inside the payload. A source modified within 100 ms of being read
 * (the file systems' clocks tick in milliseconds: a second write in the
 * same tick could keep both times) or while it was read is not cached.
 * Anything else is a miss: the sources are parsed as before and the
 * cache rewritten. A cache never decides an answer the sources would not
 * give.
 */
#ifndef AUDITSCOPE_GEOCACHE_H
#define AUDITSCOPE_GEOCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One source file as stat saw it (all zero when absent). */
struct geocache_sig {
	uint64_t present, dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
};

/* The signatures of the n sources at paths (a NULL path: absent), and the
 * time they were taken (before the sources are read). False when one is
 * not a regular file (a FIFO is read, never cached). */
bool geocache_sigs(const char *const *paths, size_t n, struct geocache_sig *sigs, struct timespec *at);

/* The payload of cache name for the sources of dir whose signatures are
 * sigs, when one is there and whole: malloc'd (the caller's, 8-byte
 * aligned), its length in *len. kind names the payload's layout (its
 * structs' sizes in it: another build's layout is a miss). NULL on a
 * miss. */
void *geocache_read(const char *dir, const char *name, uint64_t kind, const struct geocache_sig *sigs,
		    size_t n, size_t *len);

/* A part of a payload to write. */
struct geocache_part {
	const void *p;
	size_t n;
};

/* Write the payload (its parts one after the other) as cache name of dir,
 * unless a source changed since sigs were taken at *at (paths as for
 * geocache_sigs) or just before. Failing is silent: the next open parses
 * again. */
void geocache_write(const char *dir, const char *name, uint64_t kind, const char *const *paths,
		    const struct geocache_sig *sigs, size_t n, const struct timespec *at,
		    const struct geocache_part *parts, size_t nparts);

#endif
