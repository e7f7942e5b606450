// SPDX-License-Identifier: GPL-2.0
/*
 * Threads: a thread of a traced process is acquired when it is created
 * (sched_process_fork with a child in the same thread group) and released
 * when it exits. The stack is the creator's: the one captured by the
 * pthread_create uprobe when the program went through libc, else a
 * frame-pointer walk from the clone system call's user registers (in Go
 * code, on with its goroutine's creator).
 */
#include "call_state.bpf.h"
#include "goroutine.bpf.h"

SEC("tp_btf/sched_process_fork")
int BPF_PROG(thread_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = parent->tgid;
	struct pt_regs *regs;
	struct ls_site site = {.tgid = tgid, .kind = LS_KIND_THREAD};
	__u32 api = LS_API_CLONE;

	if (child->tgid != tgid || !is_target(tgid))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	site.stack_id = boundary_stack(LS_KIND_THREAD, BPF_CORE_READ(regs, sp), &api);
	if (!site.stack_id)
		site.stack_id = capture_regs_stack(LS_KIND_THREAD, tgid, BPF_CORE_READ(regs, ip),
						   BPF_CORE_READ(regs, sp), BPF_CORE_READ(regs, bp),
						   goroutine_creator(BPF_CORE_READ(regs, r14)));
	site.api = api;
	object_acquire(child->pid, 0, &site);
	return 0;
}

/* The threads a group exit (exit(), a fatal signal) ends, by tid (tgid << 32
 * | tid): the system call each was in, + 1 (0: none). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u32);
} thread_exit_calls SEC(".maps");

/* SIGNAL_GROUP_EXIT of include/linux/sched/signal.h: the whole process is
 * exiting (exit_group, a fatal signal), not this thread alone. */
#define SIGNAL_GROUP_EXIT 0x00000004

SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *p)
{
	__u64 key = (__u64)p->tgid << 32 | p->pid;
	struct pt_regs *regs;
	__u32 call;

	/* The main thread ending is the process ending, not a thread exit. */
	if (p->pid == p->tgid || !is_target(p->tgid))
		return 0;
	if (!(BPF_CORE_READ(p, signal, flags) & SIGNAL_GROUP_EXIT)) {
		object_release(LS_KIND_THREAD, p->tgid, p->pid);
		return 0;
	}
	/* Still running when its process exited: held at exit, not a release;
	 * what it was waiting in is the call the exit interrupted. */
	regs = (struct pt_regs *)bpf_task_pt_regs(p);
	call = BPF_CORE_READ(regs, orig_ax) + 1;
	bpf_map_update_elem(&thread_exit_calls, &key, &call, BPF_ANY);
	return 0;
}
