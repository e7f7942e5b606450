// SPDX-License-Identifier: GPL-2.0
/*
 * Microbenchmark of the allocator calls leakscope probes: runs malloc/free
 * pairs for a fixed time and prints "ns/pair N".
 *
 *   mallocbench loop SECONDS   malloc(64) then free, one block live
 *   mallocbench mix SECONDS    a size mix (mostly small, some large) over a
 *                              working set of 1024 live blocks, so frees
 *                              come in a different order than allocations
 *   mallocbench new SECONDS    C++ new char[64] then delete[]: libstdc++'s
 *                              new[] calls new, which calls malloc, and
 *                              delete[] calls delete, which calls free
 *
 * With --wait it prints "ready" and starts on SIGUSR1, so a tracer can attach
 * to it first.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define SLOTS 1024
#define BATCH 1024

/* xorshift: the same sequence of sizes on every run */
static uint32_t next_random(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Sizes shaped like a server's: most under 128 B, a tail up to 64 KiB. */
static size_t mix_size(uint32_t *s)
{
	uint32_t r = next_random(s) % 100;

	if (r < 60)
		return 8 + next_random(s) % 120;
	if (r < 90)
		return 128 + next_random(s) % 896;
	if (r < 99)
		return 1024 + next_random(s) % 7168;
	return 8192 + next_random(s) % 57344;
}

/* Not inlined, so the compiler cannot drop a pair it sees as unused. */
__attribute__((noinline)) static void *touch(void *p)
{
	if (p)
		*(volatile char *)p = 1;
	return p;
}

/* operator new[](size_t) and operator delete[](void *), by their Itanium
 * C++ ABI names: C calls them as a C++ program's new[] and delete[] do. */
void *_Znam(size_t size);
void _ZdaPv(void *p);

static void malloc_pair(void)
{
	free(touch(malloc(64)));
}

static void new_pair(void)
{
	_ZdaPv(touch(_Znam(64)));
}

/* The same pair of calls again and again, one block live. */
static uint64_t run_pairs(uint64_t deadline, void (*pair)(void))
{
	uint64_t pairs = 0;
	int i;

	while (now_ns() < deadline) {
		for (i = 0; i < BATCH; i++)
			pair();
		pairs += BATCH;
	}
	return pairs;
}

static uint64_t run_mix(uint64_t deadline)
{
	static void *slot[SLOTS];
	uint32_t seed = 2463534242u;
	uint64_t pairs = 0;
	int i;

	while (now_ns() < deadline) {
		for (i = 0; i < BATCH; i++) {
			uint32_t k = next_random(&seed) % SLOTS;

			free(slot[k]);
			slot[k] = touch(malloc(mix_size(&seed)));
		}
		pairs += BATCH;
	}
	for (i = 0; i < SLOTS; i++)
		free(slot[i]);
	return pairs;
}

int main(int argc, char **argv)
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	uint64_t start, pairs;
	double seconds;

	if (argc - wait != 3 || (strcmp(argv[1 + wait], "loop") && strcmp(argv[1 + wait], "mix") &&
				 strcmp(argv[1 + wait], "new"))) {
		fprintf(stderr, "usage: mallocbench [--wait] loop|mix|new SECONDS\n");
		return 2;
	}
	seconds = atof(argv[2 + wait]);
	if (wait) {
		signal(SIGUSR1, on_usr1);
		printf("ready\n");
		fflush(stdout);
		while (!go)
			usleep(1000);
	}
	start = now_ns();
	if (!strcmp(argv[1 + wait], "loop"))
		pairs = run_pairs(start + seconds * 1e9, malloc_pair);
	else if (!strcmp(argv[1 + wait], "new"))
		pairs = run_pairs(start + seconds * 1e9, new_pair);
	else
		pairs = run_mix(start + seconds * 1e9);
	printf("ns/pair %.1f\n", (double)(now_ns() - start) / pairs);
	return 0;
}
