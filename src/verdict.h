/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A verdict over time: from a short history of one stack's values, whether
 * it is growing (a leak), steady (levelled off: a cache or a pool) or
 * shrinking, how fast, and since when. Pure (src/verdicts.c keeps the
 * histories across reports).
 */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum verdict_kind {
	VERDICT_NONE = 0, /* not computed: printers show the plain delta */
	VERDICT_FIRST,	  /* the first report: nothing to compare with */
	VERDICT_NEW,	  /* seen in this report only */
	VERDICT_GROWING,
	VERDICT_STEADY,
	VERDICT_SHRINKING,
};

struct verdict {
	enum verdict_kind kind;
	double rate;	   /* per second across the window: bytes (heap kinds) or objects */
	uint64_t since_ns; /* CLOCK_MONOTONIC: when the present trend began */
	unsigned samples;  /* reports in the window */
};

#define VERDICT_WINDOW_MAX 1000

/*
 * The verdict of a window of `n` values (oldest first) taken at `times_ns`:
 * growing when the last value is above every value of the window's first
 * half (still rising in its second half), shrinking when it is below every
 * one of them, steady otherwise (levelled off, or up and down). A cache that filled and stopped is
 * steady once half the window has passed since. since_ns is where the present run began inside the
 * window.
 */
struct verdict verdict__classify(const int64_t *values, const uint64_t *times_ns, size_t n);

/* "growing", "steady", ... */
const char *verdict__name(enum verdict_kind kind);

#endif /* VERDICT_H */
