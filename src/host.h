/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -a/--all: the whole host. The BPF programs' scope (cgroup, comm), and
 * which processes hold something (found in a snapshot, so processes
 * started later come in by themselves).
 */
#ifndef HOST_H
#define HOST_H

#include <stddef.h>
#include <stdint.h>

struct leakscope_bpf;
struct options;
struct snapshot;

/* The rodata of the BPF programs for -a, --cgroup, --comm; 0 or an LS_EXIT_*
 * code after a message. */
int host__configure(struct leakscope_bpf *skel, const struct options *opt);
/* The cgroup v2 path of process `pid` ("/system.slice/x"); NULL: unknown. */
char *host__cgroup_of(uint32_t pid);
/* The processes `snap` has objects of: *out (allocated) gets their tgids,
 * sorted, each once; returns how many. */
size_t host__tgids(const struct snapshot *snap, uint32_t **out);

#endif /* HOST_H */
