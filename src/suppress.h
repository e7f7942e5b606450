/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Suppressions for --check, as LeakSanitizer and goleak have them: known
 * and accepted leaks that must not fail a build. A file of rules, one per
 * line ('#' starts a comment):
 *
 *   function:PATTERN   a frame of the stack is this function
 *   library:PATTERN    a frame of the stack is in this library (file name)
 *   creator:PATTERN    the function that acquired it (the frame below
 *                      the API: the caller of open(), the function with
 *                      the `go` statement) is this one
 *   kind:KIND          every leak of this kind (heap, fd, thread, ...)
 *   leak:PATTERN       LeakSanitizer's: a function or a library
 *
 * A PATTERN is matched whole, '*' matching any run of characters.
 */
#ifndef SUPPRESS_H
#define SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

struct report_entry;

enum suppress_what {
	SUPPRESS_FUNCTION,
	SUPPRESS_LIBRARY,
	SUPPRESS_CREATOR,
	SUPPRESS_KIND,
	SUPPRESS_LEAK, /* function or library */
};

struct suppress_rule {
	enum suppress_what what;
	char *pattern;
	unsigned long hits; /* leaks it turned away */
};

struct suppressions {
	struct suppress_rule *rules;
	size_t count;
};

/* Adds the rules of `path`; 0, or LS_EXIT_USAGE after a line naming the
 * file and line that is wrong. */
int suppress__load(struct suppressions *s, const char *path);
/* Adds one rule ("function:main.leak" or a bare function name). */
int suppress__add(struct suppressions *s, const char *rule);
/* The rule that suppresses `e`, NULL for none. */
struct suppress_rule *suppress__match(struct suppressions *s, const struct report_entry *e);
/* '*' matches any run of characters; everything else itself. */
bool suppress__glob(const char *pattern, const char *s);
void suppress__free(struct suppressions *s);

#endif /* SUPPRESS_H */
