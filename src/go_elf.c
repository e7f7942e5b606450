// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"
#include "go_elf.h"

/* moduledata.gofunc: after pcHeader, six slices, findfunctab, minpc, maxpc
 * and the text ... enoptrbss bounds (1.18-1.19), plus covctrs and ecovctrs
 * (1.20 and later), then end, gcdata, gcbss, types, etypes, rodata. */
#define MODULEDATA_GOFUNC_118 304
#define MODULEDATA_GOFUNC_120 320
#define BUILDINFO_MAGIC	      "\xff Go buildinf:"

static Elf_Scn *section(Elf *e, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(e, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* The section holding vaddr, and its data. */
static Elf_Data *section_at(Elf *e, size_t file_size, uint64_t vaddr, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, sh) || !(sh->sh_flags & SHF_ALLOC))
			continue;
		if (vaddr >= sh->sh_addr && vaddr - sh->sh_addr < sh->sh_size)
			return elf_file__section_data(scn, file_size);
	}
	return NULL;
}

/* moduledata.text: after pcHeader, six slices, findfunctab, minpc, maxpc */
#define MODULEDATA_TEXT 176

/*
 * moduledata, which only the runtime points at: the words {&pcHeader,
 * &funcnametab} in the data sections (Go 1.26: a section of its own).
 */
static const uint8_t *find_moduledata(Elf *e, size_t file_size, uint64_t pcln_vaddr,
				      const uint8_t *pcln, size_t need)
{
	static const char *const where[] = {".go.module", ".noptrdata", ".data"};
	uint64_t funcname_off, want[2];

	memcpy(&funcname_off, pcln + 32, sizeof(funcname_off));
	want[0] = pcln_vaddr;
	want[1] = pcln_vaddr + funcname_off;
	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		GElf_Shdr sh;
		Elf_Scn *scn = section(e, where[w], &sh);
		Elf_Data *d = scn ? elf_file__section_data(scn, file_size) : NULL;

		if (!d || !d->d_buf)
			continue;
		for (size_t off = 0; off + need <= d->d_size; off += 8)
			if (!memcmp((const uint8_t *)d->d_buf + off, want, sizeof(want)))
				return (const uint8_t *)d->d_buf + off;
	}
	return NULL;
}

/* The inline trees are in go.func.*, which moduledata.gofunc points at. */
static const uint8_t *find_gofunc(Elf *e, size_t file_size, const uint8_t *md, int format,
				  size_t *len)
{
	size_t field = format == 18 ? MODULEDATA_GOFUNC_118 : MODULEDATA_GOFUNC_120;
	uint64_t gofunc;
	Elf_Data *fd;
	GElf_Shdr fsh;

	memcpy(&gofunc, md + field, sizeof(gofunc));
	fd = section_at(e, file_size, gofunc, &fsh);
	if (!fd || !fd->d_buf || gofunc - fsh.sh_addr > fd->d_size)
		return NULL;
	*len = fd->d_size - (gofunc - fsh.sh_addr);
	return (const uint8_t *)fd->d_buf + (gofunc - fsh.sh_addr);
}

struct gopclntab *go_elf__pclntab(Elf *e, size_t file_size)
{
	const uint8_t *gofunc = NULL, *md;
	size_t gofunc_len = 0;
	struct gopclntab *t;
	uint64_t text = 0;
	GElf_Shdr sh;
	/* a PIE keeps it among the data relocated at load */
	Elf_Scn *scn = section(e, ".gopclntab", &sh) ?: section(e, ".data.rel.ro.gopclntab", &sh);
	Elf_Data *d = scn ? elf_file__section_data(scn, file_size) : NULL;

