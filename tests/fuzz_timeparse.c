/*
 * fuzz_timeparse.c: libFuzzer target for the date parser.
 *
 * Any bytes are one date string. What must hold, beyond "no crash" (and
 * UBSan's integer overflow checks, the likely failure of date arithmetic):
 *  - a date with a calendar (not /Date(ms)/) lands between 1900 and 9999,
 *    give or take its UTC offset;
 *  - what time_format prints for the result, if its year is in that range,
 *    parses back to the same instant;
 *  - a date written as ISO 8601 without a zone agrees with timegm(3);
 *  - time_days_from_civil and time_format agree on every valid date.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeparse.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz check failed: " __VA_ARGS__); \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)
#endif
#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

/* 1900-01-01 and 10000-01-01 in ms, one day of slack each way for the
 * largest UTC offset. */
#define FUZZ_TIMEPARSE_LO ((int64_t)-2208988800000 - 86400000)
#define FUZZ_TIMEPARSE_HI ((int64_t)253402300800000 + 86400000)

/* n decimal digits (the input is not NUL-terminated: no atoi). */
static int fuzz_timeparse_num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Is s[0..n) "YYYY-MM-DDTHH:MM:SS" exactly? Then tm gets it. */
static bool fuzz_timeparse_plain_iso(const char *s, size_t n, struct tm *tm)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	if (n != sizeof shape - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	}
	memset(tm, 0, sizeof *tm);
	tm->tm_year = fuzz_timeparse_num(s, 4) - 1900;
	tm->tm_mon = fuzz_timeparse_num(s + 5, 2) - 1;
	tm->tm_mday = fuzz_timeparse_num(s + 8, 2);
	tm->tm_hour = fuzz_timeparse_num(s + 11, 2);
	tm->tm_min = fuzz_timeparse_num(s + 14, 2);
	tm->tm_sec = fuzz_timeparse_num(s + 17, 2);
	return true;
}

static bool fuzz_timeparse_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t ms = 0;
	char out[64];

	if (time_parse(s, size, &ms)) {
		size_t i = 0;
		while (i < size && (s[i] == ' ' || s[i] == '\t'))
			i++;
		bool dotnet = i < size && (s[i] == '/' || s[i] == '\\');
		if (!dotnet)
			FUZZ_CHECK(ms >= FUZZ_TIMEPARSE_LO && ms < FUZZ_TIMEPARSE_HI,
				   "%.*s parsed to %lld ms, outside 1900-9999", (int)size, s, (long long)ms);
		if (ms >= FUZZ_TIMEPARSE_LO && ms < FUZZ_TIMEPARSE_HI) {
			time_format(ms, out, sizeof out);
			int64_t back = 0;
			long y = atol(out);
			if (y >= 1900 && y <= 9999) {
				FUZZ_CHECK(time_parse(out, strlen(out), &back),
					   "%.*s printed as %s, which does not parse", (int)size, s, out);
				FUZZ_CHECK(back == ms, "%.*s printed as %s, which parses to %lld, not %lld",
					   (int)size, s, out, (long long)back, (long long)ms);
			}
		}
		struct tm tm;
		if (fuzz_timeparse_plain_iso(s, size, &tm) && tm.tm_sec < 60) {
			time_t t = timegm(&tm);
			FUZZ_CHECK((int64_t)t * 1000 == ms, "%.*s: %lld ms, timegm says %lld s", (int)size, s,
				   (long long)ms, (long long)t);
		}
	}

	/* The calendar both ways, on a date made of the first bytes. */
	if (size >= 4) {
		long y = 1900 + (long)((data[0] | data[1] << 8) % 8100);
		unsigned m = 1 + data[2] % 12;
		static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		unsigned dim = mdays[m - 1] + (m == 2 && fuzz_timeparse_leap(y));
		unsigned d = 1 + data[3] % dim;
		int64_t days = time_days_from_civil(y, m, d);
		time_format(days * 86400000, out, sizeof out);
		char want[32];
		snprintf(want, sizeof want, "%04ld-%02u-%02uT00:00:00.000Z", y, m, d);
		FUZZ_CHECK(strcmp(out, want) == 0, "day %lld of %s prints as %s", (long long)days, want, out);
		int64_t next = time_days_from_civil(d == dim ? (m == 12 ? y + 1 : y) : y,
						    d == dim ? (m == 12 ? 1 : m + 1) : m, d == dim ? 1 : d + 1);
		FUZZ_CHECK(next == days + 1, "the day after %s is not one day later", want);
	}
	return 0;
}
