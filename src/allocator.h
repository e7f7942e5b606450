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
#include "placement.h"

struct target;

struct api_function {
	const char *name;
	enum ls_api api;
	enum heap_prog prog;
	bool unprefixed;   /* C++ operators, libc helpers: never prefixed */
	enum ls_kind kind; /* traced only when this kind is */
};

/* One function to probe. */
struct probe_point {
	const struct api_function *fn;
	char symbol[64];	/* with prefix */
	char *binary;		/* path to attach to, as seen from here */
	uint64_t offset;	/* file offset of the function (its uretprobe) */
	uint64_t size;		/* of the function in bytes, 0 = unknown */
	struct placement place; /* its entry probe, from allocator__place() */
};

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

/* Whether a point's returns are seen too (every API but the releasing ones). */
bool probe_point__returns(const struct probe_point *p);

/* Whether a point's function allocates (its return gives the block): the
 * returning functions but the wrappers. Where the kernel has uprobe
 * sessions, both its ends are one session. */
bool probe_point__allocates(const struct probe_point *p);

/* Whether a point's function is known to call no other probed function: a
 * call of it that records nothing (--sample) can go without its return. */
bool probe_point__leaf(const struct probe_point *p);

#endif /* ALLOCATOR_H */
