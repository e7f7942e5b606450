/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The traced process: an existing one (-p) or a command leakscope starts and
 * holds just before exec until the probes are in place.
 */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	char comm[64];
	bool spawned;	/* started by leakscope: reap it */
	bool host;	/* -a: leakscope itself, standing in for every process */
	int pidfd;	/* readable when the process exits */
	int release_fd; /* spawned: writing here lets the child exec */
	char *exe;	/* spawned: the resolved program path */
	bool exited;
	int exit_status; /* wait status, when spawned and exited */
};

/* Each returns 0 or an LS_EXIT_* code after one line on stderr. */
int target__attach(struct target *t, pid_t pid);
int target__spawn(struct target *t, char **argv);
/* -a: leakscope's own process, whose default libraries (libc, libstdc++) are
 * the ones the host's processes map; it is never traced itself. */
int target__host(struct target *t);
/* Let a spawned child exec its command. */
int target__release(struct target *t);
/* Waits up to timeout_ms for the target to exit; true once it has. */
bool target__wait_exit(struct target *t, int timeout_ms);
/* A path under which the target's files are visible from here. */
void target__path(const struct target *t, const char *path, char *out, size_t len);
void target__close(struct target *t);

#endif /* TARGET_H */
