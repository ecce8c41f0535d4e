/*
 * theme.c: theme files parsed into role styles, and the current theme
 * applied to curses colour pairs (theme.h).
 *
 * Pair n+1 holds role n. Colours a terminal lacks are brought down to
 * the eight basic ones (bright colours as bold, the 256-colour cube by
 * its dominant channels), so a theme written for xterm-256color still
 * reads on a console.
 */
#include "theme.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xalloc.h"

static const char *const role_names[THEME_NROLES] = {
#define X(id, name, what) name,
	THEME_ROLES(X)
#undef X
};

/* What every role looks like without colour: the fallback for roles a
 * theme leaves out, and the whole mapping under NO_COLOR. */
static const attr_t mono_attrs[THEME_NROLES] = {
	[THEME_NORMAL] = A_NORMAL,
	[THEME_TITLE] = A_REVERSE,
	[THEME_CRUMB] = A_REVERSE | A_BOLD,
	[THEME_STATUS] = A_REVERSE,
	[THEME_HEADER] = A_BOLD | A_UNDERLINE,
	[THEME_SELECTED] = A_REVERSE,
	[THEME_CELL] = A_BOLD | A_UNDERLINE,
	[THEME_BOOKMARK] = A_BOLD,
	[THEME_SUSPICIOUS] = A_BOLD | A_UNDERLINE,
	[THEME_MATCH] = A_UNDERLINE,
	[THEME_MESSAGE] = A_NORMAL,
	[THEME_ERROR] = A_BOLD,
	[THEME_PROMPT] = A_BOLD,
	[THEME_LABEL] = A_BOLD,
	[THEME_KEY] = A_BOLD,
	[THEME_STRING] = A_NORMAL,
	[THEME_NUMBER] = A_NORMAL,
	[THEME_LITERAL] = A_NORMAL,
	[THEME_BAR] = A_NORMAL,
	[THEME_DIM] = A_DIM,
	[THEME_TAG] = A_UNDERLINE,
	[THEME_NOTE] = A_UNDERLINE,
	[THEME_CUT] = A_BOLD,
};

static attr_t current[THEME_NROLES];
static bool current_set, colour_on;
static char current_name[64] = "monochrome";

const char *theme_role_name(enum theme_role r)
{
	return r < THEME_NROLES ? role_names[r] : "?";
}

static const char *const colour_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

/* A colour word: default, a name, bright-NAME, or 0-255. -2 if unknown. */
static int parse_colour(const char *w)
{
	if (!strcasecmp(w, "default") || !strcmp(w, "-"))
		return -1;
	for (int i = 0; i < 8; i++) {
		if (!strcasecmp(w, colour_names[i]))
			return i;
		if (!strncasecmp(w, "bright-", 7) && !strcasecmp(w + 7, colour_names[i]))
			return 8 + i;
	}
	if (!strcasecmp(w, "grey") || !strcasecmp(w, "gray"))
		return 8;
	char *end;
	errno = 0;
	long v = strtol(w, &end, 10);
	if (*w && !*end && !errno && v >= 0 && v <= 255)
		return (int)v;
	return -2;
}

static const struct {
	const char *name;
	attr_t a;
} attr_names[] = {
	{ "bold", A_BOLD },       { "dim", A_DIM },           { "underline", A_UNDERLINE },
	{ "reverse", A_REVERSE }, { "standout", A_STANDOUT }, { "italic", A_ITALIC },
	{ "blink", A_BLINK },     { "normal", A_NORMAL },     { "none", A_NORMAL },
};

static int find_role(const char *w)
{
	for (int i = 0; i < THEME_NROLES; i++)
		if (!strcasecmp(w, role_names[i]))
			return i;
	return -1;
}

int theme_parse(const char *text, const char *name, struct theme *out, char **cause)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < THEME_NROLES; i++)
		out->role[i] = (struct theme_style){ -1, -1, mono_attrs[i] };
	const char *p = text;
	for (unsigned lineno = 1; *p; lineno++) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = xstrndup(p, len);
		p += len + (eol ? 1 : 0);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *words[12];
		int nw = 0;
		for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w;
		     w = strtok_r(NULL, " \t\r", &save)) {
			if (nw == 12) {
				free(line);
				return set_cause(cause, "%s: line %u: too many words", name, lineno);
			}
			words[nw++] = w;
		}
		if (nw == 0) {
			free(line);
			continue;
		}
		int r = find_role(words[0]);
		if (r < 0) {
			set_cause(cause, "%s: line %u: unknown role '%s'", name, lineno, words[0]);
			free(line);
			return -1;
		}
		if (nw < 3) {
			set_cause(cause, "%s: line %u: expected '%s FOREGROUND BACKGROUND [ATTRIBUTES]'",
				  name, lineno, words[0]);
			free(line);
			return -1;
		}
		int fg = parse_colour(words[1]), bg = parse_colour(words[2]);
		if (fg == -2 || bg == -2) {
			set_cause(cause, "%s: line %u: unknown colour '%s'", name, lineno,
				  fg == -2 ? words[1] : words[2]);
			free(line);
			return -1;
		}
		attr_t a = A_NORMAL;
		for (int i = 3; i < nw; i++) {
			size_t k;
			for (k = 0; k < sizeof attr_names / sizeof attr_names[0]; k++)
				if (!strcasecmp(words[i], attr_names[k].name))
					break;
			if (k == sizeof attr_names / sizeof attr_names[0]) {
				set_cause(cause, "%s: line %u: unknown attribute '%s'", name, lineno, words[i]);
				free(line);
				return -1;
			}
			a |= attr_names[k].a;
		}
		out->role[r] = (struct theme_style){ (short)fg, (short)bg, a };
		free(line);
	}
	out->name = xstrdup(name);
	return 0;
}

