/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One report: the rows of a moment with their symbolized stacks and the
 * counters, gathered once and handed to every printer.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "cli.h"
#include "details.h"
#include "leakscope.h"
#include "verdict.h"

struct snapshot;
struct symbolizer;

/* Where a frame is: its address (pprof's locations and mappings) and, for
 * Go code, its source line. */
struct report_loc {
	uint64_t addr;	      /* 0: none (the API frame, no symbolizer) */
	const char *path;     /* the mapped file; NULL: none */
	const char *build_id; /* hex; NULL: unknown */
	uint64_t start, limit, offset;
	const char *file; /* source file; NULL: unknown. Lives as long as the
			   * symbolizers' cache */
	int line;	  /* 0: unknown */
	bool inlined;	  /* a call inlined into the next frame (same addr) */
};

struct report_entry {
	struct site_row row;
	int64_t delta_bytes, delta_count; /* since the previous report */
	bool is_new;			  /* not in the previous report */
	char **frames;			  /* innermost first; frames[0] is the API */
	size_t nframes;
	struct report_loc *locs; /* parallel to frames; NULL: none (then no lines) */
	struct details details;	 /* fds: what they are; threads: what they do */
	struct verdict verdict;	 /* over the last reports (src/verdict.c) */
};

/* What one kind amounts to in a report. */
struct kind_summary {
	int64_t bytes, count;
	size_t stacks;
	uint64_t counters[CNT_MAX];
	int64_t rate; /* sampled: the rate; 0: exact */
};

/* A traced process: the target, and with --follow-forks its children. */
/* -a sampled: a process's memory, seen at each report (src/host_watch.c) */
struct proc_memory {
	bool known;	  /* read at least once */
	int64_t rss_anon; /* bytes */
	double rate;	  /* bytes/s since the previous report */
	unsigned streak;  /* reports in a row it grew */
	bool escalated;	  /* its heap was (or is being) traced exactly */
	/* what the fault sampling cost it, estimated: its sampled faults on
	 * new memory times the sampling program's mean run time */
	uint64_t sampling_ns;
	/* while its heap is traced exactly: the window and its cost */
	bool exact_now;
	double window_s, window_len;
	uint64_t probe_hits, bpf_ns, traps_ns; /* traps: estimated */
	double cpu_share;		       /* of its own CPU time; < 0: unknown */
};

struct report_process {
	int pid;
	const char *comm;
	bool exited;
	int exit_status; /* a wait status; -1 when unknown (not our child) */
	struct symbolizer *symbolizer;
	/* per kind: held, but never seen acquired (fds open before tracing);
	 * -1: unknown */
	int preexisting[LS_KIND_MAX];
	int go_minor; /* runs Go 1.N (its goroutines' layout); 0: not Go */
	char *cgroup; /* -a: its cgroup v2 path ("/system.slice/x"); NULL: not read */
	struct proc_memory memory;
};

/* -a sampled: what leakscope has cost the host since it started */
struct host_cost {
	bool present;
	int ncpus;
	double budget;	/* --budget, % of all CPUs */
	double percent; /* the total below, % of all CPUs' time */
	double secs;
	uint64_t fault_period;
	uint64_t sampling_ns, sampling_runs; /* BPF, measured */
	unsigned windows;
	uint64_t exact_ns; /* windows: BPF measured + traps estimated ... */
	int trap_ns;	   /* ... at this much a probe hit */
	uint64_t self_ns;  /* leakscope's own process */
	/* the Go processes traced for goroutines and the Go heap, and their
	 * probes' cost: BPF measured, traps at trap_ns estimated */
	bool go;
	size_t go_processes;
	uint64_t go_bpf_ns, go_runs;
};

struct report {
	struct report_process *procs; /* procs[0] is the target */
	size_t nprocs;
	unsigned long seq; /* 1, 2, ... */
	bool final;
	uint64_t now_ns, traced_ns, since_prev_ns;
	unsigned int kinds;	      /* traced kinds: bit (1 << enum ls_kind) */
	struct report_entry *entries; /* by kind, then largest first */
	size_t count;
	struct kind_summary kind[LS_KIND_MAX];
	bool size_filtered; /* --min-size/--max-size: frees of skipped blocks look unknown */
	/* what the kernel refused and what is not traced; "" or NULL: nothing */
	const char *missing;
	struct host_cost host;
};

/* What the previous report held, to compute growth. */
struct report_history {
	struct site_row *rows; /* sorted by site */
	size_t count;
	uint64_t now_ns;
};

/* Where frame i of `e` is; all unknown (zeros) when the entry has no places. */
static inline const struct report_loc *report_entry__loc(const struct report_entry *e, size_t i)
{
	static const struct report_loc unknown;

	return e->locs ? &e->locs[i] : &unknown;
}

/* The process of `tgid` in the report, NULL when it is not one of them. */
static inline struct report_process *report__process(const struct report *r, uint32_t tgid)
{
	size_t i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == (int)tgid)
			return &r->procs[i];
	return NULL;
}
/*
 * Fills r's rows from `snap` for its processes (r->procs, r->nprocs set by
 * the caller): objects younger than `min_age_ns` left out, stacks
 * symbolized by each process's symbolizer (none: addresses), growth since
 * `history`, which then remembers this report.
 */
void report__build(struct report *r, const struct snapshot *snap, uint64_t min_age_ns,
		   struct report_history *history);
void report__free(struct report *r);
/* Keeps the entries `keep` accepts (in their order), frees the others. */
void report__keep(struct report *r, bool (*keep)(const struct report_entry *e));
void report_history__free(struct report_history *h);

/* Printers. */
void report_text__print(FILE *out, const struct report *r, const struct options *opt);
/* Rewrites `path` with the report's folded stacks; -errno on failure. */
int report_folded__write(const char *path, const struct report *r, enum folded_value value);
void report_folded__print(FILE *out, const struct report *r, enum folded_value value);
/* The Prometheus text exposition of r: per process and kind, no stacks. */
void report_prometheus__print(FILE *out, const struct report *r);
/* -a: the processes, ranked by growth, and those that exited. */
void report_host__print(FILE *out, const struct report *r, const struct options *opt);
/* -a sampled: what leakscope cost the host, and the processes whose
 * memory grows (those --top allows), one line each. */
void report_host__print_memory(FILE *out, const struct report *r, const struct options *opt);
/* One line of JSON per report (src/report_json.c). */
void report_json__print(FILE *out, const struct report *r);
/* A JSON string, quoted and escaped (invalid UTF-8 as U+FFFD). */
void json__string(FILE *out, const char *s);
/* A gzipped pprof profile of process `pid` in *out (malloc'd); 0 or -errno. */
int report_pprof__encode(const struct report *r, int pid, uint8_t **out, size_t *len);
/* Rewrites `path` with it (several processes: PATH.PID.pb.gz each); -errno. */
int report_pprof__write(const char *path, const struct report *r);

#endif /* REPORT_H */
