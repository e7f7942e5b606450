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

#include <stdbool.h>
#include <stddef.h>
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
/* Whether -a traces Go processes (a Go kind is traced), and how many now. */
bool go_host__traced(size_t *nprocs);
/* The Go minor version process `pid` runs (1.N), 0: not traced as Go. */
int go_host__minor(pid_t pid);

#endif /* GO_HOST_H */
