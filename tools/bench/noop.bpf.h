/* SPDX-License-Identifier: GPL-2.0 */
/* The bench floors' programs (noop.bpf.c, noop_kmem.bpf.c): ones that do
 * nothing, to price the hooks alone. */
#ifndef NOOP_BPF_H
#define NOOP_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* A program that does nothing, at `sec`. */
#define NOOP(sec, name)                                                                            \
	SEC(sec)                                                                                   \
	int name(void *ctx)                                                                        \
	{                                                                                          \
		return 0;                                                                          \
	}

#endif /* NOOP_BPF_H */
