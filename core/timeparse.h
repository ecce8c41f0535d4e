/*
 * timeparse.h: the dates audit exports write, as UTC milliseconds.
 *
 * Understood: ISO 8601 with or without 'T', fraction (any digits), 'Z' or
 * an offset (2023-09-26T01:56:15, 2026-01-24T06:54:24.0000000Z, with a
 * trailing space too); US locale M/D/YYYY h:mm:ss AM/PM (and 24-hour,
 * and the Log Analytics portal's "6/3/2022, 2:05:09.955 PM");
 * D/M/YYYY when the first number cannot be a month; dd.MM.yyyy HH:mm:ss;
 * PowerShell's /Date(1720919582928)/. Times without a zone are UTC, as the
 * UAL stores them.
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

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);

/* 2023-09-26T01:56:15.123Z into out (at least 25 bytes); clamped to
 * TIME_MIN_MS..TIME_MAX_MS. */
void time_format(int64_t ms, char *out, size_t outsz);

#endif
