// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: programs that do nothing, attached where leakscope
 * attaches its own (same offsets, same uretprobes). What they cost is the
 * price of the breakpoints alone, which no tracer using uprobes can avoid.
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
