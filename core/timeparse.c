/*
 * timeparse.c: date parsing for every style in timeparse.h. Hand-written
 * because strptime depends on the locale of the machine running the tool,
 * and exports carry the locale of the machine that wrote them.
 */
#include "timeparse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

void time_format(int64_t ms, char *out, size_t outsz)
{
	/* a time from an untrusted case may be anything: the bounds keep the
	 * year at four digits and the arithmetic below from overflowing */
	if (ms < TIME_MIN_MS)
		ms = TIME_MIN_MS;
	else if (ms > TIME_MAX_MS)
		ms = TIME_MAX_MS;
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t rem = ms - days * 86400000;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(out, outsz, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m, d,
		 (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60), (unsigned)(rem / 1000 % 60),
		 (unsigned)(rem % 1000));
}

struct cur {
	const char *p, *end;
};

/* Up to maxd digits; at least one. */
static bool num(struct cur *c, int maxd, int *out)
{
	int v = 0, k = 0;
	while (c->p < c->end && k < maxd && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (*c->p - '0');
		c->p++;
		k++;
	}
	*out = v;
	return k > 0;
}

static bool lit(struct cur *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static void skip_spaces(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static bool valid(int y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

static int64_t compose(int y, int mo, int d, int h, int mi, int s, int msec)
{
	return (time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s) * 1000 +
	       msec;
}

/* ":ss", ".fraction" after hh:mm; fraction digits beyond ms are dropped. */
static bool clock_tail(struct cur *c, int *s, int *msec)
{
	*s = 0;
	*msec = 0;
	if (lit(c, ':') && !num(c, 2, s))
		return false;
	if (c->p < c->end && (*c->p == '.' || *c->p == ',')) {
		c->p++;
		int k = 0, v = 0;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
			if (k < 3)
				v = v * 10 + (*c->p - '0');
			k++;
			c->p++;
		}
		if (k == 0)
			return false;
		while (k < 3) {
			v *= 10;
			k++;
		}
		*msec = v;
	}
	return true;
}

/* +hh:mm, +hhmm, +hh after the sign at c->p; mindig: the fewest hour
 * digits (2 for ISO, 1 after "GMT"/"UTC"). */
static bool offset(struct cur *c, int mindig, int *off)
{
	int sign = *c->p == '-' ? -1 : 1, hh, mm = 0;
	c->p++;
	const char *st = c->p;
	if (!num(c, 2, &hh) || c->p - st < mindig)
		return false;
	if (lit(c, ':')) {
		const char *m = c->p;
		if (!num(c, 2, &mm) || c->p - m != 2)
			return false;
	} else {
		num(c, 2, &mm);
	}
	if (hh > 23 || mm > 59)
		return false;
	*off = sign * (hh * 60 + mm);
	return true;
}

/* Z, +hh:mm, -hhmm, UTC or GMT (with an offset after it: "GMT+1",
 * "UTC+01:00"), or nothing; then only white space. Returns the offset in
 * minutes through *off. A zone named otherwise ("PST", "CET": one name,
 * several zones) is refused rather than guessed. */
static bool zone_tail(struct cur *c, int *off)
{
	*off = 0;
	skip_spaces(c);
	if (c->p < c->end && (*c->p == 'Z' || *c->p == 'z')) {
		c->p++;
	} else if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		if (!offset(c, 2, off))
			return false;
	} else if (c->end - c->p >= 3 && (memcmp(c->p, "UTC", 3) == 0 || memcmp(c->p, "GMT", 3) == 0)) {
		c->p += 3;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-') && !offset(c, 1, off))
			return false;
	}
	skip_spaces(c);
	return c->p == c->end;
}

static bool parse_dotnet(struct cur *c, int64_t *ms)
{
	/* /Date(1720919582928)/ or \/Date(1720919582928+0000)\/ */
	const char *p = c->p, *end = c->end;
	while (p < end && (*p == '\\' || *p == '/'))
		p++;
	if (end - p < 6 || memcmp(p, "Date(", 5) != 0)
		return false;
	p += 5;
	int neg = 0;
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	int64_t v = 0;
	int k = 0;
	while (p < end && *p >= '0' && *p <= '9' && k < 16) {
		v = v * 10 + (*p++ - '0');
		k++;
	}
	if (!k)
		return false;
	/* an offset (+0000) is informational: the number is UTC already */
	if (p < end && (*p == '+' || *p == '-')) {
		p++;
		int od = 0;
		while (p < end && *p >= '0' && *p <= '9' && od < 4) {
			p++;
			od++;
		}
		if (od != 4)
			return false;
	}
	if (p >= end || *p != ')')
		return false;
	p++;
	/* the closing "/" or "\/", then only white space */
	while (p < end && (*p == '\\' || *p == '/'))
		p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p != end)
		return false;
	*ms = neg ? -v : v;
	return true;
}

