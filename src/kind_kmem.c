// SPDX-License-Identifier: GPL-2.0
/*
 * The kmem kind: the kernel's own allocations (kmalloc, kmem_cache_alloc,
 * pages, per-CPU blocks) that traced processes cause, or with -a and no
 * scope the whole kernel's (bpf/kmem.bpf.c). Its blocks are keyed by
 * address alone, as any context may free them; their totals are in the
 * shared totals map. Kernel frames are named from /proc/kallsyms.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "util.h"

static void configure(const struct kind_source *src, bool traced)
{
	kind__autoload(src, &kind_kmem, traced);
	/* preallocated (bpf/kmem.bpf.c): a quarter of --max-objects */
	if (traced)
		bpf_map__set_max_entries(src->skel->maps.kmem_objects,
					 src->opt->max_objects / 4 ? src->opt->max_objects / 4 : 1);
	else
		bpf_map__set_max_entries(src->skel->maps.kmem_objects, 1);
}

/* The blocks of processes gone: collected first, as deleting while walking
 * would restart the walk. Their totals go with the shared map's. */
static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	int fd = bpf_map__fd(src->skel->maps.kmem_objects);
	uint64_t key, next, *doomed = NULL;
	size_t ndoomed = 0, i;
	bool first = true;

	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		struct ls_object obj;

		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &next, &obj) ||
		    !bsearch(&obj.where.site.tgid, gone, n, sizeof(*gone), cmp_u32))
			continue;
		doomed = xrealloc(doomed, ndoomed + 1, sizeof(*doomed));
		doomed[ndoomed++] = next;
	}
	for (i = 0; i < ndoomed; i++)
		bpf_map_delete_elem(fd, &doomed[i]);
	free(doomed);
}

static const char *const programs[] = {"kmem_", NULL};

const struct kind kind_kmem = {
    .id = LS_KIND_KMEM,
    .name = "kmem",
    .has_bytes = true,
    .words = {.objects = "blocks",
	      .acquired = "allocations",
	      .released = "frees",
	      .unknown = "frees of blocks not traced (not counted)"},
    .opt_in = true,
    .programs = programs,
    .configure = configure,
    .forget = forget,
};