void theme_clear(struct theme *t)
{
	if (!t)
		return;
	free(t->name);
	t->name = NULL;
}

/* The folders searched for NAME.theme, in order; NULL entries skipped. */
static void theme_dirs(char *dirs[5])
{
	memset(dirs, 0, 5 * sizeof *dirs);
	const char *env = getenv("AUDITSCOPE_THEMES");
	if (env && *env)
		dirs[0] = xstrdup(env);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* build/auditscope beside the source tree's themes/, and an
			 * installed bin/ beside share/auditscope/themes */
			dirs[1] = xasprintf("%s/../themes", exe);
			dirs[2] = xasprintf("%s/../share/auditscope/themes", exe);
		}
	}
	dirs[3] = xstrdup("/usr/local/share/auditscope/themes");
	dirs[4] = xstrdup("/usr/share/auditscope/themes");
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		buf = xgrow(buf, &cap, len + 4097, 1);
		size_t k = fread(buf + len, 1, 4096, f);
		len += k;
		if (k < 4096)
			break;
		if (len > (1u << 20)) /* a theme is a few hundred bytes */
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static bool valid_name(const char *name)
{
	if (!*name || strlen(name) > 48)
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return false;
	return true;
}

int theme_load(const char *name, struct theme *out, char **cause)
{
	if (strchr(name, '/')) {
		char *text = read_all(name);
		if (!text)
			return set_cause(cause, "%s: %s", name, strerror(errno));
		int r = theme_parse(text, name, out, cause);
		free(text);
		return r;
	}
	if (!valid_name(name))
		return set_cause(cause, "theme: no theme named '%s'", name);
	char *dirs[5];
	theme_dirs(dirs);
	int r = 1;
	for (int i = 0; i < 5 && r > 0; i++) {
		if (!dirs[i])
			continue;
		char *path = xasprintf("%s/%s.theme", dirs[i], name);
		char *text = read_all(path);
		if (text) {
			char *err = NULL;
			r = theme_parse(text, name, out, &err) < 0 ? -1 : 0;
			if (r < 0) {
				set_cause(cause, "%s (in %s)", err, path);
				free(err);
			}
			free(text);
		}
		free(path);
	}
	for (int i = 0; i < 5; i++)
		free(dirs[i]);
	if (r > 0)
		return set_cause(cause, "theme: no theme named '%s' (try :theme for the list)", name);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **theme_list(size_t *n)
{
	char *dirs[5];
	theme_dirs(dirs);
	char **names = NULL;
	size_t cnt = 0, cap = 0;
	for (int i = 0; i < 5; i++) {
		DIR *d = dirs[i] ? opendir(dirs[i]) : NULL;
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t k = strlen(e->d_name);
			if (k <= 6 || strcmp(e->d_name + k - 6, ".theme"))
				continue;
			char *nm = xstrndup(e->d_name, k - 6);
			bool dup = !valid_name(nm);
			for (size_t j = 0; j < cnt && !dup; j++)
				dup = !strcmp(names[j], nm);
			if (dup) {
				free(nm);
				continue;
			}
			names = xgrow(names, &cap, cnt + 1, sizeof *names);
			names[cnt++] = nm;
		}
		if (d)
			closedir(d);
		free(dirs[i]);
	}
	if (cnt)
		qsort(names, cnt, sizeof *names, cmp_str);
	*n = cnt;
	return names;
}

/* A colour the terminal has: bright ones fold onto the basic eight (the
 * caller adds bold for a foreground), the cube onto its strong channels. */
static short fit_colour(int c, bool *bright)
{
	*bright = false;
	if (c < 0 || c < COLORS)
		return (short)c;
	if (c < 16) {
		*bright = true;
		return (short)(c - 8);
	}
	if (c < 232) {
		int v = c - 16, r = v / 36, g = v / 6 % 6, b = v % 6;
		*bright = r >= 4 || g >= 4 || b >= 4;
		return (short)((r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0));
	}
	return c < 244 ? COLOR_BLACK : COLOR_WHITE;
}

bool theme_apply(const struct theme *t)
{
	const char *nc = getenv("NO_COLOR");
	bool want = !(nc && *nc) && stdscr && has_colors();
	colour_on = false;
	if (want && start_color() == OK) {
		bool defaults = use_default_colors() == OK;
		colour_on = COLOR_PAIRS > THEME_NROLES;
		for (int i = 0; colour_on && i < THEME_NROLES; i++) {
			bool bf, bb;
			short fg = fit_colour(t->role[i].fg, &bf), bg = fit_colour(t->role[i].bg, &bb);
			if (!defaults) {
				if (fg < 0)
					fg = COLOR_WHITE;
				if (bg < 0)
					bg = COLOR_BLACK;
			}
			init_pair((short)(i + 1), fg, bg);
			current[i] = t->role[i].attrs | (bf ? A_BOLD : 0) | (attr_t)COLOR_PAIR(i + 1);
		}
	}
	if (!colour_on)
		for (int i = 0; i < THEME_NROLES; i++)
			current[i] = mono_attrs[i];
	current_set = true;
	snprintf(current_name, sizeof current_name, "%s", colour_on && t->name ? t->name : "monochrome");
	return colour_on;
}

attr_t theme_attr(enum theme_role r)
{
	if (r >= THEME_NROLES)
		return A_NORMAL;
	return current_set ? current[r] : mono_attrs[r];
}

const char *theme_current(void)
{
	return current_name;
}

bool theme_colour(void)
{
	return colour_on;
}
