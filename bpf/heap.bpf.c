// SPDX-License-Identifier: GPL-2.0
/*
 * Heap blocks: uprobes on the allocator's entry points, a uretprobe on those
 * that return an address.
 *
 * Allocators call each other (operator new calls malloc, realloc may call
 * malloc and free, strdup calls malloc), and most library code keeps no frame
 * pointer, so both counting and stacks are decided at the API boundary: the
 * outermost probed call of a thread captures the stack, and the outermost
 * allocating call below it does the accounting; calls nested inside are
 * skipped. Nesting is told apart by the stack pointer, not by a depth counter,
 * so a call that never returns (longjmp, a C++ exception out of operator new)
 * cannot wedge a thread's state: the next call from a shallower frame resets
 * it.
 */
#include "common.bpf.h"
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load: only blocks in [min_size, max_size]. */
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;

/* What a thread is in the middle of; sp values are stack pointers at the
 * entry of the calls (the address of their return address). */
struct call_state {
	__u64 boundary_sp;  /* outermost probed call in progress, 0 = none */
	__u64 stack_id;	    /* its caller's stack */
	__u64 alloc_sp;	    /* allocating call whose result is awaited, 0 = none */
	__u64 size;	    /* its requested size */
	__u64 old_ptr;	    /* realloc: the block being resized */
	__u64 out_ptr;	    /* posix_memalign: where the result is stored */
	__u64 released_ptr; /* operator delete: the block it releases ... */
	__u64 released_sp;  /* ... and its entry sp, to skip the free inside */
	__u32 boundary_api;
	__u32 alloc_api;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_state);
} call_states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct ls_object_key);
	__type(value, struct ls_object);
} objects SEC(".maps");

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline struct call_state *call_state(int create)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct call_state *cs;

	cs = bpf_task_storage_get(&call_states, task, 0,
				  create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!cs && create)
		count(CNT_STATE_FULL);
	return cs;
}

/* The stack pointer the probed function had at its entry. */
static __always_inline __u64 entry_sp(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);

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

/* Entry of any API that may allocate: returns the thread's state, with the
 * boundary stack captured if this is the outermost call. */
static __always_inline struct call_state *enter(struct pt_regs *ctx, __u64 sp)
{
	struct call_state *cs = call_state(1);

	if (!cs)
		return NULL;
	forget_abandoned_calls(cs, sp);
	if (!cs->boundary_sp) {
		cs->boundary_sp = sp;
		cs->boundary_api = bpf_get_attach_cookie(ctx) & COOKIE_API_MASK;
		cs->stack_id = capture_user_stack(sp, PT_REGS_FP(ctx));
	}
	return cs;
}

static __always_inline void alloc_enter(struct pt_regs *ctx, __u64 size, __u64 old_ptr,
					__u64 out_ptr)
{
	__u64 sp = entry_sp(ctx);
	struct call_state *cs = enter(ctx, sp);

	if (!cs)
		return;
	if (cs->alloc_sp) {
		count(CNT_NESTED); /* e.g. malloc inside operator new */
		return;
	}
	cs->alloc_sp = sp;
	cs->alloc_api = bpf_get_attach_cookie(ctx) & COOKIE_API_MASK;
	cs->size = size;
	cs->old_ptr = old_ptr;
	cs->out_ptr = out_ptr;
}

static __always_inline void release(__u64 addr)
{
	struct ls_object_key key = {.addr = addr, .tgid = current_tgid()};
	struct ls_object *found = bpf_map_lookup_elem(&objects, &key);
	struct ls_object obj;

	if (!found) {
		count(CNT_UNKNOWN_FREES);
		return;
	}
	obj = *found;
	/* Whoever deletes it accounts for it, so a racing double free counts once. */
	if (bpf_map_delete_elem(&objects, &key))
		return;
	totals_sub(&obj.where, obj.size);
	count(CNT_FREES);
}

