// SPDX-License-Identifier: GPL-2.0
/*
 * Heap blocks: uprobes on the allocator's entry points, and the returns of
 * those that return an address (a uprobe session, or a uretprobe where the
 * kernel has none). The outermost probed call of a thread captures the stack
 * (call_state.bpf.h), the outermost allocating call below it does the
 * accounting, and allocator calls nested inside it (malloc inside operator
 * new, malloc and free inside realloc) are skipped.
 */
#include "call_state.bpf.h"
#include "heap_table.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load: only blocks in [min_size, max_size]. */
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
/* --sample: mean bytes between recorded blocks, 0 = record every block */
const volatile __u64 sample_bytes = 0;

static __always_inline void release(__u64 addr, __u32 tgid)
{
	count(LS_KIND_HEAP, heap_block_remove(addr, tgid) ? CNT_RELEASED : CNT_UNKNOWN_RELEASES);
}

/* The kernel's tick rate, from its config (libbpf reads it); 0 if unknown. */
extern int CONFIG_HZ __kconfig __weak;

/* CLOCK_MONOTONIC and jiffies at one moment: the first block's */
__u64 clock_base_ns, clock_base_jiffies;

/*
 * The age generation of a block allocated now. Reading the clock here costs
 * ~50 ns (the TSC, in a VM) and a generation is 2^30 ns, so it is counted in
 * ticks from a moment both clocks were read; jiffies follow CLOCK_MONOTONIC
 * tick for tick.
 */
static __always_inline __u32 current_gen(void)
{
	__u64 j;

	if (CONFIG_HZ <= 0)
		return bpf_ktime_get_ns() >> GEN_SHIFT;
	j = bpf_jiffies64();
	if (!clock_base_ns) { /* racing CPUs: a pair read at most µs apart */
		clock_base_jiffies = j;
		clock_base_ns = bpf_ktime_get_ns();
	}
	return (clock_base_ns + (j - clock_base_jiffies) * (1000000000ULL / CONFIG_HZ)) >>
	       GEN_SHIFT;
}

/* A number in [0, n), n <= 2^32. */
static __always_inline __u64 random_below(__u64 n)
{
	return ((__u64)bpf_get_prandom_u32() * n) >> 32;
}

/*
 * Size-weighted sampling, as tcmalloc's and Go's MemProfileRate: a block of
 * sample_bytes or more is always recorded, a smaller one with probability
 * size / sample_bytes. A recorded small block then stands for sample_bytes
 * bytes in sample_bytes / size blocks (rounded at random, so the expected
 * count is exact), which makes every total an unbiased estimate.
 */
static __always_inline bool sampled(__u64 size, __u64 *bytes, __u32 *count)
{
	*bytes = size;
	*count = 1;
	if (!sample_bytes || size >= sample_bytes)
		return true;
	*count = 0;
	if (random_below(sample_bytes) >= size) /* malloc(0) never: it holds nothing */
		return false;
	*bytes = sample_bytes;
	*count = sample_bytes / size + (random_below(size) < sample_bytes % size);
	return true;
}

/* Where an allocating call's arguments are: its heap_prog, in the cookie.
 * False for a cookie of no allocating function. */
static __always_inline bool alloc_args(struct pt_regs *ctx, __u64 cookie, __u64 *size,
				       __u64 *old_ptr, __u64 *out_ptr)
{
	*old_ptr = 0;
	*out_ptr = 0;
	switch ((cookie >> COOKIE_PROG_SHIFT) & COOKIE_PROG_MASK) {
	case PROG_ALLOC: /* malloc, valloc, pvalloc, operator new and new[] */
		*size = PT_REGS_PARM1(ctx);
		return true;
	case PROG_ALLOC_ALIGNED: /* aligned_alloc, memalign */
		*size = PT_REGS_PARM2(ctx);
		return true;
	case PROG_CALLOC:
		*size = PT_REGS_PARM1(ctx) * PT_REGS_PARM2(ctx);
		return true;
	case PROG_REALLOC:
		*old_ptr = PT_REGS_PARM1(ctx);
		*size = PT_REGS_PARM2(ctx);
		return true;
	case PROG_REALLOCARRAY:
		*old_ptr = PT_REGS_PARM1(ctx);
		*size = PT_REGS_PARM2(ctx) * PT_REGS_PARM3(ctx);
		return true;
	case PROG_POSIX_MEMALIGN:
		*out_ptr = PT_REGS_PARM1(ctx);
		*size = PT_REGS_PARM3(ctx);
		return true;
	}
	return false;
}

