// SPDX-License-Identifier: GPL-2.0
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "placement.h"

/* Functions larger than this are not decoded: the entry is used. */
#define MAX_FUNCTION_BYTES (256 * 1024)
/* Instructions skipped at most before the search gives up. */
#define MAX_SKIPPED 24

/* Register families: a write to %edi or %dil changes %rdi too. */
enum { FAM_RDI = 1, FAM_RSI = 2, FAM_RDX = 4, FAM_RBP = 8, FAM_RSP = 16 };

static unsigned reg_family(unsigned reg)
{
	switch (reg) {
	case X86_REG_RDI:
	case X86_REG_EDI:
	case X86_REG_DI:
	case X86_REG_DIL:
		return FAM_RDI;
	case X86_REG_RSI:
	case X86_REG_ESI:
	case X86_REG_SI:
	case X86_REG_SIL:
		return FAM_RSI;
	case X86_REG_RDX:
	case X86_REG_EDX:
	case X86_REG_DX:
	case X86_REG_DL:
	case X86_REG_DH:
		return FAM_RDX;
	case X86_REG_RBP:
	case X86_REG_EBP:
	case X86_REG_BP:
	case X86_REG_BPL:
		return FAM_RBP;
	case X86_REG_RSP:
	case X86_REG_ESP:
	case X86_REG_SP:
	case X86_REG_SPL:
		return FAM_RSP;
	}
	return 0;
}

static const char *family_name(unsigned fam)
{
	return fam & FAM_RDI ? "%rdi" : fam & FAM_RSI ? "%rsi" : fam & FAM_RDX ? "%rdx" : "%rbp";
}

/*
 * What the x86 uprobe code of Linux 5.x/6.x emulates instead of
 * single-stepping (arch/x86/kernel/uprobes.c: branch_setup_xol_ops() and
 * push_setup_xol_ops()): a one-byte nop, push of a general register (with
 * REX.B for r8-r15), and relative jmp, call and jcc without prefixes.
 * Measured here: see the README's Performance section.
 */
static bool kernel_emulates(const cs_insn *i)
{
	const uint8_t *b = i->bytes;

	switch (i->size) {
	case 1:
		return b[0] == 0x90 || (b[0] >= 0x50 && b[0] <= 0x57);
	case 2:
		return (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57) || b[0] == 0xeb ||
		       (b[0] >= 0x70 && b[0] <= 0x7f);
	case 5:
		return b[0] == 0xe8 || b[0] == 0xe9;
	case 6:
		return b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f;
	}
	return false;
}

static bool changes_control_flow(csh h, const cs_insn *i)
{
	static const unsigned groups[] = {X86_GRP_JUMP,	    X86_GRP_CALL, X86_GRP_RET,
					  X86_GRP_INT,	    X86_GRP_IRET, X86_GRP_BRANCH_RELATIVE,
					  X86_GRP_PRIVILEGE};
	size_t k;

	for (k = 0; k < sizeof(groups) / sizeof(groups[0]); k++)
		if (cs_insn_group(h, i, groups[k]))
			return true;
	switch (i->id) {
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_UD2:
	case X86_INS_HLT:
	case X86_INS_INT3:
	case X86_INS_INT:
	case X86_INS_INTO:
		return true;
	}
	return false;
}

/* The stack pointer change of an instruction that writes %rsp, when it is
 * one we can undo: push (8) or sub $imm,%rsp. -1 otherwise. */
static int sp_change(const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;
	int k;

	if (x->prefix[2] == 0x66)
		return -1; /* 16-bit push */
	if (i->id == X86_INS_PUSH)
		return 8;
	if (i->id != X86_INS_SUB || x->op_count != 2)
		return -1;
	for (k = 0; k < 2; k++)
		if (x->operands[k].type == X86_OP_REG && x->operands[k].reg == X86_REG_RSP &&
		    x->operands[1 - k].type == X86_OP_IMM && x->operands[1 - k].imm > 0 &&
		    x->operands[1 - k].imm <= PLACE_MAX_SP_DELTA)
			return x->operands[1 - k].imm;
	return -1;
}

