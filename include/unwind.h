/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unwind tables shared by userspace (src/unwind_table.c builds them from
 * .eh_frame/.debug_frame, src/unwinder.c loads them) and BPF
 * (bpf/unwind.bpf.h walks user stacks with them).
 *
 * All tables live in one array map of rows; each process has a sorted list of
 * its executable mappings, each pointing at its file's rows.
 */
#ifndef LEAKSCOPE_UNWIND_H
#define LEAKSCOPE_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Executable file mappings of one process that get tables. */
#define UNWIND_MAX_MAPPINGS 256

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

struct ls_unwind_mapping {
	__u64 start, end; /* [start, end) of the mapping */
	__u64 bias;	  /* a pc's row is the last one with row.pc <= pc - bias */
	__u32 first_row;  /* its file's table in the rows map ... */
	__u32 nrows;	  /* ... and its size; 0: walk by frame pointers */
};

/* Value of the per-process map (key: tgid): mappings sorted by start. */
struct ls_unwind_proc {
	__u32 count;
	__u32 pad;
	struct ls_unwind_mapping maps[UNWIND_MAX_MAPPINGS];
};

_Static_assert(sizeof(struct ls_unwind_row) == 8, "ls_unwind_row layout");
_Static_assert(sizeof(struct ls_unwind_mapping) == 32, "ls_unwind_mapping layout");

#endif /* LEAKSCOPE_UNWIND_H */
