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

bool time_parse(const char *s, size_t n, int64_t *ms);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);

/* 2023-09-26T01:56:15.123Z into out (at least 25 bytes). */
void time_format(int64_t ms, char *out, size_t outsz);

#endif