/* A store to the entry's return address or above it (the caller's frame). */
static bool writes_above_entry_sp(const cs_insn *i, uint32_t delta)
{
	const cs_x86 *x = &i->detail->x86;
	int k;

	for (k = 0; k < x->op_count; k++) {
		const cs_x86_op *op = &x->operands[k];

		if (op->type == X86_OP_MEM && (op->access & CS_AC_WRITE) &&
		    op->mem.base == X86_REG_RSP && op->mem.disp >= (int64_t)delta)
			return true;
	}
	return false;
}

/*
 * Why the probe cannot move past `i` (NULL: it can, and *delta grew by its
 * stack pointer change). `keep` are the FAM_* the program reads.
 */
static const char *blocker(csh h, const cs_insn *i, unsigned keep, uint32_t max_delta,
			   uint32_t *delta, char *buf, size_t len)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0, k;
	int change = 0;

	if (changes_control_flow(h, i))
		return "changes control flow";
	if (cs_regs_access(h, i, rd, &nrd, wr, &nwr))
		return "cannot be analysed";
	for (k = 0; k < nwr; k++) {
		unsigned fam = reg_family(wr[k]);

		if (fam & keep & ~FAM_RSP) {
			snprintf(buf, len, "writes %s", family_name(fam));
			return buf;
		}
		if ((fam & FAM_RSP) && (change = sp_change(i)) < 0)
			return "moves %rsp by an amount not tracked";
	}
	if (writes_above_entry_sp(i, *delta))
		return "stores to the caller's frame";
	if (change && !max_delta)
		return "moves %rsp (the uretprobe needs the return address at [sp])";
	if (*delta + change > max_delta)
		return "moves %rsp too far";
	*delta += change;
	return NULL;
}

/* The lowest offset in (0, len) that a relative branch of the function
 * jumps to; len when none does. */
static uint64_t first_branch_target(csh h, const cs_insn *v, size_t n, uint64_t len)
{
	uint64_t low = len;
	size_t k;

	for (k = 0; k < n; k++) {
		const cs_x86 *x = &v[k].detail->x86;
		uint64_t t;

		if (!cs_insn_group(h, &v[k], X86_GRP_JUMP) &&
		    !cs_insn_group(h, &v[k], X86_GRP_CALL))
			continue;
		if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
			continue; /* indirect: leaves the function (tail call, PLT) */
		t = x->operands[0].imm;
		if (t > 0 && t < low)
			low = t;
	}
	return low;
}

static void set_insn(struct placement *out, const cs_insn *i)
{
	out->offset = i->address;
	out->emulated = kernel_emulates(i);
	snprintf(out->insn, sizeof(out->insn), "%.31s%s%.30s", i->mnemonic, i->op_str[0] ? " " : "",
		 i->op_str);
}

static unsigned keep_families(unsigned keep)
{
	return (keep & PLACE_KEEP_RDI ? FAM_RDI : 0) | (keep & PLACE_KEEP_RSI ? FAM_RSI : 0) |
	       (keep & PLACE_KEEP_RDX ? FAM_RDX : 0) | FAM_RBP | FAM_RSP;
}

