// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any bytes as a .gopclntab section (and as the gofunc
 * data its inline trees are read from), then lookups at pcs around every
 * function, frames with inlined calls, and a search by name.
 *
 *   make fuzz FUZZERS=gopclntab
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gopclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gopclntab *t = gopclntab__new(data, size, data, size);
	struct go_frame frames[8];
	uint64_t entry, len, off, base;

	if (!t)
		return 0;
	base = gopclntab__text_start(t);
	/* counted, not compared with base + 4096: near the top of the address
	 * space pc would wrap below it and loop forever */
	for (uint64_t i = 0, pc = base; i < 4096 / 61; i++, pc += 61) {
		gopclntab__lookup(t, pc, &off);
		gopclntab__frames(t, pc, frames, 8);
		gopclntab__frames(t, pc, frames, 1); /* no room for inlined calls */
	}
	if (gopclntab__find(t, "main.main", &entry, &len) == 0)
		gopclntab__frames(t, entry + len / 2, frames, 8);
	gopclntab__free(t);
	return 0;
}
