// SPDX-License-Identifier: GPL-2.0
/*
 * The growth kind (-a): anonymous memory that processes touch for the
 * first time, seen by sampled page faults (bpf/growth.bpf.c) and counted
 * per (process, stack), estimated from one fault in --fault-period. No
 * uprobe: it costs the host one BPF run per sampled fault. Nothing is
 * released, so a stack's total is the memory it made resident: one that
 * keeps growing keeps touching new memory (src/host_watch.c then looks at
 * the process's RSS, and may trace its heap exactly for a while).
 */
#include <bpf/libbpf.h>

#include "cli.h"
#include "host_watch.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "snapshot.h"

static void configure(const struct kind_source *src, bool traced)
{
	bpf_program__set_autoload(src->skel->progs.growth_fault, traced);
}

/* BPF scaled each sample by the period it was taken at; the rate names
 * the period now, for the report's "estimated" */
static int gather(const struct kind_source *src, struct snapshot *snap)
{
	uint64_t *c = snap->counters[LS_KIND_GROWTH], faults = 0;
	size_t i;

	snap->rate[LS_KIND_GROWTH] = host_watch__fault_period(src->opt);
	for (i = 0; i < snap->ntotals; i++)
		if (snap->totals[i].key.site.kind == LS_KIND_GROWTH)
			faults += snap->totals[i].val.count;
	/* the faults each sample stood for, but itself */
	c[CNT_UNSAMPLED] = faults > c[CNT_ACQUIRED] ? faults - c[CNT_ACQUIRED] : 0;
	return 0;
}

static const char *const programs[] = {"growth_", NULL};

const struct kind kind_growth = {
    .id = LS_KIND_GROWTH,
    .name = "growth",
    .has_bytes = true,
    .words = {.objects = "pages",
	      .acquired = "faults on new memory",
	      .released = "releases (faults only add)",
	      .unknown = "faults on files or stacks (not growth)"},
    .opt_in = true, /* -a asks for it; -p and -- never need it */
    .sample_option = "--fault-period",
    .sampled_words = {.acquired = "faults sampled",
		      .released = "releases (faults only add)",
		      .unknown = "sampled faults on files or stacks (not growth)"},
    .programs = programs,
    .configure = configure,
    .gather = gather,
};
