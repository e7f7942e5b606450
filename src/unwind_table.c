// SPDX-License-Identifier: GPL-2.0
/*
 * From the FDEs of a file to one sorted row list: FDEs sorted by start,
 * overlaps dropped, gaps marked, consecutive rows with the same rules merged;
 * then the 8-byte rows BPF reads, merged again (rules BPF cannot follow all
 * become LS_UW_NONE).
 */
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "unwind_table.h"

struct fde {
	uint64_t start, end;
	size_t first, n; /* in collect.rows */
	size_t prio;	 /* index of its section: lower wins */
};

struct collect {
	struct cfi_row *rows;
	size_t nrows, cap;
	struct fde *fdes;
	size_t nfdes, fcap;
	size_t prio;
};

static int collect_fde(void *ctx, uint64_t start, uint64_t end, const struct cfi_row *rows,
		       size_t n)
{
	struct collect *c = ctx;

	if (c->nrows + n > c->cap) {
		size_t cap = (c->nrows + n) * 2;
		struct cfi_row *nr = realloc(c->rows, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		c->rows = nr;
		c->cap = cap;
	}
	if (c->nfdes == c->fcap) {
		size_t cap = c->fcap ? 2 * c->fcap : 256;
		struct fde *nf = realloc(c->fdes, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		c->fdes = nf;
		c->fcap = cap;
	}
	memcpy(c->rows + c->nrows, rows, n * sizeof(*rows));
	c->fdes[c->nfdes++] = (struct fde){start, end, c->nrows, n, c->prio};
	c->nrows += n;
	return 0;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct fde *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Appends row to t, merged into the last one when it unwinds the same way. */
static void add_row(struct unwind_table *t, const struct cfi_row *row)
{
	if (t->nrows && cfi_row__same_rule(&t->rows[t->nrows - 1], row))
		return;
	if (t->nrows && t->rows[t->nrows - 1].pc == row->pc)
		t->nrows--; /* an empty range */
	t->rows[t->nrows++] = *row;
}

static bool fde_uses_rbp(const struct cfi_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].cfa_kind == CFI_CFA_REG && rows[i].cfa_reg == CFI_REG_RBP)
			return true;
	return false;
}

/* The compact form of a row; LS_UW_NONE for what BPF cannot follow. */
static struct ls_unwind_row compact_row(const struct cfi_row *r, uint64_t base)
{
	struct ls_unwind_row c = {.pc = (uint32_t)(r->pc - base), .cfa = LS_UW_NONE};

	if (r->cfa_kind == CFI_CFA_NONE)
		return c;
	if (r->ra.kind == CFI_RULE_UNDEF) {
		c.cfa = LS_UW_END;
		return c;
	}
	if (r->ra.kind != CFI_RULE_OFFSET || r->ra.off != -8)
		return c;
	if (r->cfa_off < 8 || r->cfa_off % 8 || r->cfa_off / 8 > UINT16_MAX)
		return c;
	if (r->rbp.kind == CFI_RULE_OFFSET) {
		if (r->rbp.off % 8 || r->rbp.off >= 0 || r->rbp.off / 8 < INT8_MIN)
			return c;
		c.rbp_off = (int8_t)(r->rbp.off / 8);
	} else if (r->rbp.kind != CFI_RULE_SAME && r->rbp.kind != CFI_RULE_UNDEF) {
		return c;
	}
	c.cfa_off = (uint16_t)(r->cfa_off / 8);
	if (r->cfa_kind == CFI_CFA_PLT) {
		c.cfa = LS_UW_PLT;
		c.rbp_off = (int8_t)r->plt_lit;
	} else if (r->cfa_kind == CFI_CFA_REG && r->cfa_reg == CFI_REG_RSP) {
		c.cfa = LS_UW_RSP;
	} else if (r->cfa_kind == CFI_CFA_REG && r->cfa_reg == CFI_REG_RBP) {
		c.cfa = LS_UW_RBP;
	} else {
		c = (struct ls_unwind_row){.pc = c.pc, .cfa = LS_UW_NONE};
	}
	return c;
}

static int compact(struct unwind_table *t)
{
	t->compact = calloc(t->nrows ? t->nrows : 1, sizeof(*t->compact));
	if (!t->compact)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++) {
		struct ls_unwind_row c;

		if (t->rows[i].pc - t->base > UINT32_MAX)
			break; /* no file's code spans 4 GiB */
		c = compact_row(&t->rows[i], t->base);
		if (t->ncompact) {
			struct ls_unwind_row *last = &t->compact[t->ncompact - 1];

			if (last->cfa == c.cfa && last->cfa_off == c.cfa_off &&
			    last->rbp_off == c.rbp_off)
				continue;
			if (last->pc == c.pc)
				t->ncompact--;
		}
		t->compact[t->ncompact++] = c;
	}
	return 0;
}

