// SPDX-License-Identifier: GPL-2.0
#include <capstone/capstone.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_code.h"
#include "go_elf.h"
#include "util.h"

static bool read_code(const struct go_binary *b, const char *fn, uint64_t *vaddr, uint8_t **code,
		      size_t *len)
{
	uint64_t size;

	if (go_binary__function(b, fn, vaddr, &size) || !size || size > 1 << 20)
		return false;
	*code = xcalloc(size, 1);
	*len = size;
	if (go_binary__read(b, *vaddr, *code, size)) {
		free(*code);
		return false;
	}
	return true;
}

/*
 * Where newproc1's result is first seen: the instruction after the call to
 * it in newproc's closure. No uretprobe on Go code, ever.
 */
uint64_t go_code__after_call(const struct go_binary *b, const char *caller, uint64_t callee)
{
	uint64_t vaddr, found = 0;
	cs_insn *insn = NULL;
	uint8_t *code;
	size_t len, n;
	csh cs;

	if (!read_code(b, caller, &vaddr, &code, &len))
		return 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) == CS_ERR_OK) {
		n = cs_disasm(cs, code, len, vaddr, 0, &insn);
		for (size_t i = 0; i + 1 < n && !found; i++)
			if (insn[i].id == X86_INS_CALL &&
			    strtoull(insn[i].op_str, NULL, 0) == callee)
				found = insn[i + 1].address;
		cs_free(insn, n);
		cs_close(&cs);
	}
	free(code);
	return found;
}

/*
 * runtime.MemProfileRate without a symbol table: runtime.profilealloc
 * inlines nextSample(), whose first test is `MemProfileRate == 1`: the
 * rip-relative load that a `cmp reg, 1` follows.
 */
uint64_t go_code__mem_profile_rate(const struct go_binary *b)
{
	uint64_t vaddr, found = 0;
	cs_insn *insn = NULL;
	int64_t initial = 0;
	uint8_t *code;
	size_t len, n;
	csh cs;

	if (!go_binary__variable(b, "runtime.MemProfileRate", &vaddr))
		return vaddr;
	if (!read_code(b, "runtime.profilealloc", &vaddr, &code, &len))
		return 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) == CS_ERR_OK) {
		n = cs_disasm(cs, code, len, vaddr, 0, &insn);
		for (size_t i = 0; i + 1 < n && !found; i++) {
			const char *rip = strstr(insn[i].op_str, "qword ptr [rip + ");
			size_t j = i + 1;
			char want[64];

			if (strcmp(insn[i].mnemonic, "mov") || !rip ||
			    strchr(insn[i].op_str, ',') > rip)
				continue;
			snprintf(want, sizeof(want), "%.*s, 1",
				 (int)(strchr(insn[i].op_str, ',') - insn[i].op_str),
				 insn[i].op_str);
			/* Go 1.26 tests `== 0` first: a few instructions on */
			while (j < n && j < i + 6 &&
			       (strcmp(insn[j].mnemonic, "cmp") || strcmp(insn[j].op_str, want)))
				j++;
			if (j < n && j < i + 6)
				found = insn[i].address + insn[i].size +
					strtoull(rip + strlen("qword ptr [rip + "), NULL, 0);
		}
		cs_free(insn, n);
		cs_close(&cs);
	}
	free(code);
	/* a variable: in .bss (Go 1.19 sets it at init), or in the file with
	 * its initial value, 512 KiB (1.20 and later) */
	if (found && (found % 8 || !go_binary__writable(b, found) ||
		      (!go_binary__read(b, found, &initial, sizeof(initial)) && initial != 524288)))
		found = 0;
	return found;
}

/*
 * runtime.waitReason.String: `cmp al, N` (the count), a `lea` of the string it
 * returns past the end, then the last `lea reg, [rip + X]`: the array of N
 * strings {ptr, len}.
 */
int go_code__wait_reasons(const struct go_binary *b, uint64_t *array, unsigned *count)
{
	uint64_t vaddr, size;
	cs_insn *insn = NULL;
	uint8_t code[128];
	size_t n;
	csh cs;

	*array = 0;
	*count = 0;
	if (go_binary__function(b, "runtime.waitReason.String", &vaddr, &size) || !size)
		return -ENOENT;
	size = size < sizeof(code) ? size : sizeof(code);
	if (go_binary__read(b, vaddr, code, size) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs))
		return -ENOENT;
	n = cs_disasm(cs, code, size, vaddr, 0, &insn);
	for (size_t i = 0; i < n; i++) {
		const char *rip = strstr(insn[i].op_str, "[rip + ");

		if (!*count && !strcmp(insn[i].mnemonic, "cmp") &&
		    !strncmp(insn[i].op_str, "al, ", 4))
			*count = (unsigned)strtoul(insn[i].op_str + 4, NULL, 0);
		else if (*count && !strcmp(insn[i].mnemonic, "lea") && rip)
			*array = insn[i].address + insn[i].size +
				 strtoull(rip + strlen("[rip + "), NULL, 0);
	}
	cs_free(insn, n);
	cs_close(&cs);
	return *array && *count && *count < 256 ? 0 : -ENOENT;
}
