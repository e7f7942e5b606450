// SPDX-License-Identifier: GPL-2.0
/*
 * The soak target: churns malloc/free pairs over a working set of 4096 live
 * blocks (10,000 pairs, then a 10 ms pause, over and over), and leaks 1000
 * bytes each second of wall-clock time at soak_leak (10 x 100 B), however
 * fast tracing lets the churn go, for as long as it runs.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;
static void *slots[4096];

NOINLINE void soak_churn(unsigned int *seed)
{
	for (int i = 0; i < 10000; i++) {
		int k = rand_r(seed) % 4096;

		free(slots[k]);
		slots[k] = malloc(16 + rand_r(seed) % 4000);
	}
}

NOINLINE void soak_leak(void)
{
	for (int i = 0; i < 10; i++)
		sink = malloc(100);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	unsigned int seed = 1;
	double next_leak = now() + 1;

	for (;;) {
		soak_churn(&seed);
		while (now() >= next_leak) {
			soak_leak();
			next_leak += 1;
		}
		usleep(10 * 1000);
	}
}
