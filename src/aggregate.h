/* SPDX-License-Identifier: GPL-2.0 */
/* From per-(site, generation) totals to one row per site. Pure: no I/O. */
#ifndef AGGREGATE_H
#define AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect.h"

struct site_row {
	struct ls_site site;
	int64_t bytes, count;
	uint32_t oldest_gen;
};

/*
 * One row per site, summed over the generations whose objects are all at
 * least `min_age_ns` old at `now_ns` (every generation when it is 0), empty
 * rows left out, largest first (bytes, then count). Returns the row count;
 * *rows is allocated (free it).
 */
size_t aggregate__rows(const struct totals_entry *entries, size_t n, uint64_t now_ns,
		       uint64_t min_age_ns, struct site_row **rows);

/* Whether all objects of generation `gen` are at least `min_age_ns` old. */
bool aggregate__old_enough(uint32_t gen, uint64_t now_ns, uint64_t min_age_ns);

/* The age of a row's oldest objects, at generation granularity. */
uint64_t aggregate__age_ns(const struct site_row *row, uint64_t now_ns);

int site__compare(const struct ls_site *a, const struct ls_site *b);

#endif /* AGGREGATE_H */
