/* SPDX-License-Identifier: GPL-2.0 */
/* Finding functions by name in an ELF file, for placing probes. */
#ifndef ELF_LOOKUP_H
#define ELF_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

/*
 * For each of `names`, the file offset of its definition in the ELF file at
 * `path` (a defined global or weak FUNC in .dynsym or .symtab), or 0 when the
 * file does not define it, and its size in bytes (st_size; 0 when unknown),
 * which probe placement needs to decode the whole function. `sizes` may be
 * NULL. Returns 0, or -errno when the file is not a readable ELF file.
 */
int elf_lookup__functions(const char *path, const char *const *names, size_t n, uint64_t *offsets,
			  uint64_t *sizes);

/* The PT_INTERP of an executable into `buf`; -ENOENT when it has none. */
int elf_lookup__interpreter(const char *path, char *buf, size_t len);

#endif /* ELF_LOOKUP_H */
