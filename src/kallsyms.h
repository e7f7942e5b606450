/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel addresses named from /proc/kallsyms (read once, on the first
 * kernel address): the symbolizer of the frames of kernel stacks.
 */
#ifndef KALLSYMS_H
#define KALLSYMS_H

#include <stdbool.h>
#include <stdint.h>

#include "symbolizer.h"

/* An address of the kernel half of the address space. */
static inline bool kallsyms__is_kernel(uint64_t addr)
{
	return addr >= 0xffff800000000000ULL;
}

/* Fills *out for return address `addr` (the call before it is looked up):
 * the function, module "[kernel]" (or the module's "[name]"), offset.
 * False when no symbol covers it (then out->function is NULL). */
bool kallsyms__resolve(uint64_t addr, struct frame *out);
/* Frees the table (tests, valgrind). */
void kallsyms__free(void);

#endif /* KALLSYMS_H */
