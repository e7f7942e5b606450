/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching the planned heap probes, and taking them away again. */
#ifndef PROBES_H
#define PROBES_H

#include <stddef.h>
#include <sys/types.h>

struct leakscope_bpf;
struct probe_plan;
struct bpf_link;

struct probe_links {
	struct bpf_link **links;
	size_t count;
};

/* Attaches every point of `plan` for process `pid`; 0 or an LS_EXIT_* code
 * after one line on stderr (already attached links stay in `out`). */
int probes__attach(struct leakscope_bpf *skel, const struct probe_plan *plan, pid_t pid,
		   struct probe_links *out);
void probes__detach(struct probe_links *links);

#endif /* PROBES_H */
