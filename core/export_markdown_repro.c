/*
 * export_markdown_repro.c: the hand-over report's last section, "How to
 * reproduce": the sources' hashes as lines `sha256sum -c` reads (a name
 * its format cannot carry checked by a bash command instead), and the
 * commands that load the same files into a new case, carry the
 * annotations over and make the report again. Every name and filter is
 * a shell word inside a fence no case value can close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export_writer.h"
#include "sanitize.h"
#include "util.h"
#include "xalloc.h"

/* A shell word: quoted with '' unless it is plain (for the commands the
 * report prints; the text is then escaped for Markdown by md_code). */
static char *sh_word(const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      strchr("-_./=@:,+", *p)))
			plain = false;
	if (plain)
		return xstrdup(s);
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *o = xmalloc(n), *q = o;
	*q++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(q, "'\\''", 4);
			q += 4;
		} else {
			*q++ = *p;
		}
	}
	*q++ = '\'';
	*q = '\0';
	if (sanitize_needed(o, strlen(o))) { /* no escape reaches a terminal */
		char *safe = sanitize(o, strlen(o));
		free(o);
		o = safe;
	}
	return o;
}

/* A line of sha256sum's own format: "HASH  NAME", and a name holding a
 * backslash, a newline or a carriage return escaped the way sha256sum
 * escapes it (a leading backslash, then \\, \n, \r), so that
 * `sha256sum -c` finds names with spaces, quotes and newlines. A name
 * with other controls (an escape sequence in a file name) is shown
 * sanitised: it then fails the check rather than reach the terminal. */
