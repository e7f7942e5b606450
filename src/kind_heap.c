// SPDX-License-Identifier: GPL-2.0
/*
 * The heap kind: blocks of the C/C++ allocator, in the table of buckets
 * that bpf/heap.bpf.c fills (src/heap_table.c reads it).
 */
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "heap_table.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "snapshot.h"

static struct heap_table table_of(const struct kind_source *src)
{
	struct leakscope_bpf *skel = src->skel;

	return (struct heap_table){.fd = bpf_map__fd(skel->maps.heap_blocks),
				   .buckets = bpf_map__max_entries(skel->maps.heap_blocks),
				   .images_fd = bpf_map__fd(skel->maps.heap_images)};
}

/* The wrapper programs (heap_wrapper, heap_return) also serve the fd and
 * thread kinds' libc wrappers: only what is the heap's alone goes. */
static void configure(const struct kind_source *src, bool traced)
{
	struct leakscope_bpf *skel = src->skel;
	const struct options *opt = src->opt;
	uint32_t buckets;

	bpf_program__set_autoload(skel->progs.heap_exec, traced);
	skel->rodata->min_size = opt->min_size;
	skel->rodata->max_size = opt->max_size;
	skel->rodata->sample_bytes = opt->sample;
	if (!traced)
		return;
	buckets = heap_table__buckets(opt->max_objects);
	bpf_map__set_max_entries(skel->maps.heap_blocks, buckets);
	skel->rodata->heap_bucket_mask = buckets - 1;
	if (opt->sample) { /* most frees are of blocks not recorded */
		bpf_map__set_max_entries(skel->maps.heap_homes, (buckets + 1) / 2);
		skel->rodata->heap_count_homes = true;
	}
}

/* Heap blocks are not in the totals map: their table is added up. */
static int gather(const struct kind_source *src, struct snapshot *snap)
{
	struct heap_table t = table_of(src);
	struct totals_entry *v;
	size_t n, stale = 0;
	int err = heap_table__totals(&t, &v, &n, &stale);

	snap->rate[LS_KIND_HEAP] = src->opt->sample; /* BPF scaled the blocks */
	snapshot__add_totals(snap, v, n);
	snap->stale_objects += stale;
	free(v);
	return err;
}

/* Blocks of images their process left by exec: freed only when a scan saw
 * some, so a report reads the table once. */
static void prune(const struct kind_source *src, const struct snapshot *snap)
{
	struct heap_table t = table_of(src);

	if (snap->stale_objects)
		heap_table__prune(&t);
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	struct heap_table t = table_of(src);

	heap_table__forget(&t, gone, n);
}

static const char *const programs[] = {"heap_", NULL};

const struct kind kind_heap = {
    .id = LS_KIND_HEAP,
    .name = "heap",
    .has_bytes = true,
    .words = {.objects = "blocks",
	      .acquired = "allocations",
	      .released = "frees",
	      .unknown = "unknown frees",
	      .nested = "nested allocator calls folded into their caller"},
    .sample_option = "--sample",
    .sampled_words = {.acquired = "allocations sampled",
		      .released = "frees of sampled blocks",
		      .unknown = "frees of blocks not sampled or allocated before tracing"},
    .size_filter = true,
    .programs = programs,
    .configure = configure,
    .gather = gather,
    .prune = prune,
    .forget = forget,
};