/* The letters of a word at c->p (not consumed); 0 when none. */
static size_t word_len(const struct cur *c)
{
	size_t k = 0;
	while (c->p + k < c->end && (unsigned)(((unsigned char)c->p[k] | 0x20) - 'a') < 26u)
		k++;
	return k;
}

/* A clock after a date, if one is there: h:mm[:ss[.fff]], then AM/PM
 * (also "a.m."/"p.m.") where the culture writes a 12-hour clock. */
static bool clock_ampm(struct cur *c, int *h, int *mi, int *sec, int *msec)
{
	*h = *mi = *sec = *msec = 0;
	skip_spaces(c);
	if (!(c->p < c->end && *c->p >= '0' && *c->p <= '9'))
		return true;
	if (!num(c, 2, h) || !lit(c, ':') || !num(c, 2, mi) || !clock_tail(c, sec, msec))
		return false;
	skip_spaces(c);
	char ap = c->p < c->end ? (char)(*c->p | 0x20) : 0;
	size_t len = 0;
	if (word_len(c) == 2 && (c->p[1] | 0x20) == 'm') {
		if (ap != 'a' && ap != 'p')
			return false; /* "XM" */
		len = 2;
	} else if ((ap == 'a' || ap == 'p') && c->end - c->p >= 4 && c->p[1] == '.' &&
		   (c->p[2] | 0x20) == 'm' && c->p[3] == '.') {
		len = 4;
	}
	if (len) {
		if (*h < 1 || *h > 12)
			return false;
		if (ap == 'a' && *h == 12)
			*h = 0;
		else if (ap == 'p' && *h != 12)
			*h += 12;
		c->p += len;
	}
	return true;
}

/* An English month's name or its three-letter (or "Sept") abbreviation,
 * with a dot after it: 1..12, consumed; 0 when the word is not one. */
static int month_name(struct cur *c)
{
	static const char *const names[] = { "january",   "february", "march",    "april",
					     "may",       "june",     "july",     "august",
					     "september", "october",  "november", "december" };
	size_t k = word_len(c);
	if (k < 3)
		return 0;
	for (int i = 0; i < 12; i++) {
		size_t full = strlen(names[i]);
		if ((k == 3 || k == full || (i == 8 && k == 4)) && k <= full &&
		    strncasecmp(c->p, names[i], k) == 0) {
			c->p += k;
			lit(c, '.');
			return i + 1;
		}
	}
	return 0;
}

/* An English weekday's name or abbreviation, then a comma or blanks;
 * consumed. (The weekday is not checked against the date: the date
 * says which day it was.) */
static bool weekday_name(struct cur *c)
{
	static const char *const names[] = { "monday", "tuesday",  "wednesday", "thursday",
					     "friday", "saturday", "sunday" };
	size_t k = word_len(c);
	for (int i = 0; i < 7 && k >= 3; i++)
		if ((k == 3 || k == strlen(names[i])) && strncasecmp(c->p, names[i], k) == 0) {
			c->p += k;
			lit(c, '.');
			lit(c, ',');
			skip_spaces(c);
			return true;
		}
	return false;
}

