// SPDX-License-Identifier: GPL-2.0
/*
 * Function symbols of an ELF file, read with libelf. This is a fuzz target:
 * the input is any file a traced process maps, so every index, string offset
 * and note length is checked before use (libelf's accessors do the bounds
 * checks; we check what they leave to the caller).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "elf_symtab.h"

#define MAX_BUILD_ID	  64   /* bytes; linkers emit 8, 16 or 20 */
#define MAX_INFLATE_RATIO 1100 /* deflate cannot compress better than ~1032:1 */
#define MAX_LINK_NAME	  255

struct sym {
	uint64_t addr, end; /* [addr, end) */
	uint32_t name;	    /* offset into strs */
	uint32_t seq;	    /* read order: a deterministic last tie-break */
	uint8_t rank;	    /* among aliases at one address the highest is kept */
	bool implicit_end;  /* size 0: end is the section end, clamp to the next symbol */
};

struct seg {
	uint64_t off, filesz, vaddr;
};

struct elf_symtab {
	struct sym *syms;
	size_t nsyms, syms_cap;
	char *strs; /* names, NUL-separated; offsets stay valid across realloc */
	size_t strs_len, strs_cap;
	struct seg *segs;
	size_t nsegs;
	char build_id[2 * MAX_BUILD_ID + 1]; /* "" when none */
};

/* What a stripped file says about its debug file. */
struct debuglink {
	char name[MAX_LINK_NAME + 1]; /* "" when none */
	uint32_t crc;
};

static char debug_root[PATH_MAX] = "/usr/lib/debug";

void elf_symtab__set_debug_root(const char *dir)
{
	snprintf(debug_root, sizeof(debug_root), "%s", dir ? dir : "/usr/lib/debug");
}

static int add_string(struct elf_symtab *s, const char *str, uint32_t *off)
{
	size_t n = strlen(str) + 1;

	if (s->strs_len + n > UINT32_MAX)
		return -ENOMEM;
	if (s->strs_len + n > s->strs_cap) {
		size_t cap = s->strs_cap ? s->strs_cap : 4096;
		char *ns;

		while (cap < s->strs_len + n)
			cap *= 2;
		ns = realloc(s->strs, cap);
		if (!ns)
			return -ENOMEM;
		s->strs = ns;
		s->strs_cap = cap;
	}
	memcpy(s->strs + s->strs_len, str, n);
	*off = (uint32_t)s->strs_len;
	s->strs_len += n;
	return 0;
}

/*
 * Prefer, among aliases: a sized symbol, then global over weak over local, then
 * fewer leading underscores ("malloc" over "__libc_malloc").
 */
static uint8_t sym_rank(const GElf_Sym *sym, const char *name)
{
	int bind = GELF_ST_BIND(sym->st_info);
	int b = bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
	int u = 0;

	while (name[u] == '_' && u < 15)
		u++;
	return (uint8_t)((sym->st_size ? 1 : 0) << 6 | b << 4 | (15 - u));
}

/* Section data, inflated first when SHF_COMPRESSED. NULL when unusable. */
static Elf_Data *section_data(Elf_Scn *scn, size_t file_size)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return NULL;
	if (sh.sh_flags & SHF_COMPRESSED) {
		uint64_t avail = sh.sh_size < file_size ? sh.sh_size : file_size;
		GElf_Chdr ch;

		/* A forged header must not make libelf allocate gigabytes. */
		if (!gelf_getchdr(scn, &ch) || ch.ch_size / MAX_INFLATE_RATIO > avail)
			return NULL;
		if (elf_compress(scn, 0, 0) < 0)
			return NULL;
	}
	return elf_getdata(scn, NULL);
}

/* End of a size-0 symbol: its section's end, or just the symbol's address. */
static uint64_t implicit_end(Elf *e, const GElf_Sym *sym)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (sym->st_shndx >= SHN_LORESERVE)
		return sym->st_value + 1;
	scn = elf_getscn(e, sym->st_shndx);
	if (!scn || !gelf_getshdr(scn, &sh))
		return sym->st_value + 1;
	if (sym->st_value < sh.sh_addr || sym->st_value - sh.sh_addr >= sh.sh_size)
		return sym->st_value + 1;
	return sh.sh_addr + sh.sh_size;
}

