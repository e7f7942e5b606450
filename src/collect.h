/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the shared BPF maps: per-stack totals, stacks, counters. */
#ifndef COLLECT_H
#define COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "leakscope.h"

struct totals_entry {
	struct ls_totals_key key;
	struct ls_totals val;
};

/*
 * Every non-empty per-stack totals entry in *out. The keys of entries that
 * emptied in a generation at least two behind `current_gen` go to *stale:
 * nothing points at them any more (collect__prune_totals deletes them).
 */
int collect__totals(int map_fd, uint32_t current_gen, struct totals_entry **out, size_t *count,
		    struct ls_totals_key **stale, size_t *nstale);
void collect__prune_totals(int map_fd, const struct ls_totals_key *stale, size_t n);
/* Sums the per-CPU counters of every kind. */
int collect__counters(int map_fd, uint64_t out[LS_KIND_MAX][CNT_MAX]);
int collect__stack(int map_fd, uint64_t stack_id, struct ls_stack *out);

#endif /* COLLECT_H */
