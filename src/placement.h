/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where in a function to put its entry uprobe.
 *
 * A uprobe replaces one instruction with a breakpoint; after the handler the
 * kernel either emulates that instruction (push, jmp, jcc, call, nop: about
 * 1 µs per hit here) or copies it out and single-steps it (everything else:
 * about 16 µs). So the probe goes on the first instruction the kernel
 * emulates, as long as everything before it runs on every call, keeps the
 * registers the BPF program reads, and moves the stack pointer by amounts we
 * can undo (the attach cookie carries the difference).
 */
#ifndef PLACEMENT_H
#define PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Argument registers the entry program reads; rbp and rsp are always kept. */
#define PLACE_KEEP_RDI (1u << 0)
#define PLACE_KEEP_RSI (1u << 1)
#define PLACE_KEEP_RDX (1u << 2)

/* The largest sp difference the attach cookie can carry (COOKIE_SP_MASK). */
#define PLACE_MAX_SP_DELTA 255

enum placement_mode {
	PLACE_BEST,	    /* the first emulated instruction that is safe */
	PLACE_RETURN,	    /* as PLACE_BEST, before any move of the stack
			     * pointer: the function also has a uretprobe,
			     * which takes over the return address at [sp] */
	PLACE_ENTRY_FORCED, /* entry: --probe-at-entry */
};

struct placement {
	uint64_t offset;   /* of the probed instruction from the function start */
	uint32_t sp_delta; /* the entry's stack pointer minus the one there */
	bool emulated;	   /* the kernel emulates the probed instruction */
	char insn[64];	   /* the probed instruction, AT&T syntax */
	char why[224];	   /* one line for -v */
};

/*
 * Chooses the probe instruction in the machine code of one whole function
 * (`code`, `len` bytes, x86-64), the entry when nothing else is safe. Pure:
 * no I/O, so known prologues can be tested byte for byte.
 */
void placement__choose(const uint8_t *code, size_t len, unsigned keep, enum placement_mode mode,
		       struct placement *out);

/* The same for the function at file offset `offset`, `size` bytes long, of
 * the file at `path`; the entry when it cannot be read. */
void placement__for_function(const char *path, uint64_t offset, uint64_t size, unsigned keep,
			     enum placement_mode mode, struct placement *out);

#endif /* PLACEMENT_H */
