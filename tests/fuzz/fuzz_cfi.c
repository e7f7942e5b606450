// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as .eh_frame, as .debug_frame and as
 * .eh_frame_hdr, through the CFI parser and the table builder.
 *
 *   make build/fuzz/fuzz_cfi && build/fuzz/fuzz_cfi tests/fuzz/corpus/cfi
 */
#include <stdint.h>
#include <stdlib.h>

#include "cfi.h"
#include "unwind_table.h"

static int check_fde(void *ctx, uint64_t start, uint64_t end, const struct cfi_row *rows, size_t n)
{
	(void)ctx;
	/* rows are inside their FDE, in order */
	if (!n || rows[0].pc != start || start >= end)
		abort();
	for (size_t i = 1; i < n; i++)
		if (rows[i].pc <= rows[i - 1].pc || rows[i].pc >= end)
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfi_section s = {data, size, 0x400000, false};
	struct unwind_table *t;
	struct cfi_hdr h;

	cfi__parse(&s, check_fde, NULL);
	t = unwind_table__build(&s, 1);
	if (t) {
		/* sorted, compact rows inside the table */
		for (size_t i = 1; i < t->nrows; i++)
			if (t->rows[i].pc <= t->rows[i - 1].pc)
				abort();
		for (size_t i = 1; i < t->ncompact; i++)
			if (t->compact[i].pc <= t->compact[i - 1].pc)
				abort();
		unwind_table__free(t);
	}
	s.debug_frame = true;
	cfi__parse(&s, check_fde, NULL);
	cfi__parse_hdr(data, size, 0x400000, &h);
	return 0;
}
