// SPDX-License-Identifier: GPL-2.0
/*
 * Function symbols of an ELF file, read with libelf into one sorted array. This
 * is a fuzz target: the input is any file a traced process maps, so counts and
 * sizes are checked before use (libelf's accessors bounds-check indices and
 * string offsets; elf_file.c handles notes, compression and debug files).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_file.h"
#include "elf_symtab.h"
#include "go_elf.h"

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
	char build_id[ELF_FILE_BUILD_ID_LEN]; /* "" when none */
	struct gopclntab *go;		      /* a Go file: its .gopclntab (lines, inlining) */
};

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
 * Prefer, among aliases: a sized symbol, then fewer leading underscores
 * ("malloc" over "__libc_malloc"), then global over weak over local. The
 * public name is often the weak one: glibc's strdup and socket are weak
 * aliases of global __strdup and __socket, ASan's malloc of
 * __interceptor_malloc; underscores mark the names reserved to the
 * implementation, the binding does not.
 */
static uint8_t sym_rank(const GElf_Sym *sym, const char *name)
{
	int bind = GELF_ST_BIND(sym->st_info);
	int b = bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
	int u = 0;

	while (name[u] == '_' && u < 15)
		u++;
	return (uint8_t)((sym->st_size ? 1 : 0) << 6 | (15 - u) << 2 | b);
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
	if (!strscn || !elf_file__section_data(strscn, file_size))
		return 0;
	d = elf_file__section_data(scn, file_size);
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
		s->segs[s->nsegs++] = (struct seg){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	return 0;
}

void elf_symtab__set_debug_root(const char *dir)
{
	elf_file__set_debug_root(dir);
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

/* The debug file's vaddrs are the main file's, so its .symtab simply joins ours. */
static bool load_debug_symtab(Elf *e, size_t file_size, void *ctx)
{
	bool found = false;

	return !add_tables(ctx, e, file_size, SHT_SYMTAB, &found) && found;
}

struct elf_symtab *elf_symtab__open_fd(int fd, const char *name)
{
	struct elf_debuglink link = {.name = ""};
	struct elf_symtab *s;
	bool has_symtab = false;
	size_t fsize;
	Elf *e;
	int err;

	e = elf_file__begin(fd, &fsize);
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
	elf_file__build_id(e, fsize, s->build_id);
	err = load_segments(s, e);
	if (!err)
		err = add_tables(s, e, fsize, SHT_SYMTAB, &has_symtab);
	if (!err)
		err = add_tables(s, e, fsize, SHT_DYNSYM, NULL);
	if (!err && !has_symtab)
		elf_file__debuglink(e, fsize, &link);
	/* even with a .symtab: only .gopclntab has lines and inlined calls */
	if (!err)
		s->go = go_elf__pclntab(e, fsize);
	elf_end(e);
	if (err) {
		elf_symtab__close(s);
		errno = -err;
		return NULL;
	}
	if (!has_symtab)
		elf_file__find_debug(s->build_id, name, &link, load_debug_symtab, s);
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

/* The symbol containing vaddr, or NULL. */
static const struct sym *find_sym(const struct elf_symtab *s, uint64_t vaddr)
{
	size_t lo = 0, hi = s->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || vaddr >= s->syms[lo - 1].end)
		return NULL;
	return &s->syms[lo - 1];
}

const char *elf_symtab__lookup(const struct elf_symtab *s, uint64_t vaddr, uint64_t *offset_in_func)
{
	const struct sym *sym = find_sym(s, vaddr);

	if (!sym)
		return s->go ? gopclntab__lookup(s->go, vaddr, offset_in_func) : NULL;
	if (offset_in_func)
		*offset_in_func = vaddr - sym->addr;
	return s->strs + sym->name;
}

size_t elf_symtab__source(const struct elf_symtab *s, uint64_t vaddr, struct go_frame *out,
			  size_t max)
{
	const struct sym *sym = find_sym(s, vaddr);
	uint64_t off;

	if (!s->go || !gopclntab__lookup(s->go, vaddr, &off))
		return 0;
	/* .gopclntab's functions end where the next begins: C code linked
	 * into a cgo program may lie in between. Where the symbol table
	 * disagrees about the function's start, it is not Go code. */
	if (sym && vaddr - sym->addr != off)
		return 0;
	return gopclntab__frames(s->go, vaddr, out, max);
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
	gopclntab__free(s->go);
	free(s);
}
