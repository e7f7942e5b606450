/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One report: the rows of a moment with their symbolized stacks and the
 * counters, gathered once and handed to every printer.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "cli.h"

struct symbolizer;

struct report_entry {
	struct site_row row;
	int64_t delta_bytes, delta_count; /* since the previous report */
	bool is_new;			  /* not in the previous report */
	char **frames;			  /* innermost first; frames[0] is the API */
	size_t nframes;
};

struct report {
	int pid;
	const char *comm;
	unsigned long seq; /* 1, 2, ... */
	bool final;
	bool target_exited;
	uint64_t now_ns, traced_ns, since_prev_ns;
	struct report_entry *entries;
	size_t count;
	int64_t total_bytes, total_count;
	uint64_t counters[CNT_MAX];
	uint64_t
	    size_filtered; /* --min-size/--max-size given: frees of skipped blocks look unknown */
};

/* What the previous report held, to compute growth. */
struct report_history {
	struct site_row *rows; /* sorted by site */
	size_t count;
	uint64_t now_ns;
};

struct report_sources {
	int totals_fd, stacks_fd, counters_fd;
	struct symbolizer *symbolizer;
	uint64_t min_age_ns;
};

void report__gather(struct report *r, const struct report_sources *src,
		    struct report_history *history);
void report__free(struct report *r);
void report_history__free(struct report_history *h);

/* Printers. */
void report_text__print(FILE *out, const struct report *r, const struct options *opt);
/* Rewrites `path` with the report's folded stacks; -errno on failure. */
int report_folded__write(const char *path, const struct report *r, enum folded_value value);

#endif /* REPORT_H */
