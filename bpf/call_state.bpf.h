/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread state of the probed API calls in progress, shared by the kinds
 * whose stacks are taken at the API boundary (heap, and the libc wrappers
 * that create fds and threads).
 *
 * Library code calls other probed functions (operator new calls malloc,
 * fopen calls malloc and open) and most of it keeps no frame pointer, so the
 * stack is captured at the outermost probed call of a thread: at its entry
 * the return address into the caller is at [sp] and rbp is still the
 * caller's frame. Nesting is told apart by the stack pointer, not by a depth
 * counter, so a call that never returns (longjmp, a C++ exception out of
 * operator new) cannot wedge a thread's state: the next call from a
 * shallower frame resets it.
 */
#ifndef CALL_STATE_BPF_H
#define CALL_STATE_BPF_H

#include "common.bpf.h"
#include "stack.bpf.h"

/* What a thread is in the middle of; sp values are stack pointers at the
 * entry of the calls (the address of their return address). */
struct call_state {
	__u64 boundary_sp; /* outermost probed call in progress, 0 = none */
	__u64 stack_id;	   /* its caller's stack, 0 = not walked yet */
	__u64 boundary_ip; /* the return address at its entry, and rbp there: */
	__u64 boundary_fp; /* the stack is walked from them when first needed */
	__u64 alloc_sp;	   /* allocating call whose result is awaited, 0 = none */
	__u64 size;	   /* its requested size */
	__u64 old_ptr;	   /* realloc: the block being resized */
	__u64 out_ptr;	   /* posix_memalign: where the result is stored */
	__u64 block_bytes; /* what its block will be recorded as (--sample): */
	__u32 block_count; /* blocks it stands for, 0 = not to be recorded */
	__u32 pad;
	__u64 released_ptr; /* operator delete: the block it releases ... */
	__u64 released_sp;  /* ... and its entry sp, to skip the free inside */
	__u32 boundary_api;
	__u32 alloc_api;
	/* The kinds stack_id was counted to (1 << kind), and how it was
	 * taken: counted the same to the next kind that takes it. */
	__u16 stack_kinds;
	struct stack_outcome stack_how;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_state);
} call_states SEC(".maps") __weak;

_Static_assert(LS_KIND_MAX <= 16, "call_state.stack_kinds holds a bit per kind");

/* The state of `task`, the current one (bpf_get_current_task_btf(), which
 * each program calls once: a helper call costs ~10 ns); NULL when it has
 * none. */
static __always_inline struct call_state *call_state(struct task_struct *task)
{
	return bpf_task_storage_get(&call_states, task, 0, 0);
}

/* The same, created if needed for a call of a `kind` API; NULL (counted to
 * that kind) when there is no room. */
static __always_inline struct call_state *call_state_create(struct task_struct *task,
							    enum ls_kind kind)
{
	struct call_state *cs;

	cs = bpf_task_storage_get(&call_states, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cs)
		count(kind, CNT_STATE_FULL);
	return cs;
}

/* The kind whose objects a probed API creates or releases (include/
 * leakscope.h lists each kind's APIs together). */
static __always_inline enum ls_kind api_kind(__u32 api)
{
	if (api >= LS_API_OPEN && api <= LS_API_RECVMSG)
		return LS_KIND_FD;
	if (api >= LS_API_PTHREAD_CREATE && api <= LS_API_CLONE)
		return LS_KIND_THREAD;
	if (api == LS_API_GO_NEWPROC)
		return LS_KIND_GOROUTINE;
	if (api == LS_API_GO_MALLOC)
		return LS_KIND_GO_HEAP;
	return LS_KIND_HEAP;
}

/* The stack pointer the probed function had at its entry, from the probe's
 * attach cookie (read once per program: a helper call costs ~10 ns). */
static __always_inline __u64 entry_sp(struct pt_regs *ctx, __u64 cookie)
{
	return PT_REGS_SP(ctx) + ((cookie >> COOKIE_SP_SHIFT) & COOKIE_SP_MASK);
}

/* Where uretprobes redirect the return addresses they take over. */
static __always_inline __u64 uretprobe_trampoline(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
}

/*
 * A call entered at the same sp as an unfinished outer call is either a tail
 * call from it (glibc's reallocarray jumps to realloc) or a new call after
 * the outer one was left without returning. In a tail call the outer call's
 * uretprobe has already replaced the return address.
 */
