// SPDX-License-Identifier: GPL-2.0
/*
 * The go-heap kind: the objects the Go runtime's heap profiling samples
 * (bpf/go.bpf.c), scaled to estimates as pprof scales them.
 */
#include <bpf/libbpf.h>

#include "cli.h"
#include "go_host.h"
#include "go_runtime.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "snapshot.h"

static void configure(const struct kind_source *src, bool traced)
{
	(void)traced; /* the runtime switches each Go kind by opt->kinds */
	go_runtime__configure(src->go, src->skel, src->opt->kinds, !src->opt->pid, src->opt->all);
}

static int gather(const struct kind_source *src, struct snapshot *snap)
{
	/* -a: the rate the runtime's default and leakscope's are */
	snap->rate[LS_KIND_GO_HEAP] = src->opt->all ? GO_MEM_PROFILE_RATE
				      : src->go	    ? go_runtime__rate(src->go)
						    : 0;
	return 0;
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	kind__forget_objects(bpf_map__fd(src->skel->maps.go_heap_objects), gone, n);
}

static const char *const programs[] = {"go_", NULL};

const struct kind kind_go_heap = {
    .id = LS_KIND_GO_HEAP,
    .name = "go-heap",
    .has_bytes = true,
    .words = {"objects", "allocations sampled", "sampled objects freed",
	      "frees of objects sampled before tracing"},
    .inside_runtime = true,
    .programs = programs,
    .configure = configure,
    .gather = gather,
    .forget = forget,
    .estimate = go_runtime__scale,
    .start = go_host__start,
    .tick = go_host__tick,
    .stop = go_host__stop,
};