static int push_sym(struct elf_symtab *s, Elf *e, const GElf_Sym *sym, const char *name)
{
	struct sym *p;
	int err;

	if (s->nsyms == s->syms_cap) {
		size_t cap = s->syms_cap ? s->syms_cap * 2 : 256;

		p = realloc(s->syms, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->syms = p;
		s->syms_cap = cap;
	}
	if (s->nsyms >= UINT32_MAX)
		return -ENOMEM;
	p = &s->syms[s->nsyms];
	err = add_string(s, name, &p->name);
	if (err)
		return err;
	p->addr = sym->st_value;
	p->seq = (uint32_t)s->nsyms;
	p->rank = sym_rank(sym, name);
	p->implicit_end = sym->st_size == 0;
	if (sym->st_size)
		p->end = sym->st_size > UINT64_MAX - p->addr ? UINT64_MAX : p->addr + sym->st_size;
	else
		p->end = sym->st_value == UINT64_MAX ? UINT64_MAX : implicit_end(e, sym);
	s->nsyms++;
	return 0;
}

static int add_symbols(struct elf_symtab *s, Elf *e, Elf_Scn *scn, size_t file_size)
{
	size_t entsz = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT), n;
	Elf_Scn *strscn;
	Elf_Data *d;
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh) || !entsz)
		return 0;
	/* The string table must be inflated before elf_strptr() can read it. */
	strscn = elf_getscn(e, sh.sh_link);
	if (!strscn || !section_data(strscn, file_size))
		return 0;
	d = section_data(scn, file_size);
	if (!d || d->d_type != ELF_T_SYM)
		return 0;
	n = d->d_size / entsz;
	if (n > INT_MAX)
		n = INT_MAX;
	for (size_t i = 1; i < n; i++) {
		const char *name;
		GElf_Sym sym;
		int type, err;

		if (!gelf_getsym(d, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym.st_value ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(e, sh.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		err = push_sym(s, e, &sym, name);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort, keep one symbol per address, and bound size-0 symbols by their successor. */
static void finalize(struct elf_symtab *s)
{
	size_t j = 0;

	if (!s->nsyms)
		return;
	qsort(s->syms, s->nsyms, sizeof(*s->syms), cmp_sym);
	for (size_t i = 0; i < s->nsyms; i++) {
		if (j && s->syms[j - 1].addr == s->syms[i].addr)
			continue;
		s->syms[j++] = s->syms[i];
	}
	s->nsyms = j;
	for (size_t i = 0; i + 1 < s->nsyms; i++) {
		if (s->syms[i].implicit_end && s->syms[i + 1].addr < s->syms[i].end)
			s->syms[i].end = s->syms[i + 1].addr;
	}
}

static int load_segments(struct elf_symtab *s, Elf *e)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return 0;
	for (size_t i = 0; i < n && i < INT_MAX; i++) {
		struct seg *p;
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		p = realloc(s->segs, (s->nsegs + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->segs = p;
		s->segs[s->nsegs++] = (struct seg){ ph.p_offset, ph.p_filesz, ph.p_vaddr };
	}
	return 0;
}

/* Find NT_GNU_BUILD_ID in a block of notes and write it as hex into out. */
static bool scan_notes(Elf_Data *d, char *out)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	if (!d || !d->d_buf)
		return false;
	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const unsigned char *desc = (const unsigned char *)d->d_buf + desc_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || !nh.n_descsz ||
		    nh.n_descsz > MAX_BUILD_ID || name_off > d->d_size - 4 ||
		    desc_off > d->d_size - nh.n_descsz ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4))
			continue;
		for (size_t i = 0; i < nh.n_descsz; i++)
			sprintf(out + 2 * i, "%02x", desc[i]);
		return true;
	}
	return false;
}

static void read_build_id(Elf *e, size_t file_size, char *out)
{
	Elf_Scn *scn = NULL;
	size_t n;

	out[0] = '\0';
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    scan_notes(section_data(scn, file_size), out))
			return;
	}
	/* Sections can be stripped away entirely; the segments cannot. */
	if (elf_getphdrnum(e, &n))
		return;
	for (size_t i = 0; i < n && i < INT_MAX; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz,
					 ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (scan_notes(d, out))
			return;
	}
}

static void read_debuglink(Elf *e, size_t file_size, struct debuglink *link)
{
	const unsigned char *p;
	Elf_Scn *scn = NULL;
	size_t shstrndx, len;
	GElf_Ehdr eh;
	Elf_Data *d;

	link->name[0] = '\0';
	if (elf_getshdrstrndx(e, &shstrndx) || !gelf_getehdr(e, &eh))
		return;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".gnu_debuglink"))
			continue;
		d = section_data(scn, file_size);
		if (!d || !d->d_buf)
			return;
		/* NUL-terminated file name, padding to 4, then the CRC32 of the debug file. */
		p = d->d_buf;
		len = strnlen((const char *)p, d->d_size);
		if (!len || len > MAX_LINK_NAME || memchr(p, '/', len))
			return;
		if (((len + 4) & ~(size_t)3) + 4 > d->d_size)
			return;
		p += (len + 4) & ~(size_t)3;
		if (eh.e_ident[EI_DATA] == ELFDATA2MSB)
			link->crc = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
		else
			link->crc = (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
		memcpy(link->name, d->d_buf, len);
		link->name[len] = '\0';
		return;
	}
}

