// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: programs that do nothing, attached where leakscope
 * attaches its own (same offsets, same uretprobes, the same tracepoints).
 * What they cost is the price of the breakpoints and hooks alone, which no
 * tracer watching the same events can avoid: a program at sys_exit, for
 * one, sends every system call through the kernel's slow path, the
 * uretprobes' own return system call among them.
 */
#include "noop.bpf.h"

NOOP("uprobe", noop_entry)
NOOP("uretprobe", noop_return)
/* an allocating function's entry and return, where leakscope uses a uprobe
 * session: 0 keeps the return */
NOOP("uprobe", noop_session)
/* fds: the exit of every system call */
NOOP("tp_btf/sys_exit", noop_sys_exit)
/* threads, --follow-forks, exec and exit of a traced process */
NOOP("tp_btf/sched_process_fork", noop_fork)
NOOP("tp_btf/sched_process_exec", noop_exec)
NOOP("tp_btf/sched_process_exit", noop_exit)
