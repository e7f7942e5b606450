/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -a without uprobes in every process: page faults sampled per CPU (the
 * growth kind), each process's RSS read at each report, and the heap of a
 * process whose memory keeps growing traced exactly (its allocator's
 * uprobes, planned for it as for -p) for a bounded window, then detached.
 * leakscope measures what its programs cost (bpf_stats) and keeps to
 * --budget: no escalation over it, a window cut short, a longer fault
 * period.
 */
#ifndef HOST_WATCH_H
#define HOST_WATCH_H

#include <stdint.h>
#include <stdio.h>

struct host_watch;
struct options;
struct report;
struct session;

/* After load: the per-CPU fault events attached, the run-time statistics
 * on. NULL when -a traces exactly (--host-exact) or growth is not traced;
 * errors are said and leave it NULL. */
struct host_watch *host_watch__start(struct session *s);
/* The fault period now (--fault-period, lengthened to keep the budget). */
uint64_t host_watch__fault_period(const struct options *opt);
/* At each report, before it is printed: each process's memory (RSS, its
 * growth, its window) and the host's cost written into `r`, escalation
 * decided. */
void host_watch__report(struct host_watch *w, struct report *r);
/* About once a second: a window's end, the budget. */
void host_watch__tick(struct host_watch *w);
void host_watch__free(struct host_watch *w);

#endif /* HOST_WATCH_H */
