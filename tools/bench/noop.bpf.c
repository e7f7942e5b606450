// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: programs that do nothing, attached where leakscope
 * attaches its own (same offsets, same uretprobes, the same tracepoints).
 * What they cost is the price of the breakpoints and hooks alone, which no
 * tracer watching the same events can avoid: a program at sys_exit, for
 * one, sends every system call through the kernel's slow path, the
 * uretprobes' own return system call among them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int noop_entry(void *ctx)
{
	return 0;
}

SEC("uretprobe")
int noop_return(void *ctx)
{
	return 0;
}

/* an allocating function's entry and return, where leakscope uses a uprobe
 * session: 0 keeps the return */
SEC("uprobe")
int noop_session(void *ctx)
{
	return 0;
}

/* fds: the exit of every system call */
SEC("tp_btf/sys_exit")
int noop_sys_exit(void *ctx)
{
	return 0;
}

/* threads, --follow-forks, exec and exit of a traced process */
SEC("tp_btf/sched_process_fork")
int noop_fork(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int noop_exec(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int noop_exit(void *ctx)
{
	return 0;
}
