// SPDX-License-Identifier: GPL-2.0
/* Attaches the no-op kmem programs, prints "attached", waits for SIGINT. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "noop_kmem.skel.h"

static volatile sig_atomic_t stop;

static void on_int(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct noop_kmem_bpf *skel = noop_kmem_bpf__open_and_load();

	if (!skel || noop_kmem_bpf__attach(skel)) {
		fprintf(stderr, "noop_kmem: cannot attach\n");
		noop_kmem_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	noop_kmem_bpf__destroy(skel);
	return 0;
}
