/*
 * binary.c: binary data told from text with a stray NUL (binary.h).
 *
 * Two signs, neither of which a text export shows: a known magic number
 * at the start, or NUL and control bytes spread through the first bytes
 * (an executable, untranscoded UTF-16, compressed or encrypted bytes).
 * A NUL alone is not one: a field can carry one, and a crash can leave a
 * zero-filled run in a log; the readers reject such a row and keep it at
 * its line, and load the rest.
 *
 * The first line decides when it is clean (no NUL, no control a text
 * cannot hold; UTF-8, or of 32 bytes or more three quarters ASCII, as
 * a Latin-1 record is):
 * it is a header or a first record, written by the exporter (with the
 * lines after it when it is shorter than FIRST_MIN: a '[' alone, a
 * blank line). The rows after it can hold values an attacker chose (a
 * message subject of control bytes in a message trace), and they must
 * not be able to turn the whole export into one rejected row. (Random
 * or encrypted bytes held a clean first line in 1 file of 15, a line
 * end among their first bytes, when it was enough to be clean.)
 */
#include "binary.h"

#include <stdbool.h>
#include <string.h>

static const struct {
	const char *magic;
	size_t len;
	const char *what;
} binary_magic[] = {
	{ "%PDF-", 5, "a PDF document" },
	{ "\x89PNG\r\n\x1a\n", 8, "a PNG image" },
	{ "\xff\xd8\xff", 3, "a JPEG image" },
	{ "GIF87a", 6, "a GIF image" },
	{ "GIF89a", 6, "a GIF image" },
	{ "II*\0", 4, "a TIFF image" },
	{ "MM\0*", 4, "a TIFF image" },
	{ "\x7f"
	  "ELF",
	  4, "an ELF executable" },
	{ "\xcf\xfa\xed\xfe", 4, "a Mach-O executable" },
	{ "\xce\xfa\xed\xfe", 4, "a Mach-O executable" },
	{ "\xca\xfe\xba\xbe", 4, "a Mach-O universal binary or Java class" },
	{ "SQLite format 3\0", 16, "an SQLite database (a case file?)" },
	{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "an OLE2 document (an old Office .xls, .doc or .msg)" },
	{ "ElfFile\0", 8, "a Windows event log (.evtx)" },
	{ "regf", 4, "a Windows registry hive" },
	{ "MSCF", 4, "a Windows cabinet" },
	{ "\xd4\xc3\xb2\xa1", 4, "a pcap capture" },
	{ "\xa1\xb2\xc3\xd4", 4, "a pcap capture" },
	{ "\x0a\x0d\x0d\x0a", 4, "a pcapng capture" },
	{ "PAR1", 4, "a Parquet file" },
	{ "Obj\x01", 4, "an Avro file" },
	{ "\x1a\x45\xdf\xa3", 4, "a Matroska or WebM video" },
	/* what the input layer opens when it can: here it could not (a
	 * damaged or unsupported one, or one past the nesting limit) */
	{ "PK\x03\x04", 4, "a zip archive that could not be read as one" },
	{ "PK\x05\x06", 4, "a zip archive that could not be read as one" },
	{ "\x1f\x8b", 2, "gzip data that could not be read as such" },
	{ "BZh", 3, "bzip2 data that could not be read as such" },
	{ "\xfd"
	  "7zXZ\0",
	  6, "xz data that could not be read as such" },
	{ "\x28\xb5\x2f\xfd", 4, "zstd data that could not be read as such" },
	{ "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive that could not be read as one" },
	{ "Rar!\x1a\x07", 6, "a rar archive that could not be read as one" },
};

/* The bytes the first line(s) must cover to decide: fewer are a '[' or
 * a blank line, not yet a header or a record. */
#define FIRST_MIN 8

/* A C0 control that text does not hold. Tab, the line ends, form feed,
 * bell, backspace and ESC it can: a log line full of terminal escapes
 * is still text (shown escaped). NUL is counted apart. */
static bool binary_control(unsigned char c)
{
	return c > 0 && c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' &&
	       c != '\a' && c != '\b' && c != 0x1b;
}

/*
 * Whether p[0..n) is UTF-8 by its structure (a lead byte, then as many
 * continuation bytes as it says; no overlong lead 0xC0/0xC1, none past
 * 0xF4), a sequence cut by the end allowed when cut_ok (the first 4 KB
 * end inside a long first line). Random bytes fail it within a few
 * characters.
 */
static bool binary_utf8(const unsigned char *p, size_t n, bool cut_ok)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
		if (len == 0)
			return false;
		for (size_t k = 1; k < len; k++) {
			if (i + k == n)
				return cut_ok;
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		}
		i += len;
	}
	return true;
}

const char *binary_kind(const void *vp, size_t n)
{
	const unsigned char *p = vp;
	if (n == 0)
		return NULL;
	for (size_t i = 0; i < sizeof binary_magic / sizeof binary_magic[0]; i++)
		if (n >= binary_magic[i].len && memcmp(p, binary_magic[i].magic, binary_magic[i].len) == 0)
			return binary_magic[i].what;
	/* "MZ" can begin a word; an executable's header has NULs soon after */
	if (n >= 64 && p[0] == 'M' && p[1] == 'Z' && memchr(p + 2, 0, 62))
		return "a Windows executable";

	/* the first line, or lines while they are shorter than FIRST_MIN
	 * bytes (a '[' alone before a pretty-printed array, a blank line) */
	size_t first = 0, i = 0;
	while (first < n && first < FIRST_MIN) {
		const unsigned char *eol = memchr(p + first, '\n', n - first);
		first = eol ? (size_t)(eol - p) + 1 : n;
	}
	size_t high = 0;
	while (i < first && p[i] != 0 && !binary_control(p[i]))
		high += p[i++] >= 0x80;
	if (i == first && ((first >= 32 && high * 4 <= first) || binary_utf8(p, first, first == n)))
		return NULL;

	/* NULs in runs of at most 3 (UTF-16's zero halves, an executable's
	 * fields) and controls, against one zero-filled run */
	size_t nul = 0, scattered = 0;
	for (i = 0; i < n;) {
		if (p[i] == 0) {
			size_t j = i;
			while (j < n && p[j] == 0)
				j++;
			nul += j - i;
			if (j - i <= 3)
				scattered++;
			i = j;
			continue;
		}
		if (binary_control(p[i]))
			scattered++;
		i++;
	}
	if (nul == n)
		return "NUL bytes only";
	if (scattered * 16 > n)
		return "NUL and control bytes throughout";
	return NULL;
}
