/* SPDX-License-Identifier: GPL-2.0 */
/* The command line: every option leakscope takes, parsed and validated. */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdint.h>

enum folded_value {
	FOLDED_BYTES,
	FOLDED_COUNT,
};

struct options {
	int pid;	 /* -p: attach to this process */
	char **command;	 /* after --: start this command */
	double interval; /* -i: seconds between reports */
	double duration; /* -d: seconds to trace, 0 = until the target exits */
	long count;	 /* --count: reports before exiting, 0 = no limit */
	int top;	 /* --top: stacks per report */
	double min_age;	 /* --min-age: only objects at least this old (s) */
	uint64_t min_size, max_size;
	const char *folded_path;
	enum folded_value folded_value;
	bool full_stacks;
	const char *allocator; /* --allocator LIB[:PREFIX], NULL: detect */
	bool probe_at_entry;   /* --probe-at-entry: no probe placement */
	uint64_t sample;       /* --sample: mean bytes between samples, 0 = exact */
	unsigned int kinds;    /* --kinds: bit (1 << enum ls_kind) */
	bool follow_forks;
	uint32_t max_objects, max_stacks, max_sites;
	int unwind;	       /* --unwind: enum ls_unwind_mode */
	uint32_t unwind_depth; /* --unwind-depth: frames per stack */
	uint32_t unwind_rows;  /* --unwind-rows: rows of all unwind tables */
	/* fleet mode (issue 7): verdicts and outputs */
	unsigned window;	/* --window: reports a verdict looks back over */
	bool leaks_only;	/* --leaks-only: only growing stacks */
	const char *json_path;	/* --json: a line per report, "-": stdout */
	const char *pprof_path; /* --pprof: gzipped pprof profiles */
	const char *listen;	/* --listen: serve /metrics, /pprof, /folded */
	const char *push;	/* --push: a Pyroscope server's URL */
	bool all;		/* -a: every process of the host */
	const char *cgroup;	/* --cgroup: only this cgroup v2 (implies -a) */
	const char *comm;	/* --comm: only processes of this name (implies -a) */
	bool sample_given;	/* --sample was given (-a samples by default) */
	bool kinds_given;	/* --kinds was given */
	/* -a (src/host_watch.h): page faults sampled, escalation to exact
	 * heap tracing of one process for a window; --host-exact: the
	 * allocator's uprobes in every process instead */
	bool host_exact;
	double budget;		 /* --budget: percent of the host's CPU time */
	uint64_t fault_period;	 /* --fault-period: a page fault in N is seen */
	unsigned escalate_after; /* --escalate-after: reports of growth, 0: never */
	double escalate_window;	 /* --escalate-window: seconds of exact tracing */
	bool interval_given;	 /* -i was given (--check looks every second) */
	/* --check (src/check.h): the command's leaks decide the exit status */
	bool check;
	const char *suppressions;  /* --suppressions FILE */
	const char **check_ignore; /* --check-ignore RULE, each (argv's strings) */
	size_t ncheck_ignore;
	const char *junit_path; /* --junit FILE */
};

/*
 * Fills `opt` from argv. Returns -1 when leakscope should go on, otherwise the
 * exit code (0 after --help, LS_EXIT_USAGE after a message on stderr).
 */
int cli__parse(int argc, char **argv, struct options *opt);
/* Frees what parsing allocated (whatever cli__parse returned). */
void cli__free(struct options *opt);

#endif /* CLI_H */