static __always_inline bool is_tail_call(__u64 sp)
{
	__u64 ret;

	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)sp))
		return false;
	return ret == uretprobe_trampoline();
}

/* Drops calls a thread has left without their return being seen (longjmp,
 * a C++ exception out of operator new): `sp` is the entry sp of a new call. */
static __always_inline void forget_abandoned_calls(struct call_state *cs, __u64 sp)
{
	bool tail = (sp == cs->boundary_sp || sp == cs->alloc_sp) && is_tail_call(sp);

	if (cs->boundary_sp && (sp > cs->boundary_sp || (sp == cs->boundary_sp && !tail)))
		cs->boundary_sp = 0;
	if (cs->alloc_sp && (sp > cs->alloc_sp || (sp == cs->alloc_sp && !tail)))
		cs->alloc_sp = 0;
}

/* Entry of a probed API of `kind` at entry sp `sp` in a traced process:
 * the thread's state, with the calls it has left without returning
 * forgotten; NULL when it has none. */
static __always_inline struct call_state *thread_enter(struct task_struct *task, __u64 sp,
						       enum ls_kind kind)
{
	struct call_state *cs = call_state_create(task, kind);

	if (cs)
		forget_abandoned_calls(cs, sp);
	return cs;
}

/*
 * A call at entry sp `sp` whose return will be seen is the boundary when it
 * is the outermost (its stack: boundary_stack_id()).
 * `wrapper`: a call whose stack may be needed before it returns (fopen's by
 * the malloc and open inside it), so its return address is read now; an
 * allocator's own call needs it only when it returns, where the return's
 * registers have it (a read of user memory costs ~150 ns).
 */
static __always_inline void boundary_begin(struct pt_regs *ctx, struct call_state *cs, __u64 sp,
					   __u64 cookie, bool wrapper)
{
	if (cs->boundary_sp)
		return;
	cs->boundary_sp = sp;
	cs->boundary_api = cookie & COOKIE_API_MASK;
	/* Only the return address is read now: the kernel replaces it with
	 * its return trampoline once this program is done. */
	cs->stack_id = 0;
	cs->stack_kinds = 0;
	cs->boundary_fp = PT_REGS_FP(ctx);
	cs->boundary_ip = 0;
	if (wrapper) /* left 0 when unreadable */
		bpf_probe_read_user(&cs->boundary_ip, sizeof(cs->boundary_ip), (void *)sp);
}

/*
 * The boundary call's stack for a `kind` object, walked the first time
 * something needs it: with --sample most allocations never do. While the
 * call runs, the frames above its entry are as they were when it began.
 * The stack is counted once to each kind that takes it: fopen's to the heap
 * for its malloc and to fd for its open, whichever comes first.
 */
static __always_inline __u64 boundary_stack_id(struct call_state *cs, enum ls_kind kind, __u32 tgid)
{
	if (cs->stack_id) {
		if (!(cs->stack_kinds & (1u << kind))) {
			cs->stack_kinds |= 1u << kind;
			count_stack_again(kind, &cs->stack_how);
		}
		return cs->stack_id;
	}
	if (!cs->boundary_ip) {
		count(kind, CNT_STACKS_EMPTY);
		return 0;
	}
	cs->stack_id =
	    store_stack(kind, tgid, cs->boundary_ip, cs->boundary_sp, cs->boundary_fp, 0);
	if (cs->stack_id) {
		cs->stack_kinds = 1u << kind;
		last_stack_outcome(&cs->stack_how);
	}
	return cs->stack_id;
}

/*
 * The stack of the API call a syscall or scheduler event happens under, or
 * 0 when none is in progress: the event at user stack pointer `user_sp` is
 * inside a probed call when it is not above the call's entry.
 */
static __always_inline __u64 boundary_stack(enum ls_kind kind, __u64 user_sp, __u32 *api)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct call_state *cs = call_state(task);

	/* equal: a leaf wrapper (mov $nr, %eax; syscall) moves no sp */
	if (!cs || !cs->boundary_sp || user_sp > cs->boundary_sp)
		return 0;
	*api = cs->boundary_api;
	return boundary_stack_id(cs, kind, task->tgid);
}

#endif /* CALL_STATE_BPF_H */
