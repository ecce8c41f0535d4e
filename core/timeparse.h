/*
 * timeparse.h: the dates audit exports write, as UTC milliseconds.
 *
 * Understood: ISO 8601 with or without 'T', fraction (any digits), 'Z' or
 * an offset (2023-09-26T01:56:15, 2026-01-24T06:54:24.0000000Z, with a
 * trailing space too); US locale M/D/YYYY h:mm:ss AM/PM (and 24-hour,
 * and the Log Analytics portal's "6/3/2022, 2:05:09.955 PM");
 * D/M/YYYY when the first number cannot be a month, or when the caller
 * says the file is day-first (TIME_ORDER_DMY); dd.MM.yyyy HH:mm:ss;
 * yyyy/MM/dd; English month names, month or day first ("Dec 7, 2026
 * 4:01 PM", "Monday, December 7, 2026", "7 Dec 2026 16:01",
 * "07-Dec-2026", RFC 1123 "Mon, 07 Dec 2026 16:01:00 GMT"); a zone as Z,
 * an offset, UTC or GMT (with an offset: "GMT+1"); PowerShell's
 * /Date(1720919582928)/. A zone named otherwise ("PST", "CET") and a
 * two-digit year are refused, not guessed. Times without a zone are UTC,
 * as the UAL stores them.
 */
#ifndef AUDITSCOPE_TIMEPARSE_H
#define AUDITSCOPE_TIMEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The instants a log date may name: 1900-01-01T00:00:00.000Z to
 * 9999-12-31T23:59:59.999Z. time_parse refuses a date outside (whatever
 * its style: ISO, an offset pushing it over, /Date(ms)/), and
 * time_format shows a stored time outside as the nearer bound, so that a
 * date is always the same 24 characters. */
#define TIME_MIN_MS ((int64_t)-2208988800000)
#define TIME_MAX_MS ((int64_t)253402300799999)

bool time_parse(const char *s, size_t n, int64_t *ms);

/* Which number comes first in a numeric date whose day and month could
 * be either (07/12/2026): a file's own order, found by its reader. AUTO
 * reads such a date month-first, as the US portals write it. */
enum time_order { TIME_ORDER_AUTO, TIME_ORDER_MDY, TIME_ORDER_DMY };

/* What a numeric N/N/YYYY (or N-N-YYYY) date said about its order, ORed
 * into time_parse_ex's *seen: the first number cannot be a month
 * (13/07/2026), the second cannot (07/13/2026), or either could. */
enum { TIME_SEEN_DMY = 1, TIME_SEEN_MDY = 2, TIME_SEEN_AMBIGUOUS = 4 };

/* time_parse with the order for ambiguous dates; seen (or NULL) gets
 * the TIME_SEEN_ flag of a numeric date read. */
bool time_parse_ex(const char *s, size_t n, enum time_order order, unsigned *seen, int64_t *ms);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);

/* 2023-09-26T01:56:15.123Z into out (at least 25 bytes); clamped to
 * TIME_MIN_MS..TIME_MAX_MS. */
void time_format(int64_t ms, char *out, size_t outsz);

#endif
