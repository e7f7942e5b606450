/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unwind table of one ELF file: its CFI rows (src/cfi.h) merged into one
 * sorted list over the whole file, gaps where no FDE is, and the compact rows
 * the BPF unwinder reads (include/unwind.h).
 */
#ifndef UNWIND_TABLE_H
#define UNWIND_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfi.h"
#include "elf_file.h"
#include "unwind.h"

#define UNWIND_TABLE_MAX_SEGMENTS 16

struct unwind_segment {
	uint64_t offset, vaddr, filesz; /* an executable PT_LOAD */
};

struct unwind_table {
	char build_id[ELF_FILE_BUILD_ID_LEN]; /* "" when none */
	/* merged rows, sorted by pc: each holds until the next; a CFI_CFA_NONE
	 * row starts a gap, the last row is one */
	struct cfi_row *rows;
	size_t nrows;
	size_t fdes, fp_fdes; /* FDEs, and those that set the CFA from rbp */
	bool has_fp;	      /* most functions keep a frame pointer (or Go code) */
	uint64_t base;	      /* compact row pc 0 is this vaddr */
	struct ls_unwind_row *compact;
	size_t ncompact;
	struct unwind_segment segs[UNWIND_TABLE_MAX_SEGMENTS];
	size_t nsegs;
};

/*
 * Builds a table from CFI sections (a pure function, for tests): where FDEs of
 * several overlap, the earlier section wins. NULL + errno (ENOENT: no FDE).
 */
struct unwind_table *unwind_table__build(const struct cfi_section *secs, size_t n);
/* The table of an ELF file: .eh_frame (through PT_GNU_EH_FRAME when it has no
 * section headers) and .debug_frame. NULL + errno. */
struct unwind_table *unwind_table__open_fd(int fd);
/* The vaddr of file offset `off` in an executable segment; false when none. */
bool unwind_table__offset_to_vaddr(const struct unwind_table *t, uint64_t off, uint64_t *vaddr);
void unwind_table__free(struct unwind_table *t);

#endif /* UNWIND_TABLE_H */
