// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel allocations: the kmem and percpu tracepoints. A block is kept by
 * its address (a page by its struct page, a per-CPU block by its __percpu
 * pointer), without the process: it may be freed by another task, a
 * softirq or a kworker. Its site keeps the process that allocated it.
 *
 * Recorded only for traced processes; -a with no scope is the whole kernel
 * (kernel threads and interrupts included). The stack is the kernel stack
 * from the allocator's caller on, then, in a process, the user stack of
 * the system call it made: one stored stack, innermost first.
 *
 * The argument layouts are those of 6.1, 6.12 and 6.18 alike (checked in
 * their BTF); tp_btf reads them as the kernel passes them.
 */
#include "call_state.bpf.h"
#include "goroutine.bpf.h"

#define PF_KTHREAD 0x00200000
#define PAGE_SIZE  4096
/* frames searched for the allocator's caller (the tracepoint's call_site) */
#define KMEM_SCAN 8

/* Preallocated: an insert that allocated would be a kmalloc (through the
 * BPF allocator's refill) that this program records, and so on. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 18);
	__type(key, __u64);
	__type(value, struct ls_object);
} kmem_objects SEC(".maps");

/* Kernel stacks are at most this big (16 KiB, twice that with KASAN). */
#define THREAD_SIZE_MAX (32 * 1024)

/*
 * In a task, not an interrupt (whose allocations are not the task's: the
 * BPF allocator's own refills among them). Interrupts and softirqs run on
 * the CPU's own stack, not the task's: where this program's frame is tells.
 * (The preempt count would say it too, but it is a per-CPU variable, which
 * the kernel finds only with CONFIG_KALLSYMS_ALL; 6.12 moved it as well.)
 */
static __always_inline bool kmem_in_task(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 here = 0, frame = 0, stack = (__u64)task->stack;
	void *p = &here;

	/* the frame's address as a number (a privileged program may) */
	if (bpf_probe_read_kernel(&frame, sizeof(frame), &p))
		return true;
	return frame - stack < THREAD_SIZE_MAX;
}

/* -a with no cgroup or comm: interrupts are traced too */
static __always_inline bool kmem_whole_kernel(void)
{
	return host_mode && !host_cgroup && !host_comm[0];
}

/* The kernel stack, then the user frames appended (not the 512-byte stack). */
SCRATCH_MAP(kmem_stack_scratch, struct ls_stack);

/* The user stack of the current process's system call, 0: none (a kernel
 * thread). Through a probed libc wrapper when one is in progress. */
static __always_inline __u64 kmem_user_stack(__u32 tgid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	__u32 api = 0;
	__u64 id;

	if (task->flags & PF_KTHREAD)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	id = boundary_stack(LS_KIND_KMEM, BPF_CORE_READ(regs, sp), &api);
	if (id)
		return id;
	return capture_regs_stack(LS_KIND_KMEM, tgid, BPF_CORE_READ(regs, ip),
				  BPF_CORE_READ(regs, sp), BPF_CORE_READ(regs, bp),
				  goroutine_creator(BPF_CORE_READ(regs, r14)));
}

/*
 * The kernel stack in the scratch buffer (zeros after its last frame) from
 * frame `first` on, with the frames of stored user stack `user` (0: none)
 * after it, stored; its id in *id, 0 when lost. A global function: checked
 * once per program, apart.
 */
__noinline int kmem_stack_store(__u64 first, __u64 user, __u64 *id)
{
	__u32 zero = 0;
	struct ls_stack *st = bpf_map_lookup_elem(&kmem_stack_scratch, &zero);
	__u64 h = 0xcbf29ce484222325ULL;
	int i, n = 0;

	if (!st || !id)
		return 0;
	*id = 0;
	first &= 7; /* at most KMEM_SCAN - 1 */
	for (i = 0; i < MAX_STACK_DEPTH; i++) {
		__u64 j = i + first, ip = 0;

		if (j < MAX_STACK_DEPTH) {
			/* keep the mask the verifier needs */
			asm volatile("" : "+r"(j));
			ip = st->ips[j & (MAX_STACK_DEPTH - 1)];
		}
		st->ips[i & (MAX_STACK_DEPTH - 1)] = ip;
		if (!ip)
			break;
		h = hash_mix(h, ip);
		n++;
	}
	asm volatile("" : "+r"(n));
	if (n > MAX_STACK_DEPTH)
		return 0;
	n = append_parent(st, n, &h, user);
	if (n >= MAX_STACK_DEPTH)
		count(LS_KIND_KMEM, CNT_STACKS_TRUNCATED);
	else
		st->ips[n & (MAX_STACK_DEPTH - 1)] = 0;
	if (!h)
		h = 1;
	if (!bpf_map_lookup_elem(&stacks, &h) &&
	    bpf_map_update_elem(&stacks, &h, st, BPF_NOEXIST) == -E2BIG) {
		count(LS_KIND_KMEM, CNT_STACKS_FULL);
		return 0;
	}
	*id = h;
	return 0;
}

/*
 * Stores the kernel stack from the allocator's caller `call_site` (0: the
 * function that fired the tracepoint, past this program's frame and
 * bpf_trace_run*'s) with the user stack `user` after it; its id, 0 when
 * lost. One walk of the kernel stack (a walk costs more than the rest).
 */
