// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: plans the uprobes of a process exactly as leakscope
 * does (same allocator detection, same placement, same uretprobes), attaches
 * programs that do nothing there and at the tracepoints leakscope uses by
 * default, and waits for SIGINT or SIGTERM.
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
#include "uprobe_multi.h"
#include "util.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

/* The same probes leakscope makes (src/probes.c): entries at the placed
 * offsets, returns sharing their breakpoints, as sessions where the kernel
 * has them (allocating functions, not wrappers). */
static int attach(struct noop_bpf *skel, const struct probe_plan *plan, pid_t pid, bool sessions,
		  int *fds, size_t *n)
{
	uint64_t offset, cookie = 0;
	size_t i;
	int fd;

	for (i = 0; i < plan->count; i++) {
		const struct probe_point *p = &plan->points[i];
		bool returns = probe_point__returns(p);
		bool session = sessions && probe_point__allocates(p);

		offset = p->offset + p->place.offset;
		fd = uprobe_multi__attach(
		    session ? skel->progs.noop_session : skel->progs.noop_entry, p->binary, &offset,
		    &cookie, 1, session ? UPROBE_MULTI_SESSION : UPROBE_MULTI_ENTRY, pid);
		if (fd < 0)
			return -1;
		fds[(*n)++] = fd;
		if (!returns || session)
			continue;
		fd = uprobe_multi__attach(skel->progs.noop_return, p->binary, &offset, &cookie, 1,
					  UPROBE_MULTI_RETURN, pid);
		if (fd < 0)
			return -1;
		fds[(*n)++] = fd;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool at_entry = argc > 1 && !strcmp(argv[1], "--probe-at-entry");
	bool sessions = uprobe_multi__have_sessions();
	struct target t = {.pidfd = -1, .release_fd = -1};
	struct probe_plan plan = {0};
	struct noop_bpf *skel = NULL;
	int *links = NULL;
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
	skel = noop_bpf__open();
	if (skel) {
		bpf_program__set_autoload(skel->progs.noop_session, sessions);
		uprobe_multi__prepare(skel->progs.noop_session, UPROBE_MULTI_SESSION);
		uprobe_multi__prepare(skel->progs.noop_entry, UPROBE_MULTI_ENTRY);
		uprobe_multi__prepare(skel->progs.noop_return, UPROBE_MULTI_RETURN);
		if (noop_bpf__load(skel)) {
			noop_bpf__destroy(skel);
			skel = NULL;
		}
	}
	links = calloc(2 * plan.count + 1, sizeof(*links));
	if (!skel || !links || attach(skel, &plan, t.pid, sessions, links, &n) ||
	    noop_bpf__attach(skel)) { /* the tracepoints */
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
		close(links[i]);
	free(links);
	noop_bpf__destroy(skel);
	allocator__free_plan(&plan);
	target__close(&t);
	return rc;
}
