// SPDX-License-Identifier: GPL-2.0
/*
 * The entries of a frame section: CIEs and FDEs of .eh_frame and
 * .debug_frame found and read, each FDE's instructions handed to the
 * interpreter (cfi_interp.c), and .eh_frame_hdr's header. An entry that
 * cannot be read is skipped, never a crash or a hang.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"
#include "cfi_cursor.h"
#include "cfi_interp.h"

/* Whether an entry's id field marks a CIE (else it points to one). */
static bool is_cie_id(const struct cfi_section *s, bool dwarf64, uint64_t id)
{
	if (!s->debug_frame)
		return id == 0;
	return id == (dwarf64 ? ~0ULL : 0xffffffffULL);
}

/* CIE at c (after its length and id): fills cie, false when unusable. */
static bool parse_cie(struct cfi_cursor *c, bool debug_frame, struct cfi_cie *cie)
{
	const char *aug;
	size_t auglen;
	uint8_t version = (uint8_t)cfi_cursor__uint(c, 1);

	memset(cie, 0, sizeof(*cie));
	cie->debug_frame = debug_frame;
	if (c->bad || (version != 1 && version != 3 && version != 4))
		return false;
	aug = (const char *)c->p;
	auglen = strnlen(aug, (size_t)(c->end - c->p));
	if (auglen == (size_t)(c->end - c->p))
		return false;
	c->p += auglen + 1;
	if (version == 4) { /* address_size, segment_selector_size */
		if (cfi_cursor__uint(c, 1) != 8 || cfi_cursor__uint(c, 1) != 0)
			return false;
	}
	cie->code_align = cfi_cursor__uleb(c);
	cie->data_align = cfi_cursor__sleb(c);
	cie->ra_reg = version == 1 ? cfi_cursor__uint(c, 1) : cfi_cursor__uleb(c);
	cie->fde_enc = 0; /* absptr */
	if (auglen && aug[0] == 'z') {
		uint64_t len = cfi_cursor__uleb(c);
		struct cfi_cursor a = *c;

		if (c->bad || len > (uint64_t)(c->end - c->p))
			return false;
		a.end = c->p + len;
		for (size_t i = 1; i < auglen; i++) {
			switch (aug[i]) {
			case 'R':
				cie->fde_enc = (uint8_t)cfi_cursor__uint(&a, 1);
				break;
			case 'L':
				cfi_cursor__uint(&a, 1);
				break;
			case 'P':
				cfi_cursor__encoded(&a, (uint8_t)cfi_cursor__uint(&a, 1) & 0x7f,
						    false, 0);
				break;
			case 'S':
			case 'B':
				break;
			default:
				i = auglen; /* unknown: the length lets us skip the rest */
			}
		}
		if (a.bad)
			return false;
		c->p += len;
		cie->has_aug_data = true;
	} else if (auglen) {
		return false; /* "eh" and other pre-'z' forms */
	}
	if (c->bad || !cie->code_align)
		return false;
	cie->insns = c->p;
	cie->insns_end = c->end;
	return true;
}

/* One FDE whose fields start at c (after the CIE pointer). */
static int parse_fde(struct cfi_cursor *c, const struct cfi_cie *cie, struct cfi_rows *rows,
		     cfi_fde_fn fn, void *ctx)
{
	uint64_t start, range;
	int err;

	start = cie->debug_frame ? cfi_cursor__uint(c, 8)
				 : cfi_cursor__encoded(c, cie->fde_enc, true, 0);
	range = cie->debug_frame ? cfi_cursor__uint(c, 8)
				 : cfi_cursor__encoded(c, cie->fde_enc & PE_FORMAT, false, 0);
	if (cie->has_aug_data) {
		uint64_t len = cfi_cursor__uleb(c);

		if (!cfi_cursor__need(c, len))
			return -EINVAL;
		c->p += len;
	}
	if (c->bad || !range || range > UINT32_MAX || start + range < start)
		return -EINVAL;
	err = cfi_interp__fde(cie, c, start, start + range, rows);
	if (err)
		return err;
	return fn(ctx, start, start + range, rows->v, rows->n);
}