static __always_inline __u64 kmem_stack(void *ctx, __u64 call_site, __u64 user)
{
	__u32 zero = 0;
	struct ls_stack *st = bpf_map_lookup_elem(&kmem_stack_scratch, &zero);
	__u64 first = 2, id = 0;
	long bytes;
	int i;

	if (!st)
		return 0;
	/* the rest of the buffer is zeroed by the helper */
	bytes = bpf_get_stack(ctx, st->ips, sizeof(st->ips), 0);
	if (bytes <= 0) {
		count(LS_KIND_KMEM, CNT_STACKS_EMPTY);
		return 0;
	}
	if (call_site)
		for (i = 0; i < KMEM_SCAN; i++)
			if (st->ips[i] == call_site)
				first = i;
	kmem_stack_store(first, user, &id);
	return id;
}

static __always_inline void kmem_release(__u64 addr)
{
	struct ls_object *found = bpf_map_lookup_elem(&kmem_objects, &addr);
	struct ls_object obj;

	/* most frees are of blocks of processes not traced: not counted */
	if (!found)
		return;
	obj = *found;
	if (bpf_map_delete_elem(&kmem_objects, &addr))
		return; /* a racing free accounted for it */
	totals_sub(&obj.where, obj.size, 1);
	count(LS_KIND_KMEM, CNT_RELEASED);
}

static __always_inline void kmem_acquired(void *ctx, __u64 addr, __u64 size, enum ls_api api,
					  __u64 call_site)
{
	__u32 tgid = current_tgid();
	struct ls_object obj = {.size = size};
	struct ls_totals *t;
	long err;

	bool task;

	if (!addr || !is_target(tgid))
		return;
	task = kmem_in_task();
	if (!task && !kmem_whole_kernel())
		return;
	obj.where.site.tgid = tgid;
	obj.where.site.kind = LS_KIND_KMEM;
	obj.where.site.api = api;
	obj.where.site.stack_id = kmem_stack(ctx, call_site, task ? kmem_user_stack(tgid) : 0);
	t = totals_for(&obj.where);
	if (!t)
		return;
	err = bpf_map_update_elem(&kmem_objects, &addr, &obj, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* handed out again: its free was missed (a bulk free) */
		kmem_release(addr);
		err = bpf_map_update_elem(&kmem_objects, &addr, &obj, BPF_NOEXIST);
	}
	if (err) {
		count(LS_KIND_KMEM, CNT_OBJECTS_FULL);
		return;
	}
	__sync_fetch_and_add(&t->bytes, size);
	__sync_fetch_and_add(&t->count, 1);
	count(LS_KIND_KMEM, CNT_ACQUIRED);
}

/*
 * Argument `i` of the tracepoint, a `void *`, as a number. 6.1's verifier
 * refuses to load a `void *` argument of a tp_btf program ("type UNKNOWN is
 * not a struct"; later kernels read it as a scalar): read from the array of
 * arguments as memory, it is the same number on every kernel. Arguments of
 * other types are read directly.
 */
static __always_inline __u64 kmem_ptr_arg(__u64 *ctx, int i)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), ctx + i);
	return v;
}

/* kmalloc(call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node) */
SEC("tp_btf/kmalloc")
int kmem_kmalloc(__u64 *ctx)
{
	kmem_acquired(ctx, kmem_ptr_arg(ctx, 1), ctx[3], LS_API_KMALLOC, ctx[0]);
	return 0;
}

/* kmem_cache_alloc(call_site, ptr, s, gfp_flags, node) */
SEC("tp_btf/kmem_cache_alloc")
int kmem_slab_alloc(__u64 *ctx)
{
	struct kmem_cache *s = (struct kmem_cache *)ctx[2];
	__u64 ptr = kmem_ptr_arg(ctx, 1);

	if (!ptr)
		return 0;
	kmem_acquired(ctx, ptr, BPF_CORE_READ(s, size), LS_API_KMEM_CACHE_ALLOC, ctx[0]);
	return 0;
}

/* kfree(call_site, ptr) */
SEC("tp_btf/kfree")
int kmem_kfree(__u64 *ctx)
{
	kmem_release(kmem_ptr_arg(ctx, 1));
	return 0;
}

/* kmem_cache_free(call_site, ptr, s) */
SEC("tp_btf/kmem_cache_free")
int kmem_slab_free(__u64 *ctx)
{
	kmem_release(kmem_ptr_arg(ctx, 1));
	return 0;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(kmem_page_alloc, struct page *page, unsigned int order)
{
	kmem_acquired(ctx, (__u64)page, (__u64)PAGE_SIZE << (order & 31), LS_API_PAGE_ALLOC, 0);
	return 0;
}

SEC("tp_btf/mm_page_free")
int BPF_PROG(kmem_page_free, struct page *page)
{
	kmem_release((__u64)page);
	return 0;
}

/* percpu_alloc_percpu(call_site, reserved, is_atomic, size, align,
 * base_addr, off, ptr, bytes_alloc, gfp_flags) */
SEC("tp_btf/percpu_alloc_percpu")
int kmem_percpu_alloc(__u64 *ctx)
{
	kmem_acquired(ctx, kmem_ptr_arg(ctx, 7), ctx[8], LS_API_PERCPU_ALLOC, ctx[0]);
	return 0;
}

/* percpu_free_percpu(base_addr, off, ptr) */
SEC("tp_btf/percpu_free_percpu")
int kmem_percpu_free(__u64 *ctx)
{
	kmem_release(kmem_ptr_arg(ctx, 2));
	return 0;
}
