/*
 * clip.c: OSC 52 copies (clip.h).
 */
#include "clip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static FILE *out;
static char *last;

void clip_set_output(FILE *f)
{
	out = f;
}

const char *clip_last(void)
{
	return last ? last : "";
}

char *clip_osc52(const char *s, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char head[] = "\033]52;c;";
	size_t len = sizeof head - 1 + (n + 2) / 3 * 4 + 2;
	char *seq = xmalloc(len), *o = seq;
	memcpy(o, head, sizeof head - 1);
	o += sizeof head - 1;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o++ = '\a';
	*o = '\0';
	return seq;
}

int clip_copy(const char *s, char **cause)
{
	if (!s || !*s)
		return set_cause(cause, "nothing to copy: the value is empty");
	size_t n = strlen(s);
	if (n > CLIP_MAX)
		return set_cause(cause, "too long to copy (%zu bytes; a terminal takes %d at most)", n,
				 CLIP_MAX);
	if (out) {
		char *seq = clip_osc52(s, n);
		int bad = fputs(seq, out) < 0 || fflush(out) != 0;
		free(seq);
		if (bad)
			return set_cause(cause, "copy: cannot write to the terminal: %s", strerror(errno));
	}
	free(last);
	last = xstrdup(s);
	return 0;
}
