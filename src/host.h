/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -a/--all: the whole host. Which processes hold something (found in the
 * per-stack totals, so processes started later come in by themselves), and
 * forgetting those that exited once a report said so.
 */
#ifndef HOST_H
#define HOST_H

#include <stdint.h>

struct leakscope_bpf;
struct options;
struct session;

/* The rodata of the BPF programs for -a, --cgroup, --comm; 0 or an LS_EXIT_*
 * code after a message. */
int host__configure(struct leakscope_bpf *skel, const struct options *opt);
/* Adds to s->procs every process that has objects in the totals map. */
void host__discover(struct session *s);
/* After a report: the processes that exited leave the BPF maps, the
 * verdicts and s->procs. */
void host__forget_exited(struct session *s);

#endif /* HOST_H */
