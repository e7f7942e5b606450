/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the bench workloads share: the go-ahead (SIGUSR1, sent once the
 * tracer is attached) and the clock they are timed by.
 */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif /* BENCH_CLOCK_H */
