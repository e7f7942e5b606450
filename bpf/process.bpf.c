// SPDX-License-Identifier: GPL-2.0
/*
 * The traced processes, whatever kinds are traced: the session's event ring
 * buffer tells userspace of a new child to trace (--follow-forks: the
 * children of a traced process join the targets at their fork), of an exec
 * (the new image's allocator is to be probed) and of code mapped from a
 * file (a library: its maps are read before a short-lived program exits).
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

/* Where a mapping of a file is, for userspace's symbolizer. */
struct mapping {
	__u64 start, end, pgoff, ino;
	__u32 dev, found;
};

static long mapping_cb(struct task_struct *task, struct vm_area_struct *vma, struct mapping *m)
{
	struct file *f = vma->vm_file;

	if (!f)
		return 0;
	m->start = vma->vm_start;
	m->end = vma->vm_end;
	m->pgoff = vma->vm_pgoff;
	m->ino = f->f_inode->i_ino;
	m->dev = f->f_inode->i_sb->s_dev;
	m->found = 1;
	return 0;
}

static __always_inline void send_mapped(__u32 tgid, __u64 start, __u64 len, __u64 offset, __u64 ino,
					__u32 dev)
{
	struct ls_map_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev)
		return; /* the maps are read at the next look */
	ev->head = (struct ls_event){.type = LS_EVENT_MAPPED, .pid = tgid};
	ev->start = start;
	ev->len = len;
	ev->offset = offset;
	ev->ino = ino;
	ev->dev_major = dev >> 20; /* the kernel's MKDEV */
	ev->dev_minor = dev & 0xfffff;
	bpf_ringbuf_submit(ev, 0);
}

/* exec: the new image is probed; its code, mapped by the kernel and not by
 * an mmap call, is said as a mapping (a program may be gone before its
 * maps are read). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct mapping m = {};
	__u32 tgid = current_tgid();
	__u64 code;

	if (!is_target(tgid))
		return 0;
	send_event(LS_EVENT_EXEC, tgid, 0);
	code = BPF_CORE_READ(p, mm, start_code);
	if (!bpf_find_vma(p, code, mapping_cb, &m, 0) && m.found)
		send_mapped(tgid, m.start, m.end - m.start, m.pgoff << 12, m.ino, m.dev);
	return 0;
}

#define NR_mmap	  9
#define PROT_EXEC 0x4
#define MAP_ANON  0x20

/* The inode of fd `fd` of the current task: its number and device. */
static __always_inline int file_of_fd(int fd, __u64 *ino, __u32 *dev)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return -1;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return -1;
	*ino = BPF_CORE_READ(f, f_inode, i_ino);
	*dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	return 0;
}

/* Loaded unless -a. This runs at the end of every system call on the
 * machine: a compare before anything else. */
SEC("tp_btf/sys_exit")
int BPF_PROG(process_mapped, struct pt_regs *regs, long ret)
{
	__u32 tgid, dev;
	__u64 ino;

	if (regs->orig_ax != NR_mmap || !(regs->dx & PROT_EXEC) || (regs->r10 & MAP_ANON) ||
	    (unsigned long)ret >= -4095UL)
		return 0;
	tgid = current_tgid();
	if (!is_target(tgid) || file_of_fd(regs->r8, &ino, &dev))
		return 0;
	send_mapped(tgid, ret, regs->si, regs->r9, ino, dev);
	return 0;
}
