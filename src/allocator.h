/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which functions make up the target's allocator, and where they are: for
 * each allocator entry point, the first object in the target's symbol search
 * order that defines it, as the dynamic linker would bind it.
 */
#ifndef ALLOCATOR_H
#define ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakscope.h"
#include "probe_point.h"

struct target;

struct probe_plan {
	struct probe_point *points;
	size_t count;
	/* every object the target maps (a command: its load list), probed or
	 * not: their unwind tables are read before it runs */
	char **objects;
	size_t nobjects;
};

/*
 * Plans the uprobes of `t` for the kinds in `kinds` (bits of enum ls_kind):
 * the allocator, and the libc wrappers whose callers the fd and thread
 * stacks start from. `spec` is --allocator's "LIB[:PREFIX]" (NULL: detect).
 * Returns 0 or an LS_EXIT_* code after one line on stderr.
 */
int allocator__plan(const struct target *t, const char *spec, unsigned int kinds,
		    struct probe_plan *plan);
void allocator__free_plan(struct probe_plan *plan);

/* Decides where each point's entry probe goes (placement.h); `at_entry`:
 * always at the function's entry (--probe-at-entry). */
void allocator__place(struct probe_plan *plan, bool at_entry);

#endif /* ALLOCATOR_H */
