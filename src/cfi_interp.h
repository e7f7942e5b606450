/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DW_CFA_* interpreter: a CIE's initial instructions, then an FDE's,
 * run into rows of cfi.h (the CFA, rbp's and the return address's rules
 * from each pc on). Used by cfi.c, which finds the entries.
 */
#ifndef CFI_INTERP_H
#define CFI_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfi.h"
#include "cfi_cursor.h"

/* What an FDE takes from its CIE. */
struct cfi_cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	bool has_aug_data; /* 'z' */
	bool debug_frame;
	const uint8_t *insns, *insns_end;
};

/* A growing array of rows, reused from one FDE to the next. */
struct cfi_rows {
	struct cfi_row *v;
	size_t n, cap;
};

/*
 * The rows of the FDE whose instructions are [insns->p, insns->end) for the
 * pcs [start, end): rows->v[0 .. rows->n), at least one. 0, -EINVAL (the
 * FDE is unusable) or -ENOMEM.
 */
int cfi_interp__fde(const struct cfi_cie *cie, const struct cfi_cursor *insns, uint64_t start,
		    uint64_t end, struct cfi_rows *rows);

#endif /* CFI_INTERP_H */
