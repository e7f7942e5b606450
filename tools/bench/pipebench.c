// SPDX-License-Identifier: GPL-2.0
/*
 * A system-call-heavy workload for the kmem kind's cost: pipe() then close
 * of both ends, for a fixed time; prints "ns/pair N" (per pipe made and
 * closed: two kmallocs, two files, an inode and a dentry in the kernel).
 *
 *   pipebench [--wait] SECONDS
 *
 * With --wait it prints "ready" and starts on SIGUSR1, so a tracer can
 * attach to it first.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

int main(int argc, char **argv)
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	double secs = argc > 1 + wait ? atof(argv[1 + wait]) : 3;
	uint64_t start, end, n = 0;
	int p[2];

	if (wait) {
		signal(SIGUSR1, on_usr1);
		printf("ready\n");
		fflush(stdout);
		while (!go) /* not pause(): a signal before it would be missed */
			usleep(1000);
	}
	start = now_ns();
	end = start + (uint64_t)(secs * 1e9);
	do {
		for (int i = 0; i < 256; i++) {
			if (pipe(p))
				return 1;
			close(p[0]);
			close(p[1]);
		}
		n += 256;
	} while (now_ns() < end);
	printf("ns/pair %.0f\n", (double)(now_ns() - start) / n);
	return 0;
}
