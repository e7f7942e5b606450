/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the Go runtime's machine code says where no symbol does (stripped
 * binaries): read with capstone from the file, never from the process.
 */
#ifndef GO_CODE_H
#define GO_CODE_H

#include <stdint.h>

struct go_binary;

/* The address of the instruction after `caller`'s call to `callee` (where
 * the callee's result is first seen: no uretprobe on Go code); 0. */
uint64_t go_code__after_call(const struct go_binary *b, const char *caller, uint64_t callee);
/* runtime.MemProfileRate: the symbol, else the variable runtime.profilealloc
 * compares with 1; checked by its initial value (512 KiB). 0 when unknown. */
uint64_t go_code__mem_profile_rate(const struct go_binary *b);
/* runtime.waitReasonStrings (from runtime.waitReason.String): the array of
 * {ptr, len} and its count; 0 or -ENOENT. */
int go_code__wait_reasons(const struct go_binary *b, uint64_t *array, unsigned *count);

#endif /* GO_CODE_H */
