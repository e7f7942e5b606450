// SPDX-License-Identifier: GPL-2.0
/*
 * Memory growth without a probe on the allocator: a sampled software perf
 * event, one per CPU, runs growth_fault on every Nth page fault (the
 * period, userspace's choice). A fault on anonymous memory that is not the
 * thread's stack is new memory a process touched: heap grown by brk, a new
 * mmap'd arena or block. It is counted to (process, user stack) in the
 * shared totals, scaled by the period: faults, and bytes as pages of 4 KiB.
 * Nothing is ever released: a stack that keeps faulting keeps touching new
 * memory, which is what the verdicts call growing.
 */
#include "stack.bpf.h"

/* Faults sampled but not counted (CNT_UNKNOWN_RELEASES, "not growth"): on
 * files or the stack, or in a vma the program could not look up. */
enum { SKIP_FILE = 0, SKIP_STACK, SKIP_NO_VMA, SKIP_MAX };

struct anon_check {
	__u64 stack; /* the process's first thread's stack, mm->start_stack */
	__u32 verdict;
};

static long anon_cb(struct task_struct *task, struct vm_area_struct *vma, struct anon_check *c)
{
	if (vma->vm_file)
		c->verdict = SKIP_FILE;
	else if (vma->vm_start <= c->stack && c->stack < vma->vm_end)
		c->verdict = SKIP_STACK;
	else
		c->verdict = SKIP_MAX; /* counted */
	return 0;
}

/*
 * Whether the fault came from user code (cs's privilege level). The context
 * is read in whole words, and without a CO-RE relocation: the kernel's
 * struct pt_regs made cs a u16 after 6.1, where it is a word, and libbpf
 * refuses to patch an 8-byte load of a field whose size differs. Its
 * offset is the same in both.
 */
static __always_inline bool user_mode(struct bpf_perf_event_data *ctx)
{
	return *(volatile __u64 *)((void *)ctx + __builtin_offsetof(struct pt_regs, cs)) & 3;
}

SEC("perf_event")
int growth_fault(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct anon_check c = {.verdict = SKIP_NO_VMA};
	struct ls_site site = {.kind = LS_KIND_GROWTH, .api = LS_API_PAGE_FAULT};
	__u64 ip, sp, bp, period = ctx->sample_period ? ctx->sample_period : 1;
	struct pt_regs *regs;
	struct ls_totals *t;
	struct ls_totals_key key;

	site.tgid = task->tgid;
	if (!task->mm || !is_target(site.tgid))
		return 0;
	/* a fault in the kernel (a read() into new memory): the user stack
	 * is where the system call was made */
	if (user_mode(ctx)) {
		ip = ctx->regs.ip;
		sp = ctx->regs.sp;
		bp = ctx->regs.bp;
	} else {
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		ip = BPF_CORE_READ(regs, ip);
		sp = BPF_CORE_READ(regs, sp);
		bp = BPF_CORE_READ(regs, bp);
	}
	site.stack_id = capture_regs_stack(LS_KIND_GROWTH, site.tgid, ip, sp, bp, 0);
	/* The stack first: bpf_find_vma() succeeds once per run here
	 * (vma_cache in unwind.bpf.h), and the walk needs it until its
	 * mappings are cached, which takes a few samples of a process's
	 * stacks; a sample whose check then cannot look up its vma is
	 * dropped (SKIP_NO_VMA). */
	c.stack = task->mm->start_stack;
	if (bpf_find_vma(task, ctx->addr, anon_cb, &c, 0) || c.verdict != SKIP_MAX) {
		count(LS_KIND_GROWTH, CNT_UNKNOWN_RELEASES);
		return 0;
	}
	/* one entry per stack, not one per age generation (totals_for):
	 * nothing is released, an age says nothing */
	key.site = site;
	key.gen = 0;
	key.pad = 0;
	t = bpf_map_lookup_elem(&totals, &key);
	if (!t) {
		struct ls_totals zero = {};

		bpf_map_update_elem(&totals, &key, &zero, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&totals, &key);
	}
	if (!t) {
		count(LS_KIND_GROWTH, CNT_TOTALS_FULL);
		return 0;
	}
	__sync_fetch_and_add(&t->bytes, period * 4096);
	__sync_fetch_and_add(&t->count, period);
	count(LS_KIND_GROWTH, CNT_ACQUIRED);
	return 0;
}