	if (!d || !d->d_buf)
		return NULL;
	/* parsed once without inline trees to learn the format */
	t = gopclntab__new(d->d_buf, d->d_size, NULL, 0);
	if (!t)
		return NULL;
	md = find_moduledata(e, file_size, sh.sh_addr, d->d_buf, MODULEDATA_GOFUNC_120 + 8);
	if (md)
		memcpy(&text, md + MODULEDATA_TEXT, sizeof(text));
	gofunc = md ? find_gofunc(e, file_size, md, gopclntab__format(t), &gofunc_len) : NULL;
	if (gofunc) {
		gopclntab__free(t);
		t = gopclntab__new(d->d_buf, d->d_size, gofunc, gofunc_len);
	}
	if (t)
		gopclntab__set_text_start(t, text);
	if (t && !gopclntab__text_start(t)) { /* entries relative to nothing known */
		gopclntab__free(t);
		errno = ENOEXEC;
		return NULL;
	}
	return t;
}

/*
 * Without .go.buildinfo (Go 1.26's esbuild has none): runtime.buildVersion,
 * the string {ptr, len} in the data sections that points at "go1.N[.M]".
 */
static int build_version(Elf *e, size_t file_size, char *buf, size_t len)
{
	static const char *const where[] = {".data", ".noptrdata"};

	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		GElf_Shdr sh, ssh;
		Elf_Scn *scn = section(e, where[w], &sh);
		Elf_Data *d = scn ? elf_file__section_data(scn, file_size) : NULL;

		for (size_t off = 0; d && d->d_buf && off + 16 <= d->d_size; off += 8) {
			uint64_t word[2];
			const char *str;
			Elf_Data *sd;
			size_t i = 4;

			memcpy(word, (const uint8_t *)d->d_buf + off, sizeof(word));
			if (word[1] < 6 || word[1] >= len || word[1] > 16 || word[0] < 0x1000)
				continue;
			sd = section_at(e, file_size, word[0], &ssh);
			if (!sd || !sd->d_buf || word[0] - ssh.sh_addr + word[1] > sd->d_size)
				continue;
			str = (const char *)sd->d_buf + (word[0] - ssh.sh_addr);
			if (strncmp(str, "go1.", 4))
				continue;
			while (i < word[1] && (str[i] == '.' || (str[i] >= '0' && str[i] <= '9')))
				i++;
			if (i != word[1] || str[4] < '1' || str[4] > '9')
				continue;
			memcpy(buf, str, word[1]);
			buf[word[1]] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

int go_elf__version(Elf *e, size_t file_size, char *buf, size_t len)
{
	GElf_Shdr sh;
	Elf_Scn *scn = section(e, ".go.buildinfo", &sh);
	Elf_Data *d = scn ? elf_file__section_data(scn, file_size) : NULL;
	const uint8_t *p;
	uint64_t n = 0;
	size_t at = 32;
	int shift;

	/* magic[14], ptrsize, flags (2: strings inline, Go 1.18+), pad to 32,
	 * then the version as a varint-prefixed string */
	if (!d || !d->d_buf || d->d_size < 33)
		return build_version(e, file_size, buf, len);
	p = d->d_buf;
	if (memcmp(p, BUILDINFO_MAGIC, 14) || !(p[15] & 2))
		return -ENOENT;
	for (shift = 0; at < d->d_size && shift < 63; shift += 7) {
		n |= (uint64_t)(p[at] & 0x7f) << shift;
		if (!(p[at++] & 0x80))
			break;
	}
	if (n == 0 || n >= len || n > d->d_size - at)
		return -ENOENT;
	memcpy(buf, p + at, n);
	buf[n] = '\0';
	return 0;
}

int go_elf__minor(const char *version)
{
	if (strncmp(version, "go1.", 4))
		return 0;
	return atoi(version + 4);
}

struct go_binary {
	int fd;
	size_t file_size;
	Elf *elf;
	char version[32];
	struct gopclntab *pcln;
	Elf_Data *symtab, *strtab_data;
	size_t strtab;
};

struct go_binary *go_binary__open(const char *path)
{
	struct go_binary *b = calloc(1, sizeof(*b));
	GElf_Shdr sh;
	Elf_Scn *scn;

	if (!b)
		return NULL;
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0 || !(b->elf = elf_file__begin(b->fd, &b->file_size)))
		goto not_go;
	b->pcln = go_elf__pclntab(b->elf, b->file_size);
	if (!b->pcln)
		goto not_go;
	if (go_elf__version(b->elf, b->file_size, b->version, sizeof(b->version)))
		snprintf(b->version, sizeof(b->version), "unknown (a Go 1.%d+ table)",
			 gopclntab__format(b->pcln));
	scn = section(b->elf, ".symtab", &sh);
	if (scn && sh.sh_type == SHT_SYMTAB) {
		b->symtab = elf_file__section_data(scn, b->file_size);
		b->strtab = sh.sh_link;
	}
	return b;
not_go:
	go_binary__close(b);
	errno = ENOEXEC;
	return NULL;
}

void go_binary__close(struct go_binary *b)
{
	if (!b)
		return;
	gopclntab__free(b->pcln);
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

const char *go_binary__version(const struct go_binary *b)
{
	return b->version;
}

uint64_t go_binary__entry(const struct go_binary *b)
{
	GElf_Ehdr eh;

	return gelf_getehdr(b->elf, &eh) ? eh.e_entry : 0;
}

int go_binary__has_symtab(const struct go_binary *b)
{
	return b->symtab != NULL;
}

static int symbol(const struct go_binary *b, const char *name, int type, GElf_Sym *out)
{
	size_t n;

	if (!b->symtab || !b->symtab->d_buf)
		return -ENOENT;
	n = b->symtab->d_size / sizeof(Elf64_Sym);
	for (size_t i = 0; i < n; i++) {
		const char *s;

		if (!gelf_getsym(b->symtab, i, out) || GELF_ST_TYPE(out->st_info) != type ||
		    out->st_shndx == SHN_UNDEF)
			continue;
		s = elf_strptr(b->elf, b->strtab, out->st_name);
		if (s && !strcmp(s, name))
			return 0;
	}
	return -ENOENT;
}

bool go_binary__loads_libraries(const struct go_binary *b)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(b->elf, scn))) {
		Elf_Data *d;
		GElf_Shdr sh;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		d = elf_file__section_data(scn, b->file_size);
		for (int i = 0; d && gelf_getdyn(d, i, &dyn); i++)
			if (dyn.d_tag == DT_NEEDED)
				return true;
	}
	return false;
}

