/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uprobe_multi links (kernel 6.6+): one BPF link puts a program at many
 * offsets of one file. Taking a link away waits for one RCU grace period
 * instead of one per probe (a hundred perf-event uprobes take seconds to
 * detach), and a hit skips the perf-event layer. Debian's libbpf 1.1 predates
 * them, so the link is created with the bpf() system call directly.
 */
#ifndef UPROBE_MULTI_H
#define UPROBE_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_program;

/* What a link runs its program at. */
enum uprobe_multi_kind {
	UPROBE_MULTI_ENTRY,
	UPROBE_MULTI_RETURN,
	/* Kernel 6.13+: at the entry and the return of each call, as one
	 * consumer; an entry that returns 1 declines the return, which then
	 * costs nothing (no return address taken over, no trap). */
	UPROBE_MULTI_SESSION,
};

/* Whether the kernel has uprobe sessions (6.13+). */
bool uprobe_multi__have_sessions(void);

/* Whether the kernel has uprobe_multi links (6.6+); without them each
 * offset is attached as a perf-event uprobe, one link each. */
bool uprobe_multi__have_links(void);

/* Before load: the program will be attached as `kind` with
 * uprobe_multi__attach(). */
void uprobe_multi__prepare(struct bpf_program *prog, enum uprobe_multi_kind kind);

/* Attaches `prog` at `cnt` file offsets of `path`, each with its cookie, as
 * `kind`, only for process `pid` (-1: every process). Returns the link's fd
 * (close it to detach) or -errno. */
int uprobe_multi__attach(const struct bpf_program *prog, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t cnt, enum uprobe_multi_kind kind,
			 pid_t pid);

#endif /* UPROBE_MULTI_H */
