/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Careful reading of untrusted ELF files with libelf, and finding the separate
 * debug file of a stripped one. Internal to elf_symtab.c; the rest of leakscope
 * uses struct elf_symtab.
 */
#ifndef ELF_FILE_H
#define ELF_FILE_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_FILE_BUILD_ID_MAX 64			      /* bytes; linkers emit 8, 16 or 20 */
#define ELF_FILE_BUILD_ID_LEN (2 * ELF_FILE_BUILD_ID_MAX + 1) /* as hex, with the NUL */

/* What a stripped file's .gnu_debuglink says about its debug file. */
struct elf_debuglink {
	char name[256]; /* "" when none */
	uint32_t crc;
};

/* Where separate debug files live; "/usr/lib/debug" by default, NULL restores it. */
void elf_file__set_debug_root(const char *dir);

/* An ELF handle on fd and the file's size, or NULL when it is not an ELF file. */
Elf *elf_file__begin(int fd, size_t *file_size);
/* Section data, inflated first when SHF_COMPRESSED; NULL when unusable. */
Elf_Data *elf_file__section_data(Elf_Scn *scn, size_t file_size);
/* NT_GNU_BUILD_ID as lowercase hex, "" when none. */
void elf_file__build_id(Elf *e, size_t file_size, char out[ELF_FILE_BUILD_ID_LEN]);
void elf_file__debuglink(Elf *e, size_t file_size, struct elf_debuglink *link);

/*
 * Offer the debug files of a stripped file to load(), best first, until it returns true: by
 * build-id under the debug root, then by debuglink name (CRC-checked) next to name, in .debug/
 * there, and under the debug root. A file with a different build-id is never offered. name is
 * the stripped file's path; true when some file was taken.
 */
bool elf_file__find_debug(const char *build_id, const char *name, const struct elf_debuglink *link,
			  bool (*load)(Elf *e, size_t file_size, void *ctx), void *ctx);

#endif /* ELF_FILE_H */
