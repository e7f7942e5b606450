// SPDX-License-Identifier: GPL-2.0
/*
 * Memory mappings: mmap, munmap, mremap and brk of traced processes, seen
 * at the system call's exit (only what succeeded). Each change goes to
 * userspace as a small event (include/mmap.h), in the order the calls
 * ended; src/kind_mmap.c keeps the ranges, splits them on a partial unmap
 * and moves them on mremap.
 *
 * A mapping made inside a probed allocator call (glibc's malloc maps large
 * blocks and grows its arena with brk) is the allocator's own: its API says
 * so, and its bytes are the heap kind's blocks already.
 */
#include "call_state.bpf.h"
#include "goroutine.bpf.h"
#include "mmap.h"

enum {
	NR_mmap = 9,
	NR_munmap = 11,
	NR_brk = 12,
	NR_mremap = 25,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} mmap_events SEC(".maps");

/* The stack and API of a mapping made now: inside a probed call, the
 * call's stack, and an allocator's call makes it the allocator's own. */
static __always_inline __u64 mmap_site(struct pt_regs *regs, __u32 tgid, __u16 *api)
{
	__u32 outer = LS_API_MAX;
	__u64 id = boundary_stack(LS_KIND_MMAP, regs->sp, &outer);

	if (outer <= LS_API_DELETE_ARRAY)
		*api = *api == LS_API_BRK ? LS_API_BRK_ALLOCATOR : LS_API_MMAP_ALLOCATOR;
	if (id)
		return id;
	return capture_regs_stack(LS_KIND_MMAP, tgid, regs->ip, regs->sp, regs->bp,
				  goroutine_creator(regs->r14));
}

static __always_inline void mmap_send(const struct ls_mmap_event *e)
{
	struct ls_mmap_event *ev = bpf_ringbuf_reserve(&mmap_events, sizeof(*ev), 0);

	if (!ev) {
		count(LS_KIND_MMAP, CNT_OBJECTS_FULL);
		return;
	}
	*ev = *e;
	bpf_ringbuf_submit(ev, 0);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(mmap_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	struct ls_mmap_event e = {};

	/* at the end of every system call on the machine: compares first */
	if (nr != NR_mmap && nr != NR_munmap && nr != NR_brk && nr != NR_mremap)
		return 0;
	if (ret < 0 && ret > -4096)
		return 0; /* failed */
	e.tgid = current_tgid();
	if (!is_target(e.tgid))
		return 0;
	e.gen = bpf_ktime_get_ns() >> GEN_SHIFT;
	switch (nr) {
	case NR_mmap:
		e.op = LS_MMAP_MAP;
		e.addr = ret;
		e.len = regs->si;
		e.api = LS_API_MMAP;
		break;
	case NR_munmap:
		e.op = LS_MMAP_UNMAP;
		e.addr = regs->di;
		e.len = regs->si;
		mmap_send(&e);
		return 0;
	case NR_mremap:
		/* mremap(old, old_len, new_len, flags, new_addr) */
		e.op = LS_MMAP_REMAP;
		e.addr = regs->di;
		e.len = regs->si;
		e.new_len = regs->dx;
		e.flags = regs->r10;
		e.new_addr = ret;
		e.api = LS_API_MREMAP;
		break;
	default: {
		struct task_struct *task = bpf_get_current_task_btf();

		e.op = LS_MMAP_BRK;
		e.addr = ret;
		e.new_addr = BPF_CORE_READ(task, mm, start_brk);
		e.api = LS_API_BRK;
		/* brk(0) and a failed brk return the break unchanged: the
		 * break is all userspace needs then, not a stack */
		if (!regs->di || regs->di != ret) {
			mmap_send(&e);
			return 0;
		}
		break;
	}
	}
	e.stack_id = mmap_site(regs, e.tgid, &e.api);
	mmap_send(&e);
	return 0;
}

/* A new image: the old one's mappings are gone. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(mmap_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ls_mmap_event e = {.op = LS_MMAP_EXEC};

	e.tgid = current_tgid();
	if (!is_target(e.tgid))
		return 0;
	mmap_send(&e);
	return 0;
}
