/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The symbol tables of mapped files, read once per file (device, inode) and
 * kept once per build-id, for every process's symbolizer.
 */
#ifndef SYMTAB_CACHE_H
#define SYMTAB_CACHE_H

#include "elf_symtab.h"
#include "proc_maps.h"

/* The table of file mapping `e` of process `pid`, read through the
 * process's view of its files (map_files, its root, the path); NULL when it
 * cannot be had or is no ELF file. */
struct elf_symtab *symtab_cache__of_mapping(int pid, const struct map_entry *e);
/* The table of the file of `e` (by device and inode) read before, or read
 * now from `path` when that is the file (NULL: none); *known gets a path it
 * was read from. NULL when neither. */
struct elf_symtab *symtab_cache__of_file(const struct map_entry *e, const char *path,
					 const char **known);
/* Frees every table. */
void symtab_cache__clear(void);

#endif /* SYMTAB_CACHE_H */