/* Add the symbols of every section of type want; *found tells whether there was one. */
static int add_tables(struct elf_symtab *s, Elf *e, size_t file_size, Elf64_Word want, bool *found)
{
	Elf_Scn *scn = NULL;
	int err;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != want)
			continue;
		if (found)
			*found = true;
		err = add_symbols(s, e, scn, file_size);
		if (err)
			return err;
	}
	return 0;
}

static Elf *begin(int fd, size_t *file_size)
{
	struct stat st;
	Elf *e;

	if (fstat(fd, &st) || st.st_size <= 0)
		return NULL;
	*file_size = (size_t)st.st_size;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && (elf_kind(e) != ELF_K_ELF || gelf_getclass(e) == ELFCLASSNONE)) {
		elf_end(e);
		return NULL;
	}
	return e;
}

static bool crc_matches(int fd, uint32_t want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	off_t off = 0;
	ssize_t r;

	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)r);
		off += r;
	}
	return r == 0 && crc == want;
}

/* Load the .symtab of a candidate debug file; true when it had one. */
static bool try_debug_file(struct elf_symtab *s, const char *path, const uint32_t *crc)
{
	char id[2 * MAX_BUILD_ID + 1];
	bool found = false;
	size_t fsize;
	Elf *e = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (crc && !crc_matches(fd, *crc))
		goto out;
	e = begin(fd, &fsize);
	if (!e)
		goto out;
	/* A stale debug file for another build would give confidently wrong names. */
	read_build_id(e, fsize, id);
	if (s->build_id[0] && id[0] && strcmp(id, s->build_id))
		goto out;
	if (add_tables(s, e, fsize, SHT_SYMTAB, &found))
		found = false;
out:
	elf_end(e);
	close(fd);
	return found;
}

static void load_debug_file(struct elf_symtab *s, const char *name, const struct debuglink *link)
{
	char path[2 * PATH_MAX + MAX_LINK_NAME + 16], dir[PATH_MAX];
	const char *slash;

	if (s->build_id[0]) {
		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", debug_root, s->build_id,
			 s->build_id + 2);
		if (try_debug_file(s, path, NULL))
			return;
	}
	if (!link->name[0] || !name || !(slash = strrchr(name, '/')))
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	snprintf(path, sizeof(path), "%s/%s", dir, link->name);
	if (try_debug_file(s, path, &link->crc))
		return;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link->name);
	if (try_debug_file(s, path, &link->crc))
		return;
	snprintf(path, sizeof(path), "%s%s/%s", debug_root, dir, link->name);
	try_debug_file(s, path, &link->crc);
}

struct elf_symtab *elf_symtab__open_fd(int fd, const char *name)
{
	struct debuglink link = { .name = "" };
	struct elf_symtab *s;
	bool has_symtab = false;
	size_t fsize;
	Elf *e;
	int err;

	e = begin(fd, &fsize);
	if (!e) {
		errno = ENOEXEC;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		elf_end(e);
		errno = ENOMEM;
		return NULL;
	}
	read_build_id(e, fsize, s->build_id);
	err = load_segments(s, e);
	if (!err)
		err = add_tables(s, e, fsize, SHT_SYMTAB, &has_symtab);
	if (!err)
		err = add_tables(s, e, fsize, SHT_DYNSYM, NULL);
	if (!err && !has_symtab)
		read_debuglink(e, fsize, &link);
	elf_end(e);
	if (err) {
		elf_symtab__close(s);
		errno = -err;
		return NULL;
	}
	if (!has_symtab)
		load_debug_file(s, name, &link);
	finalize(s);
	return s;
}

struct elf_symtab *elf_symtab__open(const char *path)
{
	struct elf_symtab *s;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	s = elf_symtab__open_fd(fd, path);
	saved = errno;
	close(fd);
	errno = saved;
	return s;
}

int elf_symtab__offset_to_vaddr(const struct elf_symtab *s, uint64_t file_offset, uint64_t *vaddr)
{
	for (size_t i = 0; i < s->nsegs; i++) {
		const struct seg *g = &s->segs[i];

		if (file_offset >= g->off && file_offset - g->off < g->filesz) {
			*vaddr = file_offset - g->off + g->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

const char *elf_symtab__lookup(const struct elf_symtab *s, uint64_t vaddr, uint64_t *offset_in_func)
{
	size_t lo = 0, hi = s->nsyms;
	const struct sym *sym;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	sym = &s->syms[lo - 1];
	if (vaddr >= sym->end)
		return NULL;
	if (offset_in_func)
		*offset_in_func = vaddr - sym->addr;
	return s->strs + sym->name;
}

const char *elf_symtab__build_id(const struct elf_symtab *s)
{
	return s->build_id[0] ? s->build_id : NULL;
}

size_t elf_symtab__symbol_count(const struct elf_symtab *s)
{
	return s->nsyms;
}

void elf_symtab__close(struct elf_symtab *s)
{
	if (!s)
		return;
	free(s->syms);
	free(s->strs);
	free(s->segs);
	free(s);
}