/* The rest of a date whose day (d) came first and whose month is named:
 * "7 Dec 2026 16:01", "07-Dec-2026", RFC 1123's "07 Dec 2026 16:01:00
 * GMT". c->p is at the separator after the day. */
static bool day_month_name(struct cur *c, int d, int64_t *ms)
{
	char sep = *c->p;
	c->p++;
	int mo = month_name(c), y, h, mi, sec, msec, off;
	if (!mo)
		return false;
	if (sep == '-' ? !lit(c, '-') : (c->p < c->end && *c->p != ' '))
		return false;
	skip_spaces(c);
	const char *st = c->p;
	if (!num(c, 4, &y) || c->p - st != 4)
		return false;
	lit(c, ',');
	if (!clock_ampm(c, &h, &mi, &sec, &msec) || !zone_tail(c, &off) || !valid(y, mo, d, h, mi, sec))
		return false;
	*ms = compose(y, mo, d, h, mi, sec, msec) - (int64_t)off * 60000;
	return true;
}

/* A date that begins with a name: "Dec 7, 2026 4:01 PM" (the Microsoft
 * 365 portals, a spreadsheet's long date), "Monday, December 7, 2026
 * 4:01:00 PM", "Mon, 07 Dec 2026 16:01:00 GMT" (RFC 1123). */
static bool parse_named(struct cur *c, int64_t *ms)
{
	weekday_name(c);
	if (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		int d;
		const char *st = c->p;
		if (!num(c, 2, &d) || c->p == st || c->p >= c->end || (*c->p != ' ' && *c->p != '-'))
			return false;
		return day_month_name(c, d, ms);
	}
	int mo = month_name(c), d, y, h, mi, sec, msec, off;
	if (!mo)
		return false;
	skip_spaces(c);
	if (!num(c, 2, &d))
		return false;
	lit(c, ',');
	skip_spaces(c);
	const char *st = c->p;
	if (!num(c, 4, &y) || c->p - st != 4)
		return false;
	lit(c, ',');
	skip_spaces(c);
	if (c->end - c->p > 3 && (c->p[0] | 0x20) == 'a' && (c->p[1] | 0x20) == 't' && c->p[2] == ' ')
		c->p += 3; /* "December 7, 2026 at 4:01 PM" */
	if (!clock_ampm(c, &h, &mi, &sec, &msec) || !zone_tail(c, &off) || !valid(y, mo, d, h, mi, sec))
		return false;
	*ms = compose(y, mo, d, h, mi, sec, msec) - (int64_t)off * 60000;
	return true;
}

static bool time_parse_any(const char *s, size_t n, enum time_order order, unsigned *seen, int64_t *ms);

bool time_parse(const char *s, size_t n, int64_t *ms)
{
	return time_parse_ex(s, n, TIME_ORDER_AUTO, NULL, ms);
}

bool time_parse_ex(const char *s, size_t n, enum time_order order, unsigned *seen, int64_t *ms)
{
	int64_t v;
	if (!time_parse_any(s, n, order, seen, &v) || v < TIME_MIN_MS || v > TIME_MAX_MS)
		return false;
	*ms = v;
	return true;
}

