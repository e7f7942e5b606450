/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The outstanding heap blocks table (struct ls_heap_bucket, filled by
 * bpf/heap_table.bpf.h): how big it is, and reading it a window at a time,
 * so that a million blocks cost leakscope a few MiB of memory, not the
 * table's size.
 */
#ifndef HEAP_TABLE_H
#define HEAP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "collect.h"
#include "leakscope.h"

struct heap_table {
	int fd;		  /* the BPF array map */
	uint32_t buckets; /* a power of two */
	int images_fd;	  /* tgid -> image after an exec (heap_images), -1: none */
};

/* Buckets for `max_objects` blocks: a power of two, about twice as many
 * slots, so that a bucket and its spill bucket are both full only when the
 * table nearly is (1 M blocks: 131072 buckets, 76 MiB of kernel memory). */
uint32_t heap_table__buckets(uint64_t max_objects);

/* Called with each block's address and a copy of the rest; returns nonzero
 * to free its slot (if it still holds that block). */
typedef int (*heap_block_fn)(uint64_t addr, const struct ls_heap_block *block, void *arg);

/* Calls `fn` for every block but those of images their process has left
 * by exec (stale). 0, or -errno when the map cannot be mapped. */
int heap_table__scan(const struct heap_table *t, heap_block_fn fn, void *arg);

/* The blocks added up per site and generation, as the totals map holds the
 * other kinds; *out is allocated; *stale (if not NULL) gets the number of
 * stale blocks passed over. */
int heap_table__totals(const struct heap_table *t, struct totals_entry **out, size_t *count,
		       size_t *stale);

/* Frees the stale blocks; returns how many. */
size_t heap_table__prune(const struct heap_table *t);

/* Frees the blocks of the processes in `gone` (sorted). */
void heap_table__forget(const struct heap_table *t, const uint32_t *gone, size_t n);

#endif /* HEAP_TABLE_H */
