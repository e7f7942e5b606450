/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Go code's stacks go on with the stack that created their goroutine, as Go's
 * own "created by" lines: the goroutines are the ones bpf/go.bpf.c saw
 * starting, each with its creator's stack.
 */
#ifndef GOROUTINE_BPF_H
#define GOROUTINE_BPF_H

#include "common.bpf.h"

/*
 * The stack that created goroutine `g` of the current process, 0 when `g` is
 * not a goroutine seen starting (or not a g at all: code other than Go's
 * keeps anything in r14). Go code keeps the current g in r14. A global
 * function: its key is not on its callers' frames.
 */
__noinline __weak __u64 goroutine_creator(__u64 g)
{
	struct ls_object_key key = {
	    .id = g, .tgid = bpf_get_current_pid_tgid() >> 32, .kind = LS_KIND_GOROUTINE};
	struct ls_object *obj;

	if (!g || g > MAX_USER_ADDR)
		return 0;
	obj = bpf_map_lookup_elem(&goroutine_objects, &key);
	return obj ? obj->where.site.stack_id : 0;
}

#endif /* GOROUTINE_BPF_H */
