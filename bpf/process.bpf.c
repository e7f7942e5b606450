// SPDX-License-Identifier: GPL-2.0
/*
 * The traced processes, whatever kinds are traced: the session's event ring
 * buffer tells userspace of a new child to trace (--follow-forks: the
 * children of a traced process join the targets at their fork) and of an
 * exec (the new image's allocator is to be probed).
 */
#include "common.bpf.h"

const volatile bool follow_forks = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

static __always_inline void send_event(enum ls_event_type type, __u32 pid, __u32 parent)
{
	struct ls_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev)
		return; /* userspace notices exec and children when it polls */
	ev->type = type;
	ev->pid = pid;
	ev->parent = parent;
	ev->pad = 0;
	bpf_ringbuf_submit(ev, 0);
}

/* Loaded with --follow-forks only. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = parent->tgid, child_tgid = child->tgid;
	__u8 one = 1;

	if (!follow_forks || child_tgid == tgid || !is_target(tgid))
		return 0;
	if (bpf_map_update_elem(&targets, &child_tgid, &one, BPF_ANY) == 0)
		send_event(LS_EVENT_NEW_PROCESS, child_tgid, tgid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = current_tgid();

	if (is_target(tgid))
		send_event(LS_EVENT_EXEC, tgid, 0);
	return 0;
}
