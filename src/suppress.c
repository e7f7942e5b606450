// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "report.h"
#include "suppress.h"
#include "util.h"

bool suppress__glob(const char *p, const char *s)
{
	if (!*p)
		return !*s;
	if (*p == '*') {
		for (;; s++) {
			if (suppress__glob(p + 1, s))
				return true;
			if (!*s)
				return false;
		}
	}
	return *s && *p == *s && suppress__glob(p + 1, s + 1);
}

static const char *const prefixes[] = {
    [SUPPRESS_FUNCTION] = "function:", [SUPPRESS_LIBRARY] = "library:",
    [SUPPRESS_CREATOR] = "creator:",   [SUPPRESS_KIND] = "kind:",
    [SUPPRESS_LEAK] = "leak:",
};

static int add(struct suppressions *s, enum suppress_what what, const char *pattern, size_t len)
{
	struct suppress_rule *r;

	if (!len)
		return -1;
	if (what == SUPPRESS_KIND && !kind__by_name(pattern, len))
		return -1;
	s->rules = xrealloc(s->rules, s->count + 1, sizeof(*s->rules));
	r = &s->rules[s->count++];
	r->what = what;
	r->pattern = strndup(pattern, len);
	r->hits = 0;
	return 0;
}

/* One rule of `len` bytes; a bare word is a function. */
static int add_rule(struct suppressions *s, const char *rule, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (len >= n && !strncmp(rule, prefixes[i], n))
			return add(s, i, rule + n, len - n);
	}
	if (memchr(rule, ':', len) && !memchr(rule, '.', len))
		return -1; /* an unknown "what:" */
	return add(s, SUPPRESS_FUNCTION, rule, len);
}

int suppress__add(struct suppressions *s, const char *rule)
{
	if (add_rule(s, rule, strlen(rule))) {
		ls_error("invalid suppression '%s' (function:, library:, creator:, kind: or leak: "
			 "and a pattern)",
			 rule);
		return LS_EXIT_USAGE;
	}
	return 0;
}

int suppress__load(struct suppressions *s, const char *path)
{
	char *text = read_file(path, NULL), *line, *next;
	int n = 0;

	if (!text) {
		ls_error("cannot read suppressions %s", path);
		return LS_EXIT_USAGE;
	}
	for (line = text; line && *line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n++;
		line += strspn(line, " \t");
		len = strcspn(line, "#");
		while (len && strchr(" \t\r", line[len - 1]))
			len--;
		if (len && add_rule(s, line, len)) {
			ls_error("%s:%d: invalid suppression '%.*s'", path, n, (int)len, line);
			free(text);
			return LS_EXIT_USAGE;
		}
	}
	free(text);
	return 0;
}

static bool matches(const struct suppress_rule *r, const struct report_entry *e)
{
	size_t i;

	if (r->what == SUPPRESS_KIND)
		return !strcmp(r->pattern, kind__name(e->row.site.kind));
	if (r->what == SUPPRESS_CREATOR)
		return e->nframes > 1 && suppress__glob(r->pattern, e->frames[1]);
	for (i = 0; i < e->nframes; i++) {
		const struct report_loc *loc = report_entry__loc(e, i);

		if ((r->what == SUPPRESS_FUNCTION || r->what == SUPPRESS_LEAK) &&
		    suppress__glob(r->pattern, e->frames[i]))
			return true;
		if ((r->what == SUPPRESS_LIBRARY || r->what == SUPPRESS_LEAK) && loc->path &&
		    suppress__glob(r->pattern, path_base(loc->path)))
			return true;
	}
	return false;
}

struct suppress_rule *suppress__match(struct suppressions *s, const struct report_entry *e)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		if (matches(&s->rules[i], e))
			return &s->rules[i];
	return NULL;
}

void suppress__free(struct suppressions *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free(s->rules[i].pattern);
	free(s->rules);
	memset(s, 0, sizeof(*s));
}
