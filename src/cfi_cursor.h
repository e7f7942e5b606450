/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bounded byte reader under the CFI parser (cfi.c) and its DW_CFA_*
 * interpreter (cfi_interp.c): fixed-width numbers, LEB128, DW_EH_PE_*
 * pointers and the length-prefixed entries of a frame section. A read past
 * the end marks the cursor bad and gives 0, so a run of reads is checked once.
 */
#ifndef CFI_CURSOR_H
#define CFI_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DW_EH_PE_* pointer encodings */
#define PE_OMIT	    0xff
#define PE_FORMAT   0x0f
#define PE_APPLY    0x70
#define PE_PCREL    0x10
#define PE_DATAREL  0x30
#define PE_ALIGNED  0x50
#define PE_INDIRECT 0x80

struct cfi_cursor {
	const uint8_t *p, *end;
	const uint8_t *base; /* data[0] of the section, loaded at vaddr */
	uint64_t vaddr;
	bool bad;
};

/* Whether n more bytes are there; marks c bad when not. */
bool cfi_cursor__need(struct cfi_cursor *c, size_t n);

/* A little-endian unsigned number of n bytes (n <= 8). */
uint64_t cfi_cursor__uint(struct cfi_cursor *c, size_t n);

uint64_t cfi_cursor__uleb(struct cfi_cursor *c);
int64_t cfi_cursor__sleb(struct cfi_cursor *c);

/* A pointer in encoding enc; `apply` false reads the value alone (pc_range).
 * Relative to data_base for DW_EH_PE_datarel. */
uint64_t cfi_cursor__encoded(struct cfi_cursor *c, uint8_t enc, bool apply, uint64_t data_base);

/* The entry (CIE or FDE) at c: its body after the length in *body, c moved
 * past it, *dwarf64 set by the length's form. False at a terminator (length
 * 0) or an entry that does not fit. */
bool cfi_cursor__entry(struct cfi_cursor *c, struct cfi_cursor *body, bool *dwarf64);

#endif /* CFI_CURSOR_H */
