/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between Go versions in the runtime that leakscope reads: one
 * row per range of Go versions, each read from real binaries of that range
 * (the row names them). A version without a row is not guessed at: its
 * goroutines and Go heap are not traced, and leakscope says so.
 */
#ifndef GO_VERSIONS_H
#define GO_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "details.h"

struct go_binary;

/* Registers of Go's ABI (1.17+) in argument order. */
enum go_reg { GO_RAX, GO_RBX, GO_RCX, GO_RDI, GO_RSI };

/* runtime timers as Go 1.18 to 1.22 keep them (in the Ps' heaps) */
struct go_timers {
	const char *add;	 /* (t = rax) */
	const char *mod;	 /* (t = rax, when, period, f = rdi, arg = rsi:r8, seq) */
	const char *del;	 /* (t = rax) */
	const char *run;	 /* (pp, t = rbx, now): fired */
	const char *ready;	 /* time.Sleep's timer function */
	unsigned period, status; /* runtime.timer.period, .status */
};

struct go_layout {
	int min, max;	     /* Go 1.min to 1.max */
	const char *checked; /* the binaries the row was read from */
	/* runtime functions probed (bpf/go.bpf.c) */
	const char *newproc1;	  /* (fn, callergp = rbx, callerpc): the creator */
	const char *newproc_call; /* the closure that calls it: its result, rax */
	const char *goexit;	  /* (gp = rax) */
	const char *mprof_malloc; /* the heap profile's sample */
	const char *free_special; /* (s = rax, p = rbx, size) at sweep */
	/* runtime.g */
	unsigned g_sched_sp, g_sched_bp;	/* g.sched.sp, g.sched.bp */
	unsigned g_status, g_waitreason;	/* g.atomicstatus, g.waitreason */
	unsigned creator_skip;			/* frames of systemstack's own */
	enum go_reg malloc_p;			/* mProf_Malloc's p; size is the next */
	unsigned special_kind, special_profile; /* special.kind, _KindSpecialProfile */
	const char *wait_reasons;		/* runtime.waitReasonStrings, '|'-separated */
	const struct go_timers *timers;		/* NULL: not known (why in the README) */
};

/* The row of Go 1.`minor`, NULL when leakscope does not know it. */
const struct go_layout *go_layout__find(int minor);
/* The versions of the table, e.g. "1.18-1.20, 1.22, 1.23, 1.26". */
const char *go_layout__known(void);
/* What wait reason `reason` (runtime.waitReason) is, in the row's terms. */
enum detail go_layout__wait_detail(const struct go_layout *l, unsigned reason);
/*
 * Compares the binary's own runtime.waitReasonStrings with the row's: 0 when
 * they are the same, -ENOENT when the binary's cannot be found, -EPROTO when
 * they differ (with `why` saying where).
 */
int go_layout__check(const struct go_layout *l, const struct go_binary *b, char *why, size_t len);

#endif /* GO_VERSIONS_H */
