/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every module uses: errors, exit codes, time, sizes. */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes: one per class of failure, so scripts can tell them apart. */
enum ls_exit {
	LS_EXIT_OK = 0,
	LS_EXIT_FAILURE = 1,	/* anything not below (a bug, out of memory) */
	LS_EXIT_USAGE = 2,	/* bad option, bad number, conflicting options */
	LS_EXIT_NO_TARGET = 3,	/* no such process, kernel thread, exited, exec failed */
	LS_EXIT_PERMISSION = 4, /* not root, no CAP_BPF/CAP_PERFMON, BPF refused */
	LS_EXIT_KERNEL = 5,	/* a kernel feature leakscope needs is missing */
	LS_EXIT_ALLOCATOR = 6,	/* no allocator found in the target */
	LS_EXIT_OUTPUT = 7,	/* an output file cannot be written */
};

extern int ls_verbose;

/* One line on stderr, prefixed "leakscope: ". */
void ls_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, only with -v. */
void ls_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

uint64_t monotonic_ns(void);

/* "1.5 KiB", "10.0 MiB", "512 B" */
void format_bytes(uint64_t bytes, char *buf, size_t len);
/* "58 s", "12 min", "3.2 h" */
void format_age(uint64_t ns, char *buf, size_t len);

/* qsort/bsearch order of uint32_t values */
int cmp_u32(const void *a, const void *b);

/* The file name of a path: after its last '/', the whole when it has none. */
const char *path_base(const char *path);

/* Reads a whole (small, procfs) file; NULL on error with errno set. */
char *read_file(const char *path, size_t *len);
/* The name of process `pid` (the first line of /proc/PID/comm), malloc'd;
 * NULL when the process is gone. */
char *proc_comm(int pid);

#endif /* UTIL_H */
