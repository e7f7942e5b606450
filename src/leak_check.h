/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --check: run a command to its end and fail when it left leaks behind, as
 * LeakSanitizer fails a test binary and goleak a Go test. What each process
 * held when it exited (the final report) is a leak when:
 *
 *   - threads, goroutines: any still running or blocked (an exit is no
 *     release: bpf/thread.bpf.c);
 *   - fds: two or more left open at one stack (opened in a loop, a pipe or
 *     socketpair never closed); one fd a program keeps to its end (the
 *     directory it opens files in, a log) is not a leak;
 *   - any kind: a stack whose verdict was growing; heap and go-heap only
 *     then, not memory a program keeps until it exits (stdio buffers, a
 *     cache that levelled off);
 *
 * except what the runtime of the language made for itself (created in the
 * runtime, testing or os/signal packages of Go) and what the suppressions
 * say (src/suppress.h).
 */
#ifndef LEAK_CHECK_H
#define LEAK_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "leakscope.h"
#include "suppress.h"

/* The exit status when leaks were found: LeakSanitizer's. */
#define LS_EXIT_LEAKS 23

struct report;

struct leak {
	int pid;
	enum ls_kind kind;
	int64_t count, bytes;
	char what[96];	 /* "7 files /tmp/x/" */
	char stack[384]; /* "open <- open_leak <- main" */
	char where[160]; /* "main.go:42", "" */
};

struct leak_process {
	int pid;
	char comm[32];
	int exit_status; /* a wait status, -1: unknown */
	size_t leaks;
};

struct leak_check {
	struct suppressions rules;
	struct leak *leaks;
	size_t nleaks;
	struct leak_process *procs;
	size_t nprocs;
	size_t suppressed;
	size_t unjudged; /* stacks lost: nothing to name them by */
};

/* The built-in rules, then the file's and each --check-ignore; 0 or an
 * LS_EXIT_* code after a message. */
int leak_check__init(struct leak_check *c, const char *suppressions, const char *const *ignore,
		     size_t nignore);
/* Decides from the final report. */
void leak_check__evaluate(struct leak_check *c, const struct report *r);
/* One line per leak and a last line, on `out`. */
void leak_check__print(const struct leak_check *c, FILE *out);
/* JUnit XML: one test case per process, failed with its leaks; -errno. */
int leak_check__write_junit(const struct leak_check *c, const char *path);
/* The command's own status when it failed, LS_EXIT_LEAKS when it leaked,
 * else 0. `status` is the command's wait status, -1: unknown. */
int leak_check__exit_code(const struct leak_check *c, int status);
void leak_check__free(struct leak_check *c);

#endif /* LEAK_CHECK_H */
