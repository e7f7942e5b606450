// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: plans the uprobes of a process exactly as leakscope
 * does (same allocator detection, same placement, same uretprobes), attaches
 * programs that do nothing there, and waits for SIGINT or SIGTERM.
 *
 *   noop_probes [--probe-at-entry] PID
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "allocator.h"
#include "noop.skel.h"
#include "target.h"
#include "util.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static int attach(struct noop_bpf *skel, const struct probe_plan *plan, pid_t pid,
		  struct bpf_link **links, size_t *n)
{
	size_t i;

	for (i = 0; i < plan->count; i++) {
		const struct probe_point *p = &plan->points[i];
		LIBBPF_OPTS(bpf_uprobe_opts, ret_opts, .retprobe = true);

		links[*n] = bpf_program__attach_uprobe_opts(skel->progs.noop_entry, pid, p->binary,
							    p->offset + p->place.offset, NULL);
		if (!links[*n])
			return -1;
		(*n)++;
		if (!probe_point__returns(p))
			continue;
		links[*n] = bpf_program__attach_uprobe_opts(skel->progs.noop_return, pid, p->binary,
							    p->offset, &ret_opts);
		if (!links[*n])
			return -1;
		(*n)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool at_entry = argc > 1 && !strcmp(argv[1], "--probe-at-entry");
	struct target t = {.pidfd = -1, .release_fd = -1};
	struct probe_plan plan = {0};
	struct noop_bpf *skel = NULL;
	struct bpf_link **links = NULL;
	size_t n = 0, i;
	int rc = 1;

	if (argc != 2 + at_entry) {
		fprintf(stderr, "usage: noop_probes [--probe-at-entry] PID\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* every kind, as leakscope by default: the libc wrappers too */
	if (target__attach(&t, atoi(argv[1 + at_entry])) ||
	    allocator__plan(&t, NULL, (1u << LS_KIND_MAX) - 1, &plan))
		goto out;
	allocator__place(&plan, at_entry);
	skel = noop_bpf__open_and_load();
	links = calloc(2 * plan.count + 1, sizeof(*links));
	if (!skel || !links || attach(skel, &plan, t.pid, links, &n)) {
		fprintf(stderr, "noop_probes: cannot attach\n");
		goto out;
	}
	printf("attached %zu probes\n", n);
	fflush(stdout);
	while (!stop && !target__wait_exit(&t, 200))
		;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	free(links);
	noop_bpf__destroy(skel);
	allocator__free_plan(&plan);
	target__close(&t);
	return rc;
}