/*
 * Entry of an allocating call: true when its return is to be seen. It is
 * not for a call nested in one that accounts for it (malloc inside operator
 * new), nor for a leaf call that will record nothing (--sample, the size
 * filter): with a uprobe session that spares the return's trap and system
 * call, most of what a passed-over allocation would cost.
 */
static __always_inline bool alloc_enter(struct pt_regs *ctx, __u64 cookie)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 sp = entry_sp(ctx, cookie), size, old_ptr, out_ptr, bytes = 0;
	struct call_state *cs;
	__u32 blocks = 0;

	if (!alloc_args(ctx, cookie, &size, &old_ptr, &out_ptr) ||
	    (host_mode && !in_host_scope(task->tgid)))
		return false;
	if (size >= min_size && size <= max_size && !sampled(size, &bytes, &blocks))
		count(LS_KIND_HEAP, CNT_UNSAMPLED);
	/* A leaf that records nothing needs nothing of the thread's state,
	 * nested or not (realloc(p, n) may free p: seen at its return). */
	if (!blocks && !old_ptr && (cookie & COOKIE_LEAF))
		return false;
	cs = thread_enter(task, sp, LS_KIND_HEAP);
	if (!cs)
		return false;
	/* A release wrapper's inner free (operator delete -> free) comes
	 * before this thread allocates again: after an allocation, a free of
	 * the last address released is a new release of a reused block. */
	cs->released_ptr = 0;
	if (cs->alloc_sp) {
		count(LS_KIND_HEAP, CNT_NESTED); /* e.g. malloc inside operator new */
		return false;
	}
	boundary_begin(ctx, cs, sp, cookie, false);
	cs->alloc_sp = sp;
	cs->alloc_api = cookie & COOKIE_API_MASK;
	cs->size = size;
	cs->old_ptr = old_ptr;
	cs->out_ptr = out_ptr;
	cs->block_bytes = bytes;
	cs->block_count = blocks;
	return true;
}

/* Records block `addr` of the call `cs` is in, as sampled at its entry. */
static __always_inline void record(__u64 addr, struct call_state *cs, struct task_struct *task)
{
	struct ls_heap_block block = {.size = cs->block_bytes,
				      .count = cs->block_count,
				      .tgid = task->tgid,
				      .api = cs->boundary_api,
				      .image = task_image(task)};

	if (!block.count)
		return;
	/* walked only now: an allocation passed over costs no stack */
	block.stack_id = boundary_stack_id(cs, LS_KIND_HEAP, block.tgid);
	block.gen = current_gen();
	/* Handed out again while we think it is live: its free was missed
	 * (an unprobed path). The old block goes first. */
	if (heap_block_remove(addr, block.tgid))
		count(LS_KIND_HEAP, CNT_RELEASED);
	if (!heap_block_add(addr, &block)) {
		count(LS_KIND_HEAP, CNT_OBJECTS_FULL);
		return;
	}
	count(LS_KIND_HEAP, CNT_ACQUIRED);
}

static __always_inline void finish_alloc(struct call_state *cs, __u64 ret, struct task_struct *task)
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
			release(cs->old_ptr, task->tgid);
		break;
	}
	if (addr)
		record(addr, cs, task);
}

/* Entry of every allocating function (malloc, calloc, operator new...),
 * where the kernel has no uprobe sessions: heap_return sees every return. */
SEC("uprobe")
int BPF_KPROBE(heap_alloc)
{
	alloc_enter(ctx, bpf_get_attach_cookie(ctx));
	return 0;
}

