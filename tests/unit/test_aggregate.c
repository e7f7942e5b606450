// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of aggregate__rows() and aggregate__age_ns(): per-(site,
 * generation) totals in, one row per site out, with exact sums, order and
 * generation-granular age filtering.
 *
 * Build and run (from the repository root):
 *   gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc \
 *       -o build/unit/test_aggregate tests/unit/test_aggregate.c src/aggregate.c src/util.c
 *   build/unit/test_aggregate
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "check.h"

#define GEN_NS (1ULL << GEN_SHIFT)
#define N(a)   (sizeof(a) / sizeof((a)[0]))

/* One totals entry; kind and api default to heap/malloc. */
#define E(stack, pid, g, b, c)                                                                     \
	{                                                                                          \
		.key = {.site = {.stack_id = (stack), .tgid = (pid)}, .gen = (g)},                 \
		.val = {.bytes = (b), .count = (c)},                                               \
	}

#define CHECK_ROW(r, stack, pid, b, c, oldest)                                                     \
	do {                                                                                       \
		CHECK_U64((r).site.stack_id, (stack));                                             \
		CHECK_U64((r).site.tgid, (pid));                                                   \
		CHECK_U64((uint64_t)(r).bytes, (b));                                               \
		CHECK_U64((uint64_t)(r).count, (c));                                               \
		CHECK_U64((r).oldest_gen, (oldest));                                               \
	} while (0)

/* Generations of one site are summed, whatever the input order, and the
 * oldest generation is kept; the input array is left as it was. */
static void test_merge_generations(void)
{
	struct totals_entry in[] = {
	    E(7, 100, 5, 100, 1),
	    E(9, 100, 4, 10, 1), /* another site in between */
	    E(7, 100, 3, 200, 2),
	    E(7, 100, 7, 50, 1),
	};
	struct totals_entry copy[N(in)];
	struct site_row *rows = NULL;
	size_t n;

	memcpy(copy, in, sizeof(in));
	n = aggregate__rows(in, N(in), 100 * GEN_NS, 0, &rows);
	CHECK_U64(n, 2);
	CHECK(rows != NULL);
	if (n == 2) {
		CHECK_ROW(rows[0], 7, 100, 350, 4, 3);
		CHECK_ROW(rows[1], 9, 100, 10, 1, 4);
	}
	CHECK(!memcmp(copy, in, sizeof(in)));
	free(rows);
}

/* Largest first by bytes; equal bytes by count; equal both by site. */
static void test_sort_order(void)
{
	struct totals_entry in[] = {
	    E(1, 10, 0, 1000, 1), E(4, 10, 0, 1000, 5), E(3, 10, 0, 2000, 1),
	    E(2, 10, 0, 1000, 5), E(5, 10, 0, 1, 1),
	};
	struct site_row *rows = NULL;
	size_t n;

	n = aggregate__rows(in, N(in), 0, 0, &rows);
	CHECK_U64(n, 5);
	if (n == 5) {
		CHECK_ROW(rows[0], 3, 10, 2000, 1, 0);
		CHECK_ROW(rows[1], 2, 10, 1000, 5, 0);
		CHECK_ROW(rows[2], 4, 10, 1000, 5, 0);
		CHECK_ROW(rows[3], 1, 10, 1000, 1, 0);
		CHECK_ROW(rows[4], 5, 10, 1, 1, 0);
	}
	free(rows);
}

/* Entries emptied by frees give no row, and their generation does not make
 * the row of the same site look older. */
static void test_empty_dropped(void)
{
	struct totals_entry in[] = {
	    E(1, 10, 2, 0, 0),	 /* emptied generation of site 1 */
	    E(1, 10, 6, 300, 3), /* still live */
	    E(2, 10, 1, 0, 0),	 /* site 2: every generation empty */
	    E(2, 10, 4, 0, 0),
	};
	struct site_row *rows = NULL;
	size_t n;

	n = aggregate__rows(in, N(in), 100 * GEN_NS, 0, &rows);
	CHECK_U64(n, 1);
	if (n == 1)
		CHECK_ROW(rows[0], 1, 10, 300, 3, 6);
	free(rows);
}

/* A generation counts only when its newest possible object, acquired just
 * before (g + 1) << GEN_SHIFT, is at least min_age old. */
