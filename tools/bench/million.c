// SPDX-License-Identifier: GPL-2.0
/*
 * One million outstanding heap blocks, for leakscope's own memory and report
 * latency: 1,000,000 blocks of 16 to 64 bytes from 1,000 distinct call
 * stacks, held until the process is killed. Prints
 * "ready" once they are all allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BLOCKS 1000000
#define STACKS 1000

static void **blocks;

/* Ten levels of calls through one of two functions each: the bits of
 * `site` choose the path, so each site is a different stack to a
 * frame-pointer walk. The empty asm keeps the calls from becoming jumps. */
static void step(int site, int level, int first);

__attribute__((noinline)) static void via_a(int site, int level, int first)
{
	step(site, level + 1, first);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void via_b(int site, int level, int first)
{
	step(site, level + 1, first);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void step(int site, int level, int first)
{
	int i;

	if (level == 10) {
		for (i = first; i < first + BLOCKS / STACKS; i++)
			blocks[i] = malloc(16 + i % 49);
		return;
	}
	if ((site >> level) & 1)
		via_a(site, level, first);
	else
		via_b(site, level, first);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	int s;

	blocks = malloc(BLOCKS * sizeof(*blocks));
	for (s = 0; s < STACKS; s++)
		step(s, 0, s * (BLOCKS / STACKS));
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
