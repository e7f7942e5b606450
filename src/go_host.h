/* SPDX-License-Identifier: GPL-2.0 */
/*
 * -a: the host's Go processes, each traced for goroutines and the Go heap
 * as -p traces one (src/go_runtime.c): those running at the start, found in
 * /proc, and those that exec a Go program later (BPF's exec events), each
 * with its own runtime's layout for the go programs (the go_layouts map)
 * and its own probes, let go when it exits.
 */
#ifndef GO_HOST_H
#define GO_HOST_H

#include <stdio.h>
#include <sys/types.h>

struct kind_source;

/* After load: traces the Go processes running now (nothing without -a);
 * once, whichever Go kind starts it. 0. */
int go_host__start(const struct kind_source *src);
/* Process `pid` exec'd: traced if it runs Go now. */
void go_host__exec(pid_t pid);
/* The processes that exited let go; heap sampling turned on in those whose
 * runtime has started since (a kind's tick: either Go kind's, once a
 * wake). */
void go_host__tick(const struct kind_source *src);
/* Every probe off, heap sampling back as it was. */
void go_host__stop(void);
/* -a's host line about Go: the processes traced, what their probes cost
 * (BPF run time, measured when src/host_watch.c has bpf_stats on); nothing
 * when `out` is NULL or no Go kind is traced. */
void go_host__report(FILE *out);
/* The Go minor version process `pid` runs (1.N), 0: not traced as Go. */
int go_host__minor(pid_t pid);

#endif /* GO_HOST_H */