/* The CIE an FDE at `entry` (its id field at id_at, holding id) points to. */
static bool find_cie(const struct cfi_section *s, const uint8_t *id_at, const uint8_t *entry,
		     uint64_t id, struct cfi_cie *cie)
{
	/* .eh_frame: id is the distance back to the CIE; .debug_frame: its offset */
	uint64_t off = s->debug_frame ? id : (uint64_t)(id_at - s->data) - id;
	struct cfi_cursor c = {s->data, s->data + s->size, s->data, s->vaddr, false}, body;
	bool dwarf64;

	if (!s->debug_frame && id > (uint64_t)(id_at - s->data))
		return false;
	if (off >= s->size || s->data + off == entry)
		return false;
	c.p = s->data + off;
	if (!cfi_cursor__entry(&c, &body, &dwarf64))
		return false;
	id = cfi_cursor__uint(&body, dwarf64 ? 8 : 4);
	if (body.bad || !is_cie_id(s, dwarf64, id))
		return false;
	return parse_cie(&body, s->debug_frame, cie);
}

int cfi__parse(const struct cfi_section *s, cfi_fde_fn fn, void *ctx)
{
	struct cfi_cursor sec = {s->data, s->data + s->size, s->data, s->vaddr, false};
	struct cfi_rows rows = {0};
	int count = 0, err = 0;

	while (sec.p < sec.end && !err) {
		const uint8_t *entry = sec.p, *id_at;
		struct cfi_cursor c;
		struct cfi_cie cie;
		bool dwarf64;
		uint64_t id;

		if (!cfi_cursor__entry(&sec, &c, &dwarf64))
			break; /* the terminator, or the end */
		id_at = c.p;
		id = cfi_cursor__uint(&c, dwarf64 ? 8 : 4);
		if (c.bad)
			continue;
		if (is_cie_id(s, dwarf64, id))
			continue; /* a CIE, read with each of its FDEs */
		if (!find_cie(s, id_at, entry, id, &cie))
			continue;
		err = parse_fde(&c, &cie, &rows, fn, ctx);
		if (err == -EINVAL)
			err = 0;
		else if (!err)
			count++;
	}
	free(rows.v);
	return err ? err : count;
}
int cfi__parse_hdr(const uint8_t *data, size_t size, uint64_t vaddr, struct cfi_hdr *out)
{
	struct cfi_cursor c = {data, data + size, data, vaddr, false};
	uint8_t version, ptr_enc, count_enc;

	memset(out, 0, sizeof(*out));
	version = (uint8_t)cfi_cursor__uint(&c, 1);
	ptr_enc = (uint8_t)cfi_cursor__uint(&c, 1);
	count_enc = (uint8_t)cfi_cursor__uint(&c, 1);
	cfi_cursor__uint(&c, 1); /* table_enc */
	if (c.bad || version != 1 || ptr_enc == PE_OMIT)
		return -EINVAL;
	out->eh_frame_vaddr = cfi_cursor__encoded(&c, ptr_enc, true, vaddr);
	if (count_enc != PE_OMIT)
		out->fde_count = cfi_cursor__encoded(&c, count_enc, true, vaddr);
	return c.bad ? -EINVAL : 0;
}

bool cfi_row__same_rule(const struct cfi_row *a, const struct cfi_row *b)
{
	return a->cfa_kind == b->cfa_kind && a->cfa_reg == b->cfa_reg && a->cfa_off == b->cfa_off &&
	       a->plt_lit == b->plt_lit && a->rbp.kind == b->rbp.kind && a->rbp.reg == b->rbp.reg &&
	       a->rbp.off == b->rbp.off && a->ra.kind == b->ra.kind && a->ra.reg == b->ra.reg &&
	       a->ra.off == b->ra.off;
}
