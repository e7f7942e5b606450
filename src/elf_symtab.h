/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The function symbols of one ELF file (its .symtab and .dynsym, plus the
 * .symtab of a separate debug file when the file itself is stripped), its
 * build-id, and its PT_LOAD layout. Everything is copied out of libelf at
 * open time, so an elf_symtab holds no file descriptor or mapping.
 */
#ifndef ELF_SYMTAB_H
#define ELF_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "gopclntab.h"

struct elf_symtab;

/* Where separate debug files live; "/usr/lib/debug" unless overridden (tests). */
void elf_symtab__set_debug_root(const char *dir);

/* NULL + errno on failure (ENOEXEC: not a usable ELF file). */
struct elf_symtab *elf_symtab__open(const char *path);
/*
 * Read the ELF file open at fd (not taken over; the caller closes it). name is
 * the file's path as the process sees it: it is where .gnu_debuglink files are
 * searched, since fd may be a /proc/PID/map_files/... link.
 */
struct elf_symtab *elf_symtab__open_fd(int fd, const char *name);

/* Map a file offset (addr - start + offset from /proc/PID/maps) to the ELF vaddr. 0 or -ENOENT. */
int elf_symtab__offset_to_vaddr(const struct elf_symtab *s, uint64_t file_offset, uint64_t *vaddr);
/* The function containing vaddr and the offset into it; NULL if none. */
const char *elf_symtab__lookup(const struct elf_symtab *s, uint64_t vaddr,
			       uint64_t *offset_in_func);
/*
 * Go code (the file has a .gopclntab, with or without .symtab): up to `max`
 * frames at vaddr, the calls inlined there innermost first, then the
 * function containing it, each with its file:line; returns how many. 0 for
 * other code. The strings live as long as s.
 */
size_t elf_symtab__source(const struct elf_symtab *s, uint64_t vaddr, struct go_frame *out,
			  size_t max);
/* Lowercase hex, or NULL when the file has none. */
const char *elf_symtab__build_id(const struct elf_symtab *s);
size_t elf_symtab__symbol_count(const struct elf_symtab *s);
void elf_symtab__close(struct elf_symtab *s);

#endif /* ELF_SYMTAB_H */