static void test_min_age(void)
{
	struct totals_entry in[] = {
	    E(1, 10, 6, 60, 1),	 /* newest at 7 G: 7 G + 3 G <= 10 G, kept */
	    E(1, 10, 7, 70, 1),	 /* newest at 8 G: 11 G > 10 G, dropped */
	    E(1, 10, 2, 20, 1),	 /* old, kept */
	    E(2, 10, 9, 900, 9), /* site 2 is too young altogether */
	    E(3, 10, 0, 5, 1),
	};
	struct site_row *rows = NULL;
	size_t n;

	/* Exactly on the boundary: <= keeps it. */
	n = aggregate__rows(in, N(in), 10 * GEN_NS, 3 * GEN_NS, &rows);
	CHECK_U64(n, 2);
	if (n == 2) {
		CHECK_ROW(rows[0], 1, 10, 80, 2, 2);
		CHECK_ROW(rows[1], 3, 10, 5, 1, 0);
	}
	free(rows);

	/* One nanosecond earlier generation 6 is no longer old enough. */
	n = aggregate__rows(in, N(in), 10 * GEN_NS - 1, 3 * GEN_NS, &rows);
	CHECK_U64(n, 2);
	if (n == 2) {
		CHECK_ROW(rows[0], 1, 10, 20, 1, 2);
		CHECK_ROW(rows[1], 3, 10, 5, 1, 0);
	}
	free(rows);

	/* A 1 ns minimum already excludes the generation still being filled
	 * (9 at 10 G: its newest object may be 0 ns old), not the one before. */
	n = aggregate__rows(in, N(in), 10 * GEN_NS, 1, &rows);
	CHECK_U64(n, 2);
	if (n == 2) {
		CHECK_ROW(rows[0], 1, 10, 150, 3, 2);
		CHECK_ROW(rows[1], 3, 10, 5, 1, 0);
	}
	free(rows);

	/* min_age 0 keeps everything, even generations "in the future". */
	n = aggregate__rows(in, N(in), 0, 0, &rows);
	CHECK_U64(n, 3);
	if (n == 3) {
		CHECK_ROW(rows[0], 2, 10, 900, 9, 9);
		CHECK_ROW(rows[1], 1, 10, 150, 3, 2);
		CHECK_ROW(rows[2], 3, 10, 5, 1, 0);
	}
	free(rows);

	/* Nothing is old enough: no rows. */
	n = aggregate__rows(in, N(in), 5 * GEN_NS, 1000 * GEN_NS, &rows);
	CHECK_U64(n, 0);
	free(rows);
}

/* The same stack in another process, of another kind or through another API
 * is another site. */
static void test_distinct_sites(void)
{
	struct totals_entry in[] = {
	    E(42, 10, 1, 100, 1), E(42, 11, 1, 200, 1), E(42, 10, 1, 300, 1),
	    E(42, 10, 1, 400, 1), E(42, 10, 2, 1, 1), /* same site as the first: merged */
	};
	struct site_row *rows = NULL;
	size_t n;

	in[2].key.site.kind = 1;
	in[3].key.site.api = LS_API_CALLOC;
	n = aggregate__rows(in, N(in), 0, 0, &rows);
	CHECK_U64(n, 4);
	if (n == 4) {
		CHECK_ROW(rows[0], 42, 10, 400, 1, 1);
		CHECK_U64(rows[0].site.kind, LS_KIND_HEAP);
		CHECK_U64(rows[0].site.api, LS_API_CALLOC);
		CHECK_ROW(rows[1], 42, 10, 300, 1, 1);
		CHECK_U64(rows[1].site.kind, 1);
		CHECK_U64(rows[1].site.api, LS_API_MALLOC);
		CHECK_ROW(rows[2], 42, 11, 200, 1, 1);
		CHECK_ROW(rows[3], 42, 10, 101, 2, 1);
		CHECK_U64(rows[3].site.kind, LS_KIND_HEAP);
		CHECK_U64(rows[3].site.api, LS_API_MALLOC);
	}
	free(rows);
}

/* An empty totals map: collect__totals() hands over NULL and 0. */
static void test_empty_input(void)
{
	struct totals_entry one[] = {E(1, 1, 0, 1, 1)};
	struct site_row *rows = NULL;
	size_t n;

	n = aggregate__rows(one, 0, 0, 0, &rows);
	CHECK_U64(n, 0);
	CHECK(rows != NULL);
	free(rows);

	rows = NULL;
	n = aggregate__rows(NULL, 0, 10 * GEN_NS, GEN_NS, &rows);
	CHECK_U64(n, 0);
	CHECK(rows != NULL);
	free(rows);
}

/* Age is counted from the start of the oldest generation, never negative. */
static void test_age(void)
{
	struct site_row row = {.oldest_gen = 3};

	CHECK_U64(aggregate__age_ns(&row, 5 * GEN_NS + 7), 2 * GEN_NS + 7);
	CHECK_U64(aggregate__age_ns(&row, 3 * GEN_NS), 0);
	CHECK_U64(aggregate__age_ns(&row, 3 * GEN_NS - 1), 0);
	CHECK_U64(aggregate__age_ns(&row, 0), 0);
	row.oldest_gen = 0;
	CHECK_U64(aggregate__age_ns(&row, 12345), 12345);
	/* The shift is done in 64 bits: a late generation does not wrap. */
	row.oldest_gen = UINT32_MAX;
	CHECK_U64(aggregate__age_ns(&row, ((uint64_t)UINT32_MAX << GEN_SHIFT) + 9), 9);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_merge_generations();
	test_sort_order();
	test_empty_dropped();
	test_min_age();
	test_distinct_sites();
	test_empty_input();
	test_age();
	return check_report("test_aggregate");
}