static __always_inline void record(__u64 addr, __u64 size, struct call_state *cs)
{
	struct ls_object_key key = {.addr = addr, .tgid = current_tgid()};
	struct ls_object obj = {};
	struct ls_totals *t;
	long err;

	if (size < min_size || size > max_size)
		return;
	obj.where.site.stack_id = cs->stack_id;
	obj.where.site.tgid = key.tgid;
	obj.where.site.kind = LS_KIND_HEAP;
	obj.where.site.api = cs->boundary_api;
	obj.size = size;
	t = totals_for(&obj.where);
	if (!t)
		return;
	err = bpf_map_update_elem(&objects, &key, &obj, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* The allocator handed out a live address: its free was missed
		 * (an unprobed path). Retire the old block first. */
		release(addr);
		err = bpf_map_update_elem(&objects, &key, &obj, BPF_NOEXIST);
	}
	if (err) {
		count(CNT_OBJECTS_FULL);
		return;
	}
	__sync_fetch_and_add(&t->bytes, size);
	__sync_fetch_and_add(&t->count, 1);
	count(CNT_ALLOCS);
}

static __always_inline void finish_alloc(struct call_state *cs, __u64 ret)
{
	__u64 addr = ret;

	switch (cs->alloc_api) {
	case LS_API_POSIX_MEMALIGN:
		if ((int)ret != 0 || bpf_probe_read_user(&addr, sizeof(addr), (void *)cs->out_ptr))
			return;
		break;
	case LS_API_REALLOC:
	case LS_API_REALLOCARRAY:
		/* realloc(p, 0) may free p and return NULL; a failed
		 * realloc(p, n) leaves p alone. */
		if (cs->old_ptr && (addr || cs->size == 0))
			release(cs->old_ptr);
		break;
	}
	if (addr)
		record(addr, cs->size, cs);
}

/* malloc, valloc, pvalloc, operator new and new[] (all overloads) */
SEC("uprobe")
int BPF_KPROBE(heap_alloc, __u64 size)
{
	alloc_enter(ctx, size, 0, 0);
	return 0;
}

/* aligned_alloc, memalign: (alignment, size) */
SEC("uprobe")
int BPF_KPROBE(heap_alloc_aligned, __u64 alignment, __u64 size)
{
	alloc_enter(ctx, size, 0, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(heap_calloc, __u64 nmemb, __u64 size)
{
	alloc_enter(ctx, nmemb * size, 0, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(heap_realloc, __u64 ptr, __u64 size)
{
	alloc_enter(ctx, size, ptr, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(heap_reallocarray, __u64 ptr, __u64 nmemb, __u64 size)
{
	alloc_enter(ctx, nmemb * size, ptr, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(heap_posix_memalign, __u64 memptr, __u64 alignment, __u64 size)
{
	alloc_enter(ctx, size, 0, memptr);
	return 0;
}

/* strdup, strndup: they allocate through malloc, but only their entry still
 * sees the caller's frame pointer chain. */
SEC("uprobe")
int BPF_KPROBE(heap_wrapper)
{
	enter(ctx, entry_sp(ctx));
	return 0;
}

/* free, operator delete and delete[] (all overloads): (ptr, ...) */
SEC("uprobe")
int BPF_KPROBE(heap_free, __u64 ptr)
{
	__u64 sp = entry_sp(ctx);
	struct call_state *cs;

	if (!ptr)
		return 0;
	cs = call_state(1);
	if (cs) {
		forget_abandoned_calls(cs, sp);
		if (cs->alloc_sp) {
			count(CNT_NESTED); /* inside realloc: it accounts */
			return 0;
		}
		/* <=: operator delete tail-calls free at the same sp */
		if (cs->released_ptr == ptr && sp <= cs->released_sp) {
			count(CNT_NESTED); /* the free inside operator delete */
			return 0;
		}
		cs->released_ptr = ptr;
		cs->released_sp = sp;
	}
	release(ptr);
	return 0;
}

/* Return of every allocating API and wrapper. */
SEC("uretprobe")
int BPF_KRETPROBE(heap_return, __u64 ret)
{
	struct call_state *cs = call_state(0);
	__u64 sp = PT_REGS_SP(ctx) - 8; /* the returning call's entry sp */

	if (!cs || !cs->boundary_sp)
		return 0;
	if (sp > cs->boundary_sp) { /* returned past an abandoned call */
		cs->boundary_sp = 0;
		cs->alloc_sp = 0;
		return 0;
	}
	if (cs->alloc_sp == sp) {
		finish_alloc(cs, ret);
		cs->alloc_sp = 0;
	}
	if (cs->boundary_sp == sp)
		cs->boundary_sp = 0;
	return 0;
}
