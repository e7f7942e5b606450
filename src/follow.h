/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Following the traced processes: those found (forks with --follow-forks,
 * -a's processes that hold something), execs followed into new images
 * (probes attached there), unwind tables and symbolizers kept up with
 * what they map, and those that exited let go. Driven by BPF's events and
 * a look at the maps on a timer of its own: a report only reads.
 */
#ifndef FOLLOW_H
#define FOLLOW_H

#include <stddef.h>

struct report_process;
struct session;
struct snapshot;

/* Adds process `pid` to s->procs (its symbolizer, its unwind tables). */
void follow__add_process(struct session *s, int pid, const char *comm);
/* A ring buffer callback (ctx: the session): exec and fork events. */
int follow__on_event(void *ctx, void *data, size_t len);
/* Looks at every live process: a new image (exec), new mappings, exit. */
void follow__tick(struct session *s);
/* -a sampled: process `pid` (a suspect) is followed as closely as a
 * target: its maps read each second, its unwind tables loaded. */
void follow__closely(struct session *s, int pid);
/* -a: adopts the processes `snap` has objects of that are not known yet. */
void follow__adopt(struct session *s, const struct snapshot *snap);
/* -a, after a report: the processes that exited leave the BPF maps, the
 * verdicts and s->procs. */
void follow__forget_exited(struct session *s);

/* Frees what process `p` holds (its symbolizer, its names). */
void follow__free_process(struct report_process *p);

#endif /* FOLLOW_H */