/* strdup, strndup: they allocate through malloc, but only their entry still
 * sees the caller's frame pointer chain. The libc wrappers that create fds
 * and threads (fopen, socket, pthread_create...) come here too: the call
 * is the kind of its API's. */
SEC("uprobe")
int BPF_KPROBE(heap_wrapper)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), sp = entry_sp(ctx, cookie);
	struct task_struct *task = bpf_get_current_task_btf();
	struct call_state *cs;

	if (host_mode && !in_host_scope(task->tgid))
		return 0;
	cs = thread_enter(task, sp, api_kind(cookie & COOKIE_API_MASK));
	if (cs)
		boundary_begin(ctx, cs, sp, cookie, true);
	return 0;
}

/* free, operator delete and delete[] (all overloads): (ptr, ...) */
SEC("uprobe")
int BPF_KPROBE(heap_free, __u64 ptr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct call_state *cs;
	__u64 sp;

	if (!ptr || (host_mode && !in_host_scope(tgid)))
		return 0;
	/* --sample: most frees are of blocks never recorded, and nothing of
	 * the thread's state matters to them (the free inside an operator
	 * delete of a recorded block lands here too, counted with them) */
	if (heap_block_surely_absent(ptr, tgid)) {
		count(LS_KIND_HEAP, CNT_UNKNOWN_RELEASES);
		return 0;
	}
	sp = entry_sp(ctx, bpf_get_attach_cookie(ctx));
	cs = call_state_create(task, LS_KIND_HEAP);
	if (cs) {
		forget_abandoned_calls(cs, sp);
		if (cs->alloc_sp) {
			count(LS_KIND_HEAP, CNT_NESTED); /* inside realloc: it accounts */
			return 0;
		}
		/* <=: operator delete tail-calls free at the same sp */
		if (cs->released_ptr == ptr && sp <= cs->released_sp) {
			count(LS_KIND_HEAP, CNT_NESTED); /* the free inside operator delete */
			return 0;
		}
		cs->released_ptr = ptr;
		cs->released_sp = sp;
	}
	release(ptr, tgid);
	return 0;
}

/* Return of an allocating call or a wrapper. */
static __always_inline void call_return(struct pt_regs *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct call_state *cs = call_state(task);
	__u64 sp = PT_REGS_SP(ctx) - 8; /* the returning call's entry sp */

	if (!cs || !cs->boundary_sp)
		return;
	if (sp > cs->boundary_sp) { /* returned past an abandoned call */
		cs->boundary_sp = 0;
		cs->alloc_sp = 0;
		return;
	}
	/* the kernel has put the call's own return address back in ip */
	if (cs->boundary_sp == sp && !cs->boundary_ip)
		cs->boundary_ip = PT_REGS_IP(ctx);
	if (cs->alloc_sp == sp) {
		finish_alloc(cs, PT_REGS_RC(ctx), task);
		cs->alloc_sp = 0;
	}
	if (cs->boundary_sp == sp)
		cs->boundary_sp = 0;
}

/* Return of the wrappers, and of the allocating functions where the kernel
 * has no uprobe sessions. */
SEC("uretprobe")
int BPF_KRETPROBE(heap_return)
{
	call_return(ctx);
	return 0;
}

/* Uprobe sessions (kernel 6.13+): one program at the entry and the return
 * of a call, and the entry can decline the return. */
extern bool bpf_session_is_return(void) __ksym __weak;

/* Entry and return of every allocating function, as a uprobe session. */
SEC("uprobe")
int BPF_KPROBE(heap_alloc_session)
{
	if (bpf_session_is_return()) {
		call_return(ctx);
		return 0;
	}
	return alloc_enter(ctx, bpf_get_attach_cookie(ctx)) ? 0 : 1; /* 1: no return */
}

/* exec throws the old image's heap away: none of its blocks is outstanding
 * any more, and their addresses may be handed out again (a block allocated
 * again replaces the old one, see record()). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(heap_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;
	__u16 image = task_image(p);

	if (is_target(tgid))
		bpf_map_update_elem(&heap_images, &tgid, &image, BPF_ANY);
	return 0;
}
