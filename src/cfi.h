/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Call frame information (.eh_frame, .debug_frame, .eh_frame_hdr) of x86-64
 * code, read into rows: from this pc on, the CFA is this register plus this
 * offset, rbp and the return address are found so. Pure functions over byte
 * buffers: any input is checked, none makes them crash or loop.
 */
#ifndef CFI_H
#define CFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DWARF register numbers of x86-64 */
#define CFI_REG_RBP 6
#define CFI_REG_RSP 7
#define CFI_REG_RA  16

enum cfi_cfa_kind {
	CFI_CFA_NONE = 0, /* no FDE covers the pc (the builder's gaps) */
	CFI_CFA_REG,	  /* CFA = reg + off */
	CFI_CFA_PLT,	  /* ld's PLT expression: rsp + off + ((pc & 15) >= plt_lit ? 8 : 0) */
	CFI_CFA_EXPR,	  /* any other expression: not followed */
};

/* How a register of the caller is recovered. */
enum cfi_rule_kind {
	CFI_RULE_SAME = 0, /* unchanged (also: never mentioned) */
	CFI_RULE_UNDEF,	   /* DW_CFA_undefined */
	CFI_RULE_OFFSET,   /* saved at CFA + off */
	CFI_RULE_VAL_OFFSET,
	CFI_RULE_REGISTER, /* in register reg */
	CFI_RULE_EXPR,
	CFI_RULE_VAL_EXPR,
};

struct cfi_rule {
	uint8_t kind; /* enum cfi_rule_kind */
	uint8_t reg;
	int64_t off;
};

struct cfi_row {
	uint64_t pc;
	uint8_t cfa_kind; /* enum cfi_cfa_kind */
	uint8_t cfa_reg;
	uint8_t plt_lit;
	int64_t cfa_off;
	struct cfi_rule rbp, ra;
};

struct cfi_section {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;	  /* where data[0] is loaded (for pc-relative pointers) */
	bool debug_frame; /* .debug_frame rules: CIE ids, absolute CIE offsets */
};

/* Called once per FDE with its rows, all in [start, end), rows[0].pc == start.
 * A non-zero return stops the parse and is returned. */
typedef int (*cfi_fde_fn)(void *ctx, uint64_t start, uint64_t end, const struct cfi_row *rows,
			  size_t nrows);

/* Every FDE of the section; those that cannot be read are skipped. Returns the
 * number of FDEs given to fn, or what fn returned, or -ENOMEM. */
int cfi__parse(const struct cfi_section *s, cfi_fde_fn fn, void *ctx);

/* .eh_frame_hdr: where .eh_frame is and how many FDEs its search table has. */
struct cfi_hdr {
	uint64_t eh_frame_vaddr;
	uint64_t fde_count; /* 0 when it has no table */
};

/* 0, or -EINVAL when data is no usable .eh_frame_hdr loaded at vaddr. */
int cfi__parse_hdr(const uint8_t *data, size_t size, uint64_t vaddr, struct cfi_hdr *out);

/* Two rows that unwind the same way (pc aside). */
bool cfi_row__same_rule(const struct cfi_row *a, const struct cfi_row *b);

#endif /* CFI_H */