/* `max_delta`: how far the stack pointer may have moved at the probe. */
static void search(csh h, const cs_insn *v, size_t n, size_t len, bool complete, unsigned keep,
		   uint32_t max_delta, struct placement *out)
{
	const char *entry_cost = out->emulated ? "emulated" : "single-stepped";
	uint64_t target = first_branch_target(h, v, n, len);
	uint32_t delta = 0;
	const char *why;
	char buf[64];
	size_t k;

	if (out->emulated) {
		snprintf(out->why, sizeof(out->why), "%s at +0: emulated",
			 cs_insn_name(h, v[0].id));
		return;
	}
	if (!complete) {
		snprintf(out->why, sizeof(out->why),
			 "entry: %s at +0 is %s; the function does not decode to its end",
			 cs_insn_name(h, v[0].id), entry_cost);
		return;
	}
	for (k = 0; k < n && k <= MAX_SKIPPED; k++) {
		if (k > 0 && v[k].address >= target) {
			snprintf(out->why, sizeof(out->why),
				 "entry: %s at +0 is single-stepped; a branch jumps to +%llu, "
				 "before any emulated instruction",
				 cs_insn_name(h, v[0].id), (unsigned long long)target);
			return;
		}
		if (kernel_emulates(&v[k])) {
			set_insn(out, &v[k]);
			out->sp_delta = delta;
			snprintf(out->why, sizeof(out->why),
				 "%s at +%llu: emulated; %s at +0 would be single-stepped",
				 cs_insn_name(h, v[k].id), (unsigned long long)v[k].address,
				 cs_insn_name(h, v[0].id));
			return;
		}
		why = blocker(h, &v[k], keep_families(keep), max_delta, &delta, buf, sizeof(buf));
		if (why && k == 0) {
			snprintf(out->why, sizeof(out->why),
				 "entry: %s at +0 is single-stepped and %s",
				 cs_insn_name(h, v[0].id), why);
			return;
		}
		if (why) {
			snprintf(out->why, sizeof(out->why),
				 "entry: %s at +0 is single-stepped; %s at +%llu %s",
				 cs_insn_name(h, v[0].id), cs_insn_name(h, v[k].id),
				 (unsigned long long)v[k].address, why);
			return;
		}
	}
	snprintf(out->why, sizeof(out->why),
		 "entry: %s at +0 is single-stepped; no emulated instruction in the first %zu",
		 cs_insn_name(h, v[0].id), k);
}

void placement__choose(const uint8_t *code, size_t len, unsigned keep, enum placement_mode mode,
		       struct placement *out)
{
	cs_insn *v = NULL;
	size_t n = 0, decoded = 0, k;
	csh h;

	memset(out, 0, sizeof(*out));
	snprintf(out->insn, sizeof(out->insn), "?");
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		snprintf(out->why, sizeof(out->why), "entry: no disassembler");
		return;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	if (len)
		n = cs_disasm(h, code, len, 0, 0, &v);
	for (k = 0; k < n; k++)
		decoded += v[k].size;
	if (!n) {
		snprintf(out->why, sizeof(out->why),
			 "entry: the first instruction does not decode");
	} else {
		set_insn(out, &v[0]);
		if (mode == PLACE_ENTRY_FORCED)
			snprintf(out->why, sizeof(out->why), "%s at +0: %s (--probe-at-entry)",
				 cs_insn_name(h, v[0].id),
				 out->emulated ? "emulated" : "single-stepped");
		else
			search(h, v, n, len, decoded == len, keep,
			       mode == PLACE_RETURN ? 0 : PLACE_MAX_SP_DELTA, out);
	}
	if (v)
		cs_free(v, n);
	cs_close(&h);
}

void placement__for_function(const char *path, uint64_t offset, uint64_t size, unsigned keep,
			     enum placement_mode mode, struct placement *out)
{
	/* Without a size the whole function cannot be checked for branches
	 * into its prologue: only the entry instruction is read. */
	size_t len = size && size <= MAX_FUNCTION_BYTES ? size : 16;
	enum placement_mode m = size && size <= MAX_FUNCTION_BYTES ? mode : PLACE_ENTRY_FORCED;
	uint8_t *code = malloc(len);
	ssize_t got = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && code)
		got = pread(fd, code, len, offset);
	if (fd >= 0)
		close(fd);
	placement__choose(code, got > 0 ? (size_t)got : 0, keep, m, out);
	if (m != mode && mode == PLACE_BEST)
		snprintf(out->why, sizeof(out->why), "entry: %s at +0 is %s; %s", out->insn,
			 out->emulated ? "emulated" : "single-stepped",
			 size ? "the function is too large to check" : "its symbol has no size");
	free(code);
}
