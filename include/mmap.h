/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The events of the mmap kind (bpf/mmap.bpf.c -> src/kind_mmap.c): each
 * change to a traced process's mappings, in the order its system calls
 * ended. Userspace keeps the ranges.
 */
#ifndef LS_MMAP_H
#define LS_MMAP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum ls_mmap_op {
	LS_MMAP_MAP = 1, /* [addr, addr + len) mapped (replacing what was there) */
	LS_MMAP_UNMAP,	 /* [addr, addr + len) unmapped */
	LS_MMAP_REMAP,	 /* [addr, addr + len) moved to [new_addr, new_addr + new_len) */
	LS_MMAP_BRK,	 /* the break is now addr; the heap starts at new_addr */
	LS_MMAP_EXEC,	 /* a new image: every mapping of the old one is gone */
};

/* mremap's flag: the old range stays mapped */
#define LS_MREMAP_DONTUNMAP 4

struct ls_mmap_event {
	__u64 addr, len;
	__u64 new_addr, new_len;
	__u64 stack_id; /* where it was made (map, remap, brk); 0: lost */
	__u32 tgid;
	__u32 gen;   /* when: CLOCK_MONOTONIC >> GEN_SHIFT */
	__u16 op;    /* enum ls_mmap_op */
	__u16 api;   /* enum ls_api: mmap, mremap, brk, or the allocator's own */
	__u32 flags; /* mremap's */
};

_Static_assert(sizeof(struct ls_mmap_event) == 56, "ls_mmap_event layout");

#endif /* LS_MMAP_H */