int go_binary__function(const struct go_binary *b, const char *name, uint64_t *vaddr,
			uint64_t *size)
{
	GElf_Sym sym;

	if (!symbol(b, name, STT_FUNC, &sym)) {
		*vaddr = sym.st_value;
		*size = sym.st_size;
		return 0;
	}
	return gopclntab__find(b->pcln, name, vaddr, size);
}

int go_binary__variable(const struct go_binary *b, const char *name, uint64_t *vaddr)
{
	GElf_Sym sym;

	if (symbol(b, name, STT_OBJECT, &sym))
		return -ENOENT;
	*vaddr = sym.st_value;
	return 0;
}

int go_binary__offset(const struct go_binary *b, uint64_t vaddr, uint64_t *offset)
{
	size_t n;

	if (elf_getphdrnum(b->elf, &n))
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(b->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*offset = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

bool go_binary__writable(const struct go_binary *b, uint64_t vaddr)
{
	size_t n;

	if (elf_getphdrnum(b->elf, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(b->elf, i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_W) &&
		    vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_memsz)
			return true;
	}
	return false;
}

int go_binary__read(const struct go_binary *b, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off;
	ssize_t n;

	if (go_binary__offset(b, vaddr, &off))
		return -ENOENT;
	n = pread(b->fd, buf, len, (off_t)off);
	return n == (ssize_t)len ? 0 : -EIO;
}
