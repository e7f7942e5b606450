/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stack store: user stacks walked (unwind.bpf.h), recalled when a walk
 * from the same place would read the same words (stack_memo.bpf.h), hashed
 * and kept once in the stack map. Every stack taken is counted to the kind
 * of the object it is for: how its walk ended, or why it was lost.
 */
#ifndef STACK_BPF_H
#define STACK_BPF_H

#include "common.bpf.h"
#include "stack_memo.bpf.h"
#include "unwind.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct ls_stack);
} stacks SEC(".maps") __weak;

/* Appends stored stack `parent` to the first `n` frames of `st`, like Go's
 * "created by" lines; returns the new frame count. */
static __always_inline int append_parent(struct ls_stack *st, int n, __u64 *h, __u64 parent)
{
	struct ls_stack *p = parent ? bpf_map_lookup_elem(&stacks, &parent) : NULL;
	int i;

	if (!p)
		return n;
	for (i = 0; i < MAX_STACK_DEPTH; i++) {
		__u64 ip = p->ips[i];

		if (!ip || n >= MAX_STACK_DEPTH)
			break;
		st->ips[n & (MAX_STACK_DEPTH - 1)] = ip;
		*h = hash_mix(*h, ip);
		n++;
	}
	return n;
}

/*
 * Stores the user stack whose first frame is `first_ip` in the stack map
 * and returns its id, 0 when lost: the walk above `low_sp` with the unwind
 * tables (--unwind) or the frame records from `fp`, then the frames of
 * stored stack `parent` (0: none). A walk from the same place over the same
 * words is recalled instead (stack_memo.bpf.h). `kind_tgid` is the kind
 * (counters) << 32 | the process.
 *
 * A global function: the verifier checks it once per program, not at each
 * place a stack is taken, and its frame is not added to its callers'.
 */
__noinline __weak __u64 stack_store(__u64 kind_tgid, __u64 first_ip, __u64 low_sp, __u64 fp,
				    __u64 parent)
{
	enum ls_kind kind = kind_tgid >> 32;
	__u64 h = hash_mix(0xcbf29ce484222325ULL, first_ip);
	struct ls_stack *st = stack_scratch_buf();
	struct stack_memo *m = memo_in_progress();
	struct walk *w;
	__u32 walked;
	int n;

	if (!st || !m)
		return 0;
	m->key.tgid = (__u32)kind_tgid;
	m->key.pc = first_ip;
	m->key.sp = low_sp;
	m->key.parent = parent;
	m->key.generation = unwind_generation();
	if (memo_recall(m, fp)) {
		count_walk(kind, m->walk_status, m->walk_frames, m->frames);
		count(kind, CNT_STACKS_RECALLED);
		return m->stack_id;
	}
	memo_begin(m);
	st->ips[0] = first_ip;
	/* the frame of first_ip has sp low_sp + 8 (its return address's slot
	 * is at low_sp at a function entry) */
	w = unwind_walk(first_ip, low_sp + 8, fp, h);
	if (!w)
		return 0;
	h = w->h;
	walked = w->n > MAX_STACK_DEPTH ? MAX_STACK_DEPTH : w->n;
	/* what is indexed with n is masked: hide the range from the
	 * compiler, or it drops the masks the verifier needs */
	asm volatile("" : "+r"(walked));
	n = append_parent(st, walked, &h, parent);
	count_walk(kind, w->status, walked, n);
	if (n < MAX_STACK_DEPTH)
		st->ips[n & (MAX_STACK_DEPTH - 1)] = 0; /* readers stop here */
	if (!h)
		h = 1; /* 0 means "lost" */
	/* Looked up first: a stack is mostly stored already, and a lookup
	 * takes no lock. */
	if (!bpf_map_lookup_elem(&stacks, &h) &&
	    bpf_map_update_elem(&stacks, &h, st, BPF_NOEXIST) == -E2BIG) {
		count(kind, CNT_STACKS_FULL);
		return 0;
	}
	m->bp = fp;
	m->bp_used = w->start_bp_used;
	m->walk_status = w->status;
	m->walk_frames = walked;
	m->frames = n;
	memo_keep(m, h);
	return h;
}

/* The stack of a `kind` object of process `tgid` from its first frame. */
static __always_inline __u64 store_stack(enum ls_kind kind, __u32 tgid, __u64 first_ip,
					 __u64 low_sp, __u64 fp, __u64 parent)
{
	if (test_reject & (1u << kind))
		test_overflow_stack();
	return stack_store((__u64)kind << 32 | tgid, first_ip, low_sp, fp, parent);
}

/*
 * How the walk of the stack stack_store() last returned (not 0) on this CPU
 * ended: the memo in progress holds it, recalled or walked. For a stack
 * taken again for another kind's object without a walk (call_state.bpf.h).
 */
struct stack_outcome {
	__u8 status, walked, frames;
};

static __always_inline void last_stack_outcome(struct stack_outcome *o)
{
	struct stack_memo *m = memo_in_progress();

	o->status = m ? m->walk_status : WALK_LOST;
	o->walked = m ? m->walk_frames : 0;
	o->frames = m ? m->frames : 0;
}

/*
 * A stack taken earlier, whose walk ended with `status` after `walked`
 * frames (`frames` with its parent's), is taken again for an object of kind
 * `kind`: counted to that kind as a stack recalled, not walked again. A
 * global function: its counting adds nothing to its callers' frames.
 */
__noinline __weak int stack_counted_again(__u64 kind, __u64 status, __u64 walked, __u64 frames)
{
	count_walk(kind, status, walked, frames);
	count(kind, CNT_STACKS_RECALLED);
	return 0;
}

static __always_inline void count_stack_again(enum ls_kind kind, const struct stack_outcome *o)
{
	stack_counted_again(kind, o->status, o->walked, o->frames);
}

/* The user stack at a syscall or scheduler event: the interrupted
 * instruction at `ip` with registers `sp` and `bp`, then the frame records,
 * then stored stack `parent` (0: none). Complete only when the code that
 * made the call keeps frame pointers (Go, -fno-omit-frame-pointer builds)
 * or has unwind tables. */
static __always_inline __u64 capture_regs_stack(enum ls_kind kind, __u32 tgid, __u64 ip, __u64 sp,
						__u64 bp, __u64 parent)
{
	if (!ip) {
		count(kind, CNT_STACKS_EMPTY);
		return 0;
	}
	/* the interrupted frame's sp is sp: one slot above low_sp */
	return store_stack(kind, tgid, ip, sp - 8, bp, parent);
}

#endif /* STACK_BPF_H */
