/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The values of leakscope's options (cli.c): whole numbers, seconds, one
 * word of a list, lists of kinds. Each returns 0, or LS_EXIT_USAGE after
 * one line on stderr naming the option and the value.
 */
#ifndef CLI_VALUE_H
#define CLI_VALUE_H

#include <stddef.h>
#include <stdint.h>

/* "invalid WHAT 'ARG'" on stderr; LS_EXIT_USAGE. */
int cli_value__bad(const char *what, const char *arg);

/* A non-negative whole number in [min, max]; no sign, no trailing junk. */
int cli_value__u64(const char *what, const char *arg, uint64_t min, uint64_t max, uint64_t *out);

/* A non-negative number of seconds, fractions allowed, at least min. */
int cli_value__seconds(const char *what, const char *arg, double min, double *out);

/* One of words[0 .. n): *out its index (NULL entries never match). */
int cli_value__word(const char *what, const char *arg, const char *const *words, size_t n,
		    int *out);

/* "heap,fd,thread" -> bits (1 << enum ls_kind). */
int cli_value__kinds(const char *arg, unsigned int *kinds);

#endif /* CLI_VALUE_H */
