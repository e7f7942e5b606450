/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny assertion set for standalone unit tests: a failed check prints where
 * and what, and the test goes on so one run shows every failure.
 * check_report() prints "NAME: N passed, N failed" and gives the exit status.
 */
#ifndef CHECK_H
#define CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

static inline int check_result(int ok, const char *file, int line, const char *expr)
{
	if (ok) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
	}
	return ok;
}

#define CHECK(cond) check_result(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_U64(actual, expected)                                                                \
	do {                                                                                       \
		uint64_t a_ = (actual), e_ = (expected);                                           \
		if (!check_result(a_ == e_, __FILE__, __LINE__, #actual " == " #expected))         \
			fprintf(stderr, "\tgot 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", a_, e_);  \
	} while (0)

/* NULL compares equal only to NULL. */
#define CHECK_STR(actual, expected)                                                                \
	do {                                                                                       \
		const char *a_ = (actual), *e_ = (expected);                                       \
		int ok_ = (a_ && e_) ? !strcmp(a_, e_) : a_ == e_;                                 \
		if (!check_result(ok_, __FILE__, __LINE__, #actual " == " #expected))              \
			fprintf(stderr, "\tgot \"%s\", expected \"%s\"\n", a_ ? a_ : "(null)",     \
				e_ ? e_ : "(null)");                                               \
	} while (0)

static inline int check_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif /* CHECK_H */
