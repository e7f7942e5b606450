/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unwind tables shared by userspace (src/unwind_table.c builds them from
 * .eh_frame/.debug_frame, src/unwinder.c loads them) and BPF
 * (bpf/unwind.bpf.h walks user stacks with them).
 *
 * All tables live in one array map of rows; a map keyed by file (device,
 * inode) says where each file's rows are.
 */
#ifndef LEAKSCOPE_UNWIND_H
#define LEAKSCOPE_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* --unwind */
enum ls_unwind_mode {
	LS_UNWIND_FP = 0, /* frame pointers only */
	LS_UNWIND_DWARF,  /* tables for every file that has CFI */
	LS_UNWIND_AUTO,	  /* tables for files built without frame pointers */
};

/* How the caller's frame is found from a row (the CFA: the caller's sp). */
enum ls_unwind_cfa {
	LS_UW_NONE = 0, /* no usable rule: frame pointers are tried */
	LS_UW_RSP,	/* CFA = rsp + off */
	LS_UW_RBP,	/* CFA = rbp + off */
	LS_UW_PLT,	/* CFA = rsp + off, + 8 when (pc & 15) >= plt_lit */
	LS_UW_END,	/* the return address is undefined: the outermost frame */
};

/*
 * From pc (relative to the mapping's bias) on, until the next row: the CFA
 * is cfa_reg + 8 * cfa_off, the return address at CFA - 8, and rbp saved at
 * CFA + 8 * rbp_off (0: unchanged). For LS_UW_PLT, rbp_off is plt_lit.
 */
struct ls_unwind_row {
	__u32 pc;
	__u8 cfa; /* enum ls_unwind_cfa */
	__s8 rbp_off;
	__u16 cfa_off;
};

/* Key of the per-file map: the mapped file as the kernel knows it (the
 * device and inode /proc/PID/maps shows), so a process is covered from its
 * first instruction, whatever address its files are mapped at. */
struct ls_unwind_file_key {
	__u64 ino;
	__u32 dev; /* kernel encoding: major << 20 | minor */
	__u32 pad;
};

struct ls_unwind_file {
	__u32 first_row; /* its table in the rows map ... */
	__u32 nrows;	 /* ... and its size; 0: walk by frame pointers */
	/* row pc = pc - vm_start + vm_pgoff * 4096 + delta, for a pc in a
	 * mapping of the file starting at vm_start, file page vm_pgoff */
	__s64 delta;
};

/* The one entry of the unwind_config map, set before tracing starts. */
struct ls_unwind_config {
	__u32 tables;	  /* 0: frame pointers only (--unwind fp) */
	__u32 depth;	  /* frames per stack, at most MAX_STACK_DEPTH */
	__u32 generation; /* +1 with each file's table loaded: a stack
			   * walked before may walk further now */
	__u32 pad;
};

_Static_assert(sizeof(struct ls_unwind_row) == 8, "ls_unwind_row layout");
_Static_assert(sizeof(struct ls_unwind_file_key) == 16, "ls_unwind_file_key layout");
_Static_assert(sizeof(struct ls_unwind_file) == 16, "ls_unwind_file layout");

#endif /* LEAKSCOPE_UNWIND_H */
