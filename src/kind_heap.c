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
#include "probe_point.h"
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

/* The allocator's functions (a prefixed allocator's too: --allocator) */
static const struct api_function functions[] = {
    {"malloc", LS_API_MALLOC, PROG_ALLOC, false, LS_KIND_HEAP},
    {"calloc", LS_API_CALLOC, PROG_CALLOC, false, LS_KIND_HEAP},
    {"realloc", LS_API_REALLOC, PROG_REALLOC, false, LS_KIND_HEAP},
    {"reallocarray", LS_API_REALLOCARRAY, PROG_REALLOCARRAY, false, LS_KIND_HEAP},
    {"aligned_alloc", LS_API_ALIGNED_ALLOC, PROG_ALLOC_ALIGNED, false, LS_KIND_HEAP},
    {"posix_memalign", LS_API_POSIX_MEMALIGN, PROG_POSIX_MEMALIGN, false, LS_KIND_HEAP},
    {"memalign", LS_API_MEMALIGN, PROG_ALLOC_ALIGNED, false, LS_KIND_HEAP},
    {"valloc", LS_API_VALLOC, PROG_ALLOC, false, LS_KIND_HEAP},
    {"pvalloc", LS_API_PVALLOC, PROG_ALLOC, false, LS_KIND_HEAP},
    {"free", LS_API_FREE, PROG_FREE, false, LS_KIND_HEAP},
    {"cfree", LS_API_FREE, PROG_FREE, false, LS_KIND_HEAP},
    /* libc helpers that allocate through malloc but keep no frame pointer */
    {"strdup", LS_API_STRDUP, PROG_WRAPPER, true, LS_KIND_HEAP},
    {"strndup", LS_API_STRNDUP, PROG_WRAPPER, true, LS_KIND_HEAP},
    /* operator new, new[]: plain, nothrow, aligned, aligned nothrow */
    {"_Znwm", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnwmRKSt9nothrow_t", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnwmSt11align_val_t", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_Znam", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnamRKSt9nothrow_t", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnamSt11align_val_t", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnamSt11align_val_tRKSt9nothrow_t", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    /* operator delete, delete[]: plain, sized, nothrow, aligned, both */
    {"_ZdlPv", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvm", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvRKSt9nothrow_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvSt11align_val_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvmSt11align_val_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvSt11align_val_tRKSt9nothrow_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPv", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvm", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvRKSt9nothrow_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvSt11align_val_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvmSt11align_val_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvSt11align_val_tRKSt9nothrow_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
};

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
    .functions = functions,
    .nfunctions = sizeof(functions) / sizeof(functions[0]),
    .configure = configure,
    .gather = gather,
    .prune = prune,
    .forget = forget,
};