static int assemble(struct unwind_table *t, struct collect *c)
{
	uint64_t covered = 0;
	struct cfi_row gap = {0};

	t->rows = malloc((c->nrows + c->nfdes + 1) * sizeof(*t->rows));
	if (!t->rows)
		return -ENOMEM;
	qsort(c->fdes, c->nfdes, sizeof(*c->fdes), fde_cmp);
	for (size_t i = 0; i < c->nfdes; i++) {
		const struct fde *f = &c->fdes[i];

		if (t->nrows && f->start < covered)
			continue; /* overlaps one already taken */
		if (t->nrows && f->start > covered) {
			gap.pc = covered;
			add_row(t, &gap);
		}
		for (size_t k = 0; k < f->n; k++)
			add_row(t, &c->rows[f->first + k]);
		covered = f->end;
		t->fdes++;
		t->fp_fdes += fde_uses_rbp(&c->rows[f->first], f->n);
	}
	gap.pc = covered;
	add_row(t, &gap);
	t->base = t->rows[0].pc;
	t->has_fp = t->fp_fdes * 2 > t->fdes;
	return compact(t);
}

struct unwind_table *unwind_table__build(const struct cfi_section *secs, size_t n)
{
	struct collect c = {0};
	struct unwind_table *t = calloc(1, sizeof(*t));
	int err = t ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && !err; i++) {
		c.prio = i;
		err = cfi__parse(&secs[i], collect_fde, &c);
		if (err > 0)
			err = 0;
	}
	if (!err && !c.nfdes)
		err = -ENOENT;
	if (!err)
		err = assemble(t, &c);
	free(c.rows);
	free(c.fdes);
	if (err) {
		unwind_table__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

/* A section's bytes and address, by name; false when absent or unusable. */
static bool section(Elf *e, size_t file_size, const char *want, struct cfi_section *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx))
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;
		Elf_Data *d;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)) ||
		    strcmp(name, want))
			continue;
		d = elf_file__section_data(scn, file_size);
		if (!d || !d->d_buf || !d->d_size)
			return false;
		*out = (struct cfi_section){d->d_buf, d->d_size, sh.sh_addr, false};
		return true;
	}
	return false;
}

/* The bytes of the file loaded at vaddr, to the end of their segment. */
static bool segment_bytes(Elf *e, uint64_t vaddr, struct cfi_section *out)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return false;
	for (size_t i = 0; i < n && i < INT_MAX; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		d = elf_getdata_rawchunk(e, (int64_t)(ph.p_offset + vaddr - ph.p_vaddr),
					 ph.p_filesz - (vaddr - ph.p_vaddr), ELF_T_BYTE);
		if (!d || !d->d_buf)
			return false;
		*out = (struct cfi_section){d->d_buf, d->d_size, vaddr, false};
		return true;
	}
	return false;
}

/* .eh_frame found from the program headers alone (sections stripped away). */
static bool eh_frame_from_phdrs(Elf *e, struct cfi_section *out)
{
	struct cfi_section hdr;
	struct cfi_hdr h;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return false;
	for (size_t i = 0; i < n && i < INT_MAX; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		if (!segment_bytes(e, ph.p_vaddr, &hdr) ||
		    cfi__parse_hdr(hdr.data, hdr.size, hdr.vaddr, &h))
			return false;
		return segment_bytes(e, h.eh_frame_vaddr, out);
	}
	return false;
}

static void executable_segments(Elf *e, struct unwind_table *t)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return;
	for (size_t i = 0; i < n && i < INT_MAX && t->nsegs < UNWIND_TABLE_MAX_SEGMENTS; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
			t->segs[t->nsegs++] =
			    (struct unwind_segment){ph.p_offset, ph.p_vaddr, ph.p_filesz};
	}
}

struct unwind_table *unwind_table__open_fd(int fd)
{
	struct cfi_section secs[2], unused;
	struct unwind_table *t;
	size_t file_size, n = 0;
	bool go;
	Elf *e = elf_file__begin(fd, &file_size);

	if (!e) {
		errno = ENOEXEC;
		return NULL;
	}
	/* Go keeps frame pointers on x86-64, and its runtime switches stacks
	 * in ways its CFI does not describe: never unwound by tables. */
	go = section(e, file_size, ".gopclntab", &unused) ||
	     section(e, file_size, ".note.go.buildid", &unused);
	if (!go &&
	    (section(e, file_size, ".eh_frame", &secs[n]) || eh_frame_from_phdrs(e, &secs[n])))
		n++;
	if (!go && section(e, file_size, ".debug_frame", &secs[n]))
		secs[n++].debug_frame = true;
	t = n ? unwind_table__build(secs, n) : NULL;
	if (!t && (!n || errno == ENOENT))
		t = calloc(1, sizeof(*t)); /* no CFI: frame pointers only */
	if (t) {
		if (!t->nrows)
			t->has_fp = true;
		elf_file__build_id(e, file_size, t->build_id);
		executable_segments(e, t);
	}
	elf_end(e);
	return t;
}

bool unwind_table__offset_to_vaddr(const struct unwind_table *t, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < t->nsegs; i++) {
		const struct unwind_segment *g = &t->segs[i];

		if (off >= g->offset && off - g->offset < g->filesz) {
			*vaddr = off - g->offset + g->vaddr;
			return true;
		}
	}
	return false;
}

void unwind_table__free(struct unwind_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->compact);
	free(t);
}
