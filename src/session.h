/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tracing session once the probes are in place: the traced processes,
 * the wait between reports, the reports, and following forks.
 */
#ifndef SESSION_H
#define SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec_follow.h"
#include "kind.h"
#include "report.h"

struct leakscope_bpf;
struct probe_plan;
struct probe_links;
struct ring_buffer;
struct target;
struct unwinder;
struct go_runtime;
struct leak_check;

struct session {
	const struct options *opt;
	struct target *target;
	struct leakscope_bpf *skel;
	const struct probe_plan *plan; /* attached again to each followed child */
	struct probe_links *links;
	struct go_runtime *go;		   /* the target's Go runtime, if it is Go */
	const volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM */

	struct report_process *procs; /* procs[0] is the target */
	size_t nprocs;
	struct proc_image {
		dev_t dev;
		ino_t ino;
		/* its maps read each second, its unwind tables loaded; -a
		 * sampled: only a process whose memory grew (a few of many,
		 * most short-lived: their tables would cost more than all
		 * the sampling) */
		bool close;
	} * images; /* what each of procs runs, to notice exec */
	struct attached_places places;
	struct unwinder *unwinder; /* unwind tables of what they map, NULL: none */
	struct ring_buffer *events;
	struct report_history history;
	struct verdicts *verdicts; /* growing, steady, shrinking per stack */
	FILE *json;		   /* --json, NULL: none */
	struct http_server *http;  /* --listen, NULL: none */
	struct pusher *push;	   /* --push, NULL: none */
	struct leak_check *check;  /* --check: decides from the final report */
	struct host_watch *watch;  /* -a sampled: RSS, escalation, budget; NULL: none */
	uint64_t start_ns;
	unsigned long reports;
	const char *missing; /* what the kernel refused and what is not traced */
};

/* What the kinds' stages work with, for this session. */
static inline struct kind_source session__source(const struct session *s)
{
	return (struct kind_source){
	    .skel = s->skel, .opt = s->opt, .go = s->go, .procs = s->procs, .nprocs = s->nprocs};
}

/* Starts watching (after attach, before a command is released). */
int session__start(struct session *s);
/* Reports until the target exits, -d or --count end, or a stop signal;
 * the final report is always printed. Returns the exit code. */
int session__run(struct session *s);
void session__close(struct session *s);

#endif /* SESSION_H */
