/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Go runtime of a traced program: which runtime functions to probe for
 * goroutines and the Go heap (bpf/go.bpf.c), turning the runtime's heap
 * sampling on (runtime.MemProfileRate) and back off, and what a goroutine is
 * waiting on.
 */
#ifndef GO_RUNTIME_H
#define GO_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "details.h"

struct go_layout;
struct leakscope_bpf;
struct bpf_link;
struct target;

/* MemProfileRate leakscope sets when a program has it off (pprof's default). */
#define GO_MEM_PROFILE_RATE 524288

enum go_probe {
	GO_NEWPROC1,	    /* entry: the creator's stack */
	GO_NEWPROC1_RESULT, /* after its call in runtime.newproc.func1: the new g */
	GO_GOEXIT0,
	GO_MPROF_MALLOC,
	GO_FREE_SPECIAL,
	GO_MAIN, /* main.main: sampling on in a started command */
	GO_PROBE_MAX,
};

struct go_runtime {
	bool is_go;
	char path[4096]; /* the executable, as seen from here */
	char version[32];
	int minor;			/* 19 for go1.19.x */
	const struct go_layout *layout; /* its row (go_versions.h); NULL: unknown */
	char unknown[192];		/* why there is none */
	bool stripped;			/* names come from .gopclntab */
	bool has_libc;			/* loads shared libraries (cgo): libc's malloc exists */
	uint64_t offsets[GO_PROBE_MAX]; /* file offsets, 0 = not found */
	uint64_t entry;			/* e_entry: how far a PIE was moved */
	uint64_t rate_vaddr;		/* runtime.MemProfileRate, 0 = not found */
	int64_t rate_main_delta;	/* rate_vaddr - main.main */
	/* -p: what was written through /proc/PID/mem */
	uint64_t rate_addr;
	int64_t rate_old;
	bool rate_written;
	struct bpf_link *links[GO_PROBE_MAX];
};

/* Whether the target runs Go, and where its runtime is; never fails. */
void go_runtime__open(struct go_runtime *g, const struct target *t);
/* Before load: what the go programs need, autoload off for the rest; `host`
 * (-a): loaded for the Go processes found later. */
void go_runtime__configure(struct go_runtime *g, struct leakscope_bpf *skel, unsigned int kinds,
			   bool spawned, bool host);
/* Writes process `pid`'s layout for the go programs and attaches the
 * probes in it; unless `spawned` (its runtime not started yet), turns heap
 * sampling on as -p does. 0 or LS_EXIT_*. */
int go_runtime__attach(struct go_runtime *g, struct leakscope_bpf *skel, pid_t pid,
		       unsigned int kinds, bool spawned);
/* A started command was released: it stops itself at main.main (the
 * go_main program); turn heap sampling on and let it go on. */
void go_runtime__started(struct go_runtime *g, struct leakscope_bpf *skel, pid_t pid);
/* -a, a process whose runtime may not have started: heap sampling on once
 * the runtime has turned it off (MemProfileRate 0, as -p finds it); true
 * when done or not to be done, false: look again later. */
bool go_runtime__rate_when_off(struct go_runtime *g, pid_t pid);
/* Heap sampling back as it was, probes off. */
void go_runtime__detach(struct go_runtime *g, pid_t pid);
/* The sampling rate in effect (bytes), 0 when not sampling. */
int64_t go_runtime__rate(const struct go_runtime *g);

/* What goroutine `gaddr` of `pid` waits on, for Go 1.`minor`; DETAIL_MAX
 * when it cannot be read or the version is not in the table. */
enum detail go_runtime__classify(int pid, uint64_t gaddr, int minor);
/* pprof's scaleHeapSample: sampled bytes and count to estimated ones. */
void go_runtime__scale(int64_t *bytes, int64_t *count, int64_t rate);

#endif /* GO_RUNTIME_H */
