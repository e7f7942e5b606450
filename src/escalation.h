/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -a sampled: one window of exact heap tracing in one process whose memory
 * kept growing. Its allocator is planned for it as for -p (glibc, jemalloc,
 * a static binary), its uprobes attached for the window and detached at its
 * end, its blocks then forgotten (their frees are no longer seen).
 */
#ifndef ESCALATION_H
#define ESCALATION_H

#include <stdint.h>
#include <stdio.h>

#include "allocator.h"
#include "probes.h"

struct report;
struct report_process;
struct session;

/* What one uprobe hit costs the process beyond the BPF run time that
 * bpf_stats measures: the trap. Estimated from `make bench` on this kernel
 * (no-op programs at leakscope's probes: ~13.5 us a malloc/free pair, three
 * hits). Said as an estimate wherever it is used. */
#define TRAP_NS_ESTIMATE 4500

struct escalation {
	int pid;
	char comm[32];
	uint64_t start_ns, end_ns;
	struct probe_plan plan;
	struct probe_links links;
	uint64_t bpf0_ns, runs0; /* exact programs' totals at the start */
	uint64_t cpu0;		 /* its utime + stime (ticks) at the start */
	char *growing;		 /* the growing heap stacks of the last report */
};

/* Opens a window of `seconds` on process `p`; `bpf_ns` and `runs` are the
 * exact programs' totals now. 0, or -1 (said) when it cannot be traced. */
int escalation__open(struct escalation *e, struct session *s, const struct report_process *p,
		     double seconds, uint64_t bpf_ns, uint64_t runs);
/* Its heap stacks that report `r` calls growing, kept for its end. */
void escalation__note_growing(struct escalation *e, const struct report *r);
/* What the window has cost so far (the exact programs' totals now): BPF
 * measured and traps estimated. */
uint64_t escalation__cost(const struct escalation *e, uint64_t bpf_ns, uint64_t runs);
/* Ends the window (`why`): probes detached, blocks forgotten, one line to
 * `out` with its cost and its growing stacks. */
void escalation__close(struct escalation *e, struct session *s, const char *why, FILE *out,
		       uint64_t bpf_ns, uint64_t runs);

/* utime + stime of a process, in clock ticks; 0: unknown */
uint64_t cpu_ticks(int pid);

#endif /* ESCALATION_H */
