/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kinds of Go's runtime (goroutine, go-heap, and those of their own
 * modules such as timer): which a traced program, or -a's Go processes, can
 * have.
 */
#ifndef GO_KINDS_H
#define GO_KINDS_H

#include <stdbool.h>

#include "leakscope.h"

struct go_runtime;

/* The kinds -a traces in every Go process (timers: -p and -- only). */
#define GO_HOST_KINDS (1u << LS_KIND_GOROUTINE | 1u << LS_KIND_GO_HEAP)

/* The bits of enum ls_kind of the Go runtime's kinds: goroutine, go-heap,
 * and the kinds whose modules name a go_missing hook (src/kind.h). */
unsigned int go_kinds__all(void);
/* Drops from `kinds` what the target cannot have: the Go kinds when it is not
 * Go, a Go kind its runtime's version cannot have (said in one line), the C
 * heap when it is static Go (no malloc). 0, or LS_EXIT_USAGE after a message
 * when nothing is left. `host` (-a): the Go processes found are each
 * traced for GO_HOST_KINDS. */
int go_kinds__select(const struct go_runtime *g, bool host, unsigned int *kinds);

#endif /* GO_KINDS_H */
