// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "elf_lookup.h"

static Elf *open_elf(const char *path, int *fd)
{
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(*fd);
		errno = ENOEXEC;
		return NULL;
	}
	return elf;
}

/* Symbol tables may name versioned definitions "malloc@@GLIBC_2.2.5". */
static bool name_matches(const char *sym, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(sym, want, n) && (sym[n] == '\0' || sym[n] == '@');
}

static uint64_t vaddr_to_offset(Elf *elf, uint64_t vaddr)
{
	size_t i, phnum;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &phnum))
		return 0;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static void scan_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *const *names,
			 size_t n, uint64_t *offsets, uint64_t *sizes)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, k, count;
	GElf_Sym sym;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		const char *name;
		int bind;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		/* IFUNCs are resolvers, not the function itself. */
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		bind = GELF_ST_BIND(sym.st_info);
		if (bind != STB_GLOBAL && bind != STB_WEAK)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		for (k = 0; k < n; k++)
			if (!offsets[k] && name_matches(name, names[k])) {
				offsets[k] = vaddr_to_offset(elf, sym.st_value);
				if (sizes)
					sizes[k] = sym.st_size;
			}
	}
}

int elf_lookup__functions(const char *path, const char *const *names, size_t n, uint64_t *offsets,
			  uint64_t *sizes)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int fd;
	Elf *elf = open_elf(path, &fd);

	memset(offsets, 0, n * sizeof(*offsets));
	if (sizes)
		memset(sizes, 0, n * sizeof(*sizes));
	if (!elf)
		return -errno;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB)
			scan_symbols(elf, scn, &sh, names, n, offsets, sizes);
	}
	elf_end(elf);
	close(fd);
	return 0;
}

int elf_lookup__interpreter(const char *path, char *buf, size_t len)
{
	size_t i, phnum;
	GElf_Phdr ph;
	int fd, err = -ENOENT;
	Elf *elf = open_elf(path, &fd);

	if (!elf)
		return -errno;
	if (elf_getphdrnum(elf, &phnum))
		phnum = 0;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz > len ||
		    pread(fd, buf, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz) {
			err = -EINVAL;
			break;
		}
		buf[ph.p_filesz - 1] = '\0';
		err = 0;
		break;
	}
	elf_end(elf);
	close(fd);
	return err;
}
