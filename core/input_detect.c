/*
 * input_detect.c: what a member's first bytes say (input.h). Whether a
 * source is an archive is decided by them (magic numbers and a tar
 * header's checksum), never by its name; then its text encoding: a BOM,
 * or UTF-16 or UTF-32 without one told by its zero bytes.
 */
#include "input.h"

#include <string.h>

#include "input_priv.h"

static int input_octal(const unsigned char *p, size_t n, unsigned long *out)
{
	size_t i = 0;
	unsigned long v = 0;
	int digits = 0;
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++, digits++)
		v = v * 8 + (unsigned long)(p[i] - '0');
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	*out = v;
	return digits ? 0 : -1;
}

/* A tar header: its checksum must add up, whatever the magic says. */
static int input_is_tar(const unsigned char *p, size_t n)
{
	unsigned long want, sum = 0;
	long ssum = 0; /* some old tars summed signed chars */
	if (n < 512 || p[0] == '\0')
		return 0;
	if (input_octal(p + 148, 8, &want) < 0)
		return 0;
	for (size_t i = 0; i < 512; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : p[i];
		sum += c;
		ssum += (signed char)c;
	}
	return sum == want || (ssum >= 0 && (unsigned long)ssum == want);
}

static int input_all(const unsigned char *p, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!p[i] || !strchr(set, p[i]))
			return 0;
	return 1;
}

int input_is_container(const unsigned char *p, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
	} m[] = {
		{ "\x1f\x8b", 2 }, /* gzip */
		{ "\x1f\x9d", 2 }, /* compress */
		{ "\xfd"
		  "7zXZ\0",
		  6 },                     /* xz */
		{ "LZIP", 4 },             /* lzip */
		{ "\x28\xb5\x2f\xfd", 4 }, /* zstd */
		{ "\x04\x22\x4d\x18", 4 }, /* lz4 */
		{ "\x02\x21\x4c\x18", 4 }, /* lz4 legacy */
		{ "PK\x03\x04", 4 },       /* zip */
		{ "PK\x05\x06", 4 },       /* empty zip */
		{ "PK\x07\x08", 4 },       /* spanned zip */
		{ "PK00PK\x03\x04", 8 },
		{ "7z\xbc\xaf\x27\x1c", 6 }, /* 7-Zip */
		{ "Rar!\x1a\x07", 6 },       /* rar 4 and 5 */
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (n >= m[i].len && memcmp(p, m[i].magic, m[i].len) == 0)
			return 1;
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return 1;
	if (n >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0) /* lzma alone */
		return 1;
	/* cpio: the whole header is digits, which CSV text never quite is */
	if (n >= 76 && memcmp(p, "070707", 6) == 0 && input_all(p, 76, "01234567"))
		return 1;
	if (n >= 110 && (memcmp(p, "070701", 6) == 0 || memcmp(p, "070702", 6) == 0) &&
	    input_all(p, 110, "0123456789abcdefABCDEF"))
		return 1;
	return input_is_tar(p, n);
}

void input_detect_encoding(struct input *in)
{
	const unsigned char *p = in->buf;
	size_t n = in->len;

	in->enc = INPUT_UTF8;
	/* UTF-32 first: its little-endian BOM begins as UTF-16LE's, and
	 * read as UTF-16 every other character was a NUL (a binary file).
	 * (FF FE 00 00 is also UTF-16LE's BOM and a U+0000: UTF-32 when
	 * nothing follows or a UTF-32 unit does.) */
	if (n >= 4 && p[0] == 0xff && p[1] == 0xfe && !p[2] && !p[3] &&
	    (n == 4 || (n >= 8 && !p[7] && p[6] <= 0x10))) {
		in->enc = INPUT_UTF32LE;
		in->pos = 4;
		return;
	}
	if (n >= 4 && !p[0] && !p[1] && p[2] == 0xfe && p[3] == 0xff) {
		in->enc = INPUT_UTF32BE;
		in->pos = 4;
		return;
	}
	if (n >= 8) {
		/* "A" is 41 00 00 00 in UTF-32LE, 00 00 00 41 in BE */
		size_t units = n / 4, le = 0, be = 0;
		for (size_t i = 0; i + 3 < n; i += 4) {
			if (p[i] && !p[i + 1] && !p[i + 2] && !p[i + 3])
				le++;
			else if (!p[i] && !p[i + 1] && !p[i + 2] && p[i + 3])
				be++;
		}
		if (le * 4 >= units * 3 || be * 4 >= units * 3) {
			in->enc = le > be ? INPUT_UTF32LE : INPUT_UTF32BE;
			return;
		}
	}
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		in->enc = INPUT_UTF8_BOM;
		in->pos = 3;
	} else if (n >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		in->enc = INPUT_UTF16LE;
		in->pos = 2;
	} else if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		in->enc = INPUT_UTF16BE;
		in->pos = 2;
	} else if (n >= 4) {
		/* "A" is 41 00 in UTF-16LE: zero bytes at odd offsets */
		size_t pairs = n / 2, le = 0, be = 0;
		for (size_t i = 0; i + 1 < n; i += 2) {
			if (p[i] && !p[i + 1])
				le++;
			else if (!p[i] && p[i + 1])
				be++;
		}
		if (le * 4 >= pairs * 3)
			in->enc = INPUT_UTF16LE;
		else if (be * 4 >= pairs * 3)
			in->enc = INPUT_UTF16BE;
	}
}