/* Two digits at p, or -1. */
static inline int dig2(const char *p)
{
	unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
	return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

static bool time_parse_any(const char *s, size_t n, enum time_order order, unsigned *seen, int64_t *ms)
{
	/* What every UAL record's CreationTime is, "2023-06-01T00:00:57"
	 * (or with a Z), read by position: the general way below reads it
	 * the same in about 400 instructions, a part at a time. */
	if ((n == 19 || (n == 20 && s[19] == 'Z')) && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
	    s[13] == ':' && s[16] == ':') {
		int y1 = dig2(s), y2 = dig2(s + 2), mo = dig2(s + 5), d = dig2(s + 8), h = dig2(s + 11),
		    mi = dig2(s + 14), sec = dig2(s + 17);
		if ((y1 | y2 | mo | d | h | mi | sec) >= 0 && valid(y1 * 100 + y2, mo, d, h, mi, sec)) {
			*ms = compose(y1 * 100 + y2, mo, d, h, mi, sec, 0);
			return true;
		}
	}
	struct cur c = { s, s + n };
	int a, b, y, h, mi, sec, msec, off;
	skip_spaces(&c);
	if (c.p < c.end && (*c.p == '/' || *c.p == '\\'))
		return parse_dotnet(&c, ms);
	if (c.p < c.end && !(*c.p >= '0' && *c.p <= '9'))
		return parse_named(&c, ms);
	const char *st = c.p;
	if (!num(&c, 4, &a))
		return false;
	if (c.p - st == 4 && lit(&c, '-')) {
		/* ISO 8601 */
		y = a;
		if (!num(&c, 2, &a) || !lit(&c, '-') || !num(&c, 2, &b))
			return false;
		h = mi = sec = msec = 0;
		/* a space separates the time only when a time follows it:
		 * "2023-09-26 " is a date and a trailing blank */
		if (c.p < c.end && (*c.p == 'T' || *c.p == 't' ||
				    (*c.p == ' ' && c.end - c.p > 1 && c.p[1] >= '0' && c.p[1] <= '9'))) {
			c.p++;
			if (!num(&c, 2, &h) || !lit(&c, ':') || !num(&c, 2, &mi) ||
			    !clock_tail(&c, &sec, &msec))
				return false;
		}
		if (!zone_tail(&c, &off) || !valid(y, a, b, h, mi, sec))
			return false;
		*ms = compose(y, a, b, h, mi, sec, msec) - (int64_t)off * 60000;
		return true;
	}
	if (c.p - st <= 2 && c.end - c.p > 1 && (*c.p == ' ' || *c.p == '-') &&
	    (unsigned)(((unsigned char)c.p[1] | 0x20) - 'a') < 26u)
		return day_month_name(&c, a, ms);
	char sep = c.p < c.end ? *c.p : 0;
	if (sep != '/' && sep != '.' && sep != '-')
		return false;
	c.p++;
	int mo, d;
	unsigned saw = 0;
	if (c.p - 1 - st == 4) {
		/* yyyy/MM/dd, yyyy.MM.dd (East Asian and some European
		 * cultures): the year first, then always the month */
		y = a;
		if (!num(&c, 2, &mo) || !lit(&c, sep) || !num(&c, 2, &d))
			return false;
	} else {
		if (!num(&c, 2, &b) || !lit(&c, sep) || !num(&c, 4, &y))
			return false;
		if (sep == '.') {
			d = a; /* dd.MM.yyyy: German and most of Europe */
			mo = b;
		} else if (a > 12) {
			d = a; /* cannot be a month: D/M/YYYY */
			mo = b;
			saw = TIME_SEEN_DMY;
		} else if (b > 12) {
			mo = a; /* cannot be a month: M/D/YYYY */
			d = b;
			saw = TIME_SEEN_MDY;
		} else {
			/* either order makes a date (unless both are the same
			 * number): the order the file was found to use, else
			 * the US order the portals write */
			if (a != b)
				saw = TIME_SEEN_AMBIGUOUS;
			if (order == TIME_ORDER_DMY) {
				d = a;
				mo = b;
			} else {
				mo = a;
				d = b;
			}
		}
	}
	/* the Sentinel / Log Analytics portal writes "6/3/2022, 2:05:09.955 PM" */
	if (c.p < c.end && *c.p == ',' && c.end - c.p > 1 && c.p[1] == ' ')
		c.p++;
	if (!clock_ampm(&c, &h, &mi, &sec, &msec) || !zone_tail(&c, &off) || !valid(y, mo, d, h, mi, sec))
		return false;
	if (seen)
		*seen |= saw;
	*ms = compose(y, mo, d, h, mi, sec, msec) - (int64_t)off * 60000;
	return true;
}