static void sha256sum_line(FILE *f, const char *hash, const char *name)
{
	char *safe = NULL;
	const char *p = name;
	if (sanitize_needed(name, strlen(name))) {
		struct util_buf b = { 0 };
		for (const char *c = name; *c; c++) /* keep \n and \r for the escapes below */
			if (*c == '\n' || *c == '\r') {
				char *part = sanitize(name, (size_t)(c - name));
				util_buf_puts(&b, part);
				free(part);
				util_buf_add(&b, c, 1);
				name = c + 1;
			}
		char *rest = sanitize(name, strlen(name));
		util_buf_puts(&b, rest);
		free(rest);
		safe = util_buf_take(&b);
		p = safe;
	}
	bool esc = strpbrk(p, "\\\n\r") != NULL;
	fprintf(f, "%s%s  ", esc ? "\\" : "", hash);
	for (; *p; p++) {
		if (esc && *p == '\\')
			fputs("\\\\", f);
		else if (esc && *p == '\n')
			fputs("\\n", f);
		else if (esc && *p == '\r')
			fputs("\\r", f);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
	free(safe);
}

/* A fenced code block holding text: the fence is longer than any run of
 * backticks in it, so that a file name or a filter holding ``` cannot
 * end the block early and have the rest read as Markdown. */
static void md_block(FILE *f, const char *text)
{
	size_t run = 0, longest = 2;
	for (const char *p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	fputc('\n', f);
	fputs(text, f);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	fputc('\n', f);
}

/* Does name hold a character sha256sum's format cannot carry (it
 * escapes only the backslash, newline and carriage return) and that must
 * not reach a terminal raw? */
static bool name_needs_shell(const char *name)
{
	char *c = xstrdup(name);
	for (char *p = c; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	bool r = sanitize_needed(c, strlen(c));
	free(c);
	return r;
}

/* The same check for such a name, as a shell command: the line
 * sha256sum -c reads, in bash's $'...' quoting with every control and
 * non-ASCII byte as \xHH, so that the report stays plain text and the
 * command still names the file exactly. */
static void sha256sum_shell(struct util_buf *b, const char *hash, const char *name)
{
	bool esc = strpbrk(name, "\\\n\r") != NULL;
	struct util_buf line = { 0 };
	if (esc)
		util_buf_puts(&line, "\\");
	util_buf_puts(&line, hash);
	util_buf_puts(&line, "  ");
	for (const char *p = name; *p; p++) {
		if (esc && *p == '\\')
			util_buf_puts(&line, "\\\\");
		else if (esc && *p == '\n')
			util_buf_puts(&line, "\\n");
		else if (esc && *p == '\r')
			util_buf_puts(&line, "\\r");
		else
			util_buf_add(&line, p, 1);
	}
	char *l = util_buf_take(&line);
	util_buf_puts(b, "printf '%s\\n' $'");
	for (const unsigned char *p = (const unsigned char *)l; *p; p++) {
		char hex[8];
		if (*p < 0x20 || *p >= 0x7f) {
			snprintf(hex, sizeof hex, "\\x%02x", *p);
			util_buf_puts(b, hex);
		} else if (*p == '\'' || *p == '\\') {
			util_buf_add(b, "\\", 1);
			util_buf_add(b, (const char *)p, 1);
		} else {
			util_buf_add(b, (const char *)p, 1);
		}
	}
	util_buf_puts(b, "' | sha256sum -c\n");
	free(l);
}

/* A shell word for bash: plain or in '' as sh_word, and a word holding
 * a control character in bash's $'...' with every control and non-ASCII
 * byte as \xHH, so that it names the file exactly and the report stays
 * plain text. */
static char *bash_word(const char *s)
{
	if (!sanitize_needed(s, strlen(s)))
		return sh_word(s);
	struct util_buf b = { 0 };
	util_buf_puts(&b, "$'");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char hex[8];
		if (*p < 0x20 || *p >= 0x7f) {
			snprintf(hex, sizeof hex, "\\x%02x", *p);
			util_buf_puts(&b, hex);
		} else {
			if (*p == '\'' || *p == '\\')
				util_buf_add(&b, "\\", 1);
			util_buf_add(&b, (const char *)p, 1);
		}
	}
	util_buf_puts(&b, "'");
	return util_buf_take(&b);
}

/* Does a name end as a compressed file does? The loader hashes what it
 * read: the content once decompressed. */
static bool compressed_name(const char *s)
{
	static const char *const ext[] = { ".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".z", NULL };
	size_t n = strlen(s);
	for (int i = 0; ext[i]; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strcasecmp(s + n - e, ext[i]) == 0)
			return true;
	}
	return false;
}

/*
 * A source whose hash sha256sum cannot check on a file of its name: an
 * archive's member ("ARCHIVE!MEMBER", nested "A!B!C") or a file read
 * decompressed ("x.json.gz": its hash is of the JSON). Its check reads the
 * content out again, bsdtar taking each member out of the one before and
 * bsdcat decompressing, into the block's check function.
 */
static bool read_out(const char *path)
{
	return strchr(path, '!') != NULL || compressed_name(path);
}

static void read_out_line(struct util_buf *b, const char *hash, const char *path)
{
	char *parts = xstrdup(path), *save = NULL, *last = NULL;
	int n = 0;
	for (char *part = strtok_r(parts, "!", &save); part; part = strtok_r(NULL, "!", &save), n++) {
		char *w = bash_word(part);
		if (n == 0)
			util_buf_puts(b, compressed_name(part) && !strchr(path, '!') ? "bsdcat "
										     : "bsdtar -xOf ");
		else
			util_buf_puts(b, n == 1 ? " " : " | bsdtar -xOf - ");
		util_buf_puts(b, w);
		free(w);
		last = part;
	}
	if (n > 1 && last && compressed_name(last))
		util_buf_puts(b, " | bsdcat");
	char *w = bash_word(path);
	util_buf_puts(b, " | check ");
	util_buf_puts(b, hash);
	util_buf_puts(b, " ");
	util_buf_puts(b, w);
	util_buf_puts(b, "\n");
	free(w);
	free(parts);
}

struct repro {
	FILE *f;                /* the sha256sum -c lines */
	struct util_buf sh;     /* the names only a shell command can check */
	struct util_buf out;    /* the sources read out of an archive or decompressed */
	struct util_buf unread; /* the sources never read, so never hashed */
};

static int md_repro_source(const struct store_source_row *r, void *ctx)
{
	struct repro *rp = ctx;
	/* from a case file, untrusted like the rest: a hash or nothing */
	const char *hash = r->sha256 && strlen(r->sha256) == 64 && strspn(r->sha256, "0123456789abcdef") == 64
				   ? r->sha256
				   : NULL;
	if (!r->path)
		return 0;
	if (!hash) { /* an archive that could not be opened, a member skipped */
		char *w = bash_word(r->path);
		util_buf_puts(&rp->unread, w);
		util_buf_putc(&rp->unread, '\n');
		free(w);
	} else if (read_out(r->path))
		read_out_line(&rp->out, hash, r->path);
	else if (name_needs_shell(r->path))
		sha256sum_shell(&rp->sh, hash, r->path);
	else
		sha256sum_line(rp->f, hash, r->path);
	return 0;
}

int export_markdown_reproduce(struct exporter *x)
{
	FILE *f = x->out;
	const char *prog = x->o->program ? x->o->program : "auditscope";
	const char *filter = query_text(x->q);
	bool has = filter && *filter;
	char *c = sh_word(x->label);
	char *fw = has ? sh_word(filter) : NULL;
	/* "marked" and the filter as one term: the filter may hold "or" */
	char *mf = has ? xasprintf("marked (%s)", filter) : xstrdup("marked");
	char *mfw = sh_word(mf);
	char *mm = xasprintf("%s op=MailItemsAccessed", mf);
	char *mmw = sh_word(mm);
	fputs("## How to reproduce\n\n"
	      "Check that the evidence is what this report was made from (`sha256sum -c` over these "
	      "lines, in the folder the case was loaded from):\n\n",
	      f);
	char *sums = NULL, *cmd = NULL;
	size_t sums_len = 0, cmd_len = 0;
	struct repro rp = { .f = open_memstream(&sums, &sums_len) };
	int rv = rp.f ? store_each_source(x->st, md_repro_source, &rp, x->cause) : -1;
	if (rp.f)
		fclose(rp.f);
	md_block(f, sums ? sums : "");
	char *sh = util_buf_take(&rp.sh);
	if (sh && *sh) {
		fputs("\nNames holding control characters, which that format cannot carry, checked "
		      "with bash:\n\n",
		      f);
		md_block(f, sh);
	}
	free(sh);
	free(sums);
	char *out = util_buf_take(&rp.out);
	if (out && *out) {
		fputs("\nRead out of an archive (`ARCHIVE!MEMBER`) or decompressed: the hash is of the "
		      "content read, so bash reads it out again, in the same folder (`bsdtar` and `bsdcat` "
		      "come with libarchive-tools):\n\n",
		      f);
		char *blk =
			xasprintf("check() { if [ \"$(sha256sum | cut -c1-64)\" = \"$1\" ]; then echo \"$2: OK\"; "
				  "else echo \"$2: FAILED\"; fi; }\n%s",
				  out);
		md_block(f, blk);
		free(blk);
	}
	free(out);
	char *unread = util_buf_take(&rp.unread);
	if (unread && *unread) {
		fputs("\nNever read, or not read whole, so not hashed (their status in the sources above says why):\n\n",
		      f);
		md_block(f, unread);
	}
	free(unread);
	fputs("\nLoad the same files into a new case (records repeated across overlapping exports "
	      "are dropped by record id, so the events are the same), bring the annotations over, and "
	      "make this report again:\n\n",
	      f);
	FILE *m = open_memstream(&cmd, &cmd_len);
	if (m) {
		fprintf(m, "%s notes export %s -o notes.jsonl\n", prog, c);
		fprintf(m, "%s load NEW.case FILE...   # the files listed above\n", prog);
		fprintf(m, "%s notes import NEW.case notes.jsonl\n", prog);
		fprintf(m, "%s export NEW.case%s%s --marked --format markdown -o report.md\n", prog,
			has ? " " : "", has ? fw : "");
		fclose(m);
		md_block(f, cmd);
		free(cmd);
		cmd = NULL;
	}
	fputs("\nThe bookmarked events with their raw records, and the messages they exposed, "
	      "from this case:\n\n",
	      f);
	m = open_memstream(&cmd, &cmd_len);
	if (m) {
		fprintf(m, "%s query %s %s --format jsonl --raw\n", prog, c, mfw);
		fprintf(m, "%s messages %s %s\n", prog, c, mmw);
		fclose(m);
		md_block(f, cmd);
		free(cmd);
	}
	free(c);
	free(fw);
	free(mf);
	free(mfw);
	free(mm);
	free(mmw);
	return rv;
}
