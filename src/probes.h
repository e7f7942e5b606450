/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching the planned heap probes, and taking them away again. */
#ifndef PROBES_H
#define PROBES_H

#include <stddef.h>
#include <sys/types.h>

struct leakscope_bpf;
struct probe_plan;

/* uprobe_multi links, one per program and file (uprobe_multi.h). */
struct probe_links {
	int *fds;
	size_t count;
};

/* Before load: the uprobe programs are attached as uprobe_multi links. */
void probes__prepare(struct leakscope_bpf *skel);

/* Attaches every point of `plan` for process `pid`; 0 or an LS_EXIT_* code
 * after one line on stderr (already attached links stay in `out`). */
int probes__attach(struct leakscope_bpf *skel, const struct probe_plan *plan, pid_t pid,
		   struct probe_links *out);
void probes__detach(struct probe_links *links);

#endif /* PROBES_H */
