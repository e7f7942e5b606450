/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One function to probe, as allocator.h plans it: which API it is, where it
 * is, where its entry probe goes, and what its probes must see.
 */
#ifndef PROBE_POINT_H
#define PROBE_POINT_H

#include <stdbool.h>
#include <stdint.h>

#include "leakscope.h"
#include "placement.h"

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

/* Whether a point's returns are seen too (every API but the releasing ones). */
bool probe_point__returns(const struct probe_point *p);

/* Whether a point's function allocates (its return gives the block): the
 * returning functions but the wrappers. Where the kernel has uprobe
 * sessions, both its ends are one session. */
bool probe_point__allocates(const struct probe_point *p);

/* Whether a point's function is known to call no other probed function: a
 * call of it that records nothing (--sample) can go without its return. */
bool probe_point__leaf(const struct probe_point *p);

#endif /* PROBE_POINT_H */
