// SPDX-License-Identifier: GPL-2.0
/*
 * CIE/FDE reading and the DW_CFA_* interpreter. Every read goes through a
 * cursor that knows its end; every loop consumes input, so arbitrary bytes
 * end in a skipped FDE, never in a crash or a hang.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"

#define MAX_STATES 16 /* DW_CFA_remember_state nesting */

/* DW_EH_PE_* pointer encodings */
#define PE_OMIT	    0xff
#define PE_FORMAT   0x0f
#define PE_APPLY    0x70
#define PE_PCREL    0x10
#define PE_DATAREL  0x30
#define PE_ALIGNED  0x50
#define PE_INDIRECT 0x80

struct cursor {
	const uint8_t *p, *end;
	const uint8_t *base; /* data[0] of the section, loaded at vaddr */
	uint64_t vaddr;
	bool bad;
};

static bool need(struct cursor *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return false;
	}
	return true;
}

static uint64_t read_uint(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	if (!need(c, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

/* The 7-bit groups of a LEB128 number; `shift` and `last` say where it
 * ended, for sleb() to extend the sign. */
static uint64_t leb_bits(struct cursor *c, unsigned int *shift, uint8_t *last)
{
	uint64_t v = 0;
	uint8_t b;

	*shift = 0;
	do {
		if (!need(c, 1))
			return 0;
		b = *c->p++;
		if (*shift < 64)
			v |= (uint64_t)(b & 0x7f) << *shift;
		*shift += 7;
	} while (b & 0x80);
	*last = b;
	return v;
}

static uint64_t uleb(struct cursor *c)
{
	unsigned int shift;
	uint8_t last;

	return leb_bits(c, &shift, &last);
}

static int64_t sleb(struct cursor *c)
{
	unsigned int shift = 0;
	uint8_t last = 0;
	uint64_t v = leb_bits(c, &shift, &last);

	if (shift < 64 && (last & 0x40))
		v |= ~0ULL << shift;
	return (int64_t)v;
}

/* A pointer in encoding enc; `apply` false reads the value alone (pc_range). */
static uint64_t read_encoded(struct cursor *c, uint8_t enc, bool apply, uint64_t data_base)
{
	uint64_t pos = c->vaddr + (uint64_t)(c->p - c->base), v;

	if (enc == PE_OMIT)
		return 0;
	if ((enc & PE_APPLY) == PE_ALIGNED) {
		size_t pad = (8 - (pos & 7)) & 7;

		if (!need(c, pad))
			return 0;
		c->p += pad;
		return read_uint(c, 8);
	}
	switch (enc & PE_FORMAT) {
	case 0x00:
		v = read_uint(c, 8);
		break; /* absptr */
	case 0x01:
		v = uleb(c);
		break;
	case 0x02:
		v = read_uint(c, 2);
		break;
	case 0x03:
		v = read_uint(c, 4);
		break;
	case 0x04:
		v = read_uint(c, 8);
		break;
	case 0x09:
		v = (uint64_t)sleb(c);
		break;
	case 0x0a:
		v = (uint64_t)(int16_t)read_uint(c, 2);
		break;
	case 0x0b:
		v = (uint64_t)(int32_t)read_uint(c, 4);
		break;
	case 0x0c:
		v = read_uint(c, 8);
		break;
	default:
		c->bad = true;
		return 0;
	}
	if (!apply)
		return v;
	switch (enc & PE_APPLY) {
	case 0:
		break;
	case PE_PCREL:
		v += pos;
		break;
	case PE_DATAREL:
		v += data_base;
		break;
	default:
		c->bad = true; /* textrel, funcrel: not emitted for x86-64 */
	}
	if (enc & PE_INDIRECT)
		c->bad = true; /* would need the loaded image */
	return v;
}

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	bool has_aug_data; /* 'z' */
	bool debug_frame;
	const uint8_t *insns, *insns_end;
};

/* CIE at c (after its length and id): fills cie, false when unusable. */
static bool parse_cie(struct cursor *c, bool debug_frame, struct cie *cie)
{
	const char *aug;
	size_t auglen;
	uint8_t version = (uint8_t)read_uint(c, 1);

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
		if (read_uint(c, 1) != 8 || read_uint(c, 1) != 0)
			return false;
	}
	cie->code_align = uleb(c);
	cie->data_align = sleb(c);
	cie->ra_reg = version == 1 ? read_uint(c, 1) : uleb(c);
	cie->fde_enc = 0; /* absptr */
	if (auglen && aug[0] == 'z') {
		uint64_t len = uleb(c);
		struct cursor a = *c;

		if (c->bad || len > (uint64_t)(c->end - c->p))
			return false;
		a.end = c->p + len;
		for (size_t i = 1; i < auglen; i++) {
			switch (aug[i]) {
			case 'R':
				cie->fde_enc = (uint8_t)read_uint(&a, 1);
				break;
			case 'L':
				read_uint(&a, 1);
				break;
			case 'P':
				read_encoded(&a, (uint8_t)read_uint(&a, 1) & 0x7f, false, 0);
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

struct state {
	uint8_t cfa_kind, cfa_reg, plt_lit;
	int64_t cfa_off;
	struct cfi_rule rbp, ra;
};

struct rows {
	struct cfi_row *v;
	size_t n, cap;
};

static int push_row(struct rows *r, uint64_t pc, const struct state *s)
{
	struct cfi_row *row;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct cfi_row *nv = realloc(r->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->v = nv;
		r->cap = cap;
	}
	row = &r->v[r->n++];
	*row = (struct cfi_row){pc, s->cfa_kind, s->cfa_reg, s->plt_lit, s->cfa_off, s->rbp, s->ra};
	return 0;
}

/* ld's .plt CFA: DW_OP_breg7 K; breg16 0; lit15; and; litN; ge; lit3; shl; plus */
static bool is_plt_expr(const uint8_t *e, size_t len, int64_t *off, uint8_t *lit)
{
	struct cursor c = {e, e + len, e, 0, false};

	if (read_uint(&c, 1) != 0x77)
		return false;
	*off = sleb(&c);
	if (read_uint(&c, 1) != 0x80 || sleb(&c) != 0 || read_uint(&c, 1) != 0x3f ||
	    read_uint(&c, 1) != 0x1a)
		return false;
	*lit = (uint8_t)read_uint(&c, 1);
	if (*lit < 0x30 || *lit > 0x4f)
		return false;
	*lit -= 0x30;
	return read_uint(&c, 1) == 0x2a && read_uint(&c, 1) == 0x33 && read_uint(&c, 1) == 0x24 &&
	       read_uint(&c, 1) == 0x22 && !c.bad && c.p == c.end;
}

/* The rule of register `reg` in s, NULL for the registers not tracked. */
static struct cfi_rule *rule_of(struct state *s, const struct cie *cie, uint64_t reg)
{
	if (reg == CFI_REG_RBP)
		return &s->rbp;
	if (reg == cie->ra_reg)
		return &s->ra;
	return NULL;
}

static void set_rule(struct state *s, const struct cie *cie, uint64_t reg, uint8_t kind,
		     int64_t off, uint64_t other)
{
	struct cfi_rule *r = rule_of(s, cie, reg);

	if (r)
		*r = (struct cfi_rule){kind, (uint8_t)(other > 255 ? 255 : other), off};
}

struct interp {
	const struct cie *cie;
	struct state s, initial;
	struct state saved[MAX_STATES];
	int nsaved;
	uint64_t loc, end;
	struct rows *rows; /* NULL while running the CIE's initial instructions */
	struct cursor *c;
};

/* Moves to pc `to`, emitting the row of the state so far. */
static int advance(struct interp *in, uint64_t delta)
{
	uint64_t to = in->loc + delta;
	int err;

	if (!in->rows)
		return 0;
	if (to < in->loc) /* wrapped */
		return -EINVAL;
	if (to > in->loc && in->loc < in->end) {
		err = push_row(in->rows, in->loc, &in->s);
		if (err)
			return err;
	}
	in->loc = to;
	return 0;
}

static void def_cfa_expression(struct interp *in, const uint8_t *e, uint64_t len)
{
	int64_t off;
	uint8_t lit;

	if (is_plt_expr(e, len, &off, &lit)) {
		in->s.cfa_kind = CFI_CFA_PLT;
		in->s.cfa_reg = CFI_REG_RSP;
		in->s.cfa_off = off;
		in->s.plt_lit = lit;
	} else {
		in->s.cfa_kind = CFI_CFA_EXPR;
		in->s.cfa_reg = 0;
		in->s.cfa_off = 0;
		in->s.plt_lit = 0;
	}
}

/* One DW_CFA_* instruction: 0, -EINVAL (the FDE is unusable) or -ENOMEM. */
static int step(struct interp *in, uint8_t op)
{
	const struct cie *cie = in->cie;
	struct cursor *c = in->c;
	int64_t da = cie->data_align;
	uint64_t reg, len;
	struct cfi_rule *r;

	switch (op & 0xc0) {
	case 0x40: /* advance_loc */
		return advance(in, (op & 0x3f) * cie->code_align);
	case 0x80: /* offset */
		set_rule(&in->s, cie, op & 0x3f, CFI_RULE_OFFSET, (int64_t)uleb(c) * da, 0);
		return 0;
	case 0xc0: /* restore */
		r = rule_of(&in->s, cie, op & 0x3f);
		if (r)
			*r = *rule_of(&in->initial, cie, op & 0x3f);
		return 0;
	}
	switch (op) {
	case 0x00:
		return 0; /* nop */
	case 0x01:	  /* set_loc */
		reg = read_encoded(c, cie->fde_enc, true, 0);
		if (c->bad || reg < in->loc)
			return -EINVAL;
		return advance(in, reg - in->loc);
	case 0x02:
		return advance(in, read_uint(c, 1) * cie->code_align);
	case 0x03:
		return advance(in, read_uint(c, 2) * cie->code_align);
	case 0x04:
		return advance(in, read_uint(c, 4) * cie->code_align);
	case 0x05: /* offset_extended */
		reg = uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_OFFSET, (int64_t)uleb(c) * da, 0);
		return 0;
	case 0x06: /* restore_extended */
		reg = uleb(c);
		r = rule_of(&in->s, cie, reg);
		if (r)
			*r = *rule_of(&in->initial, cie, reg);
		return 0;
	case 0x07:
		set_rule(&in->s, cie, uleb(c), CFI_RULE_UNDEF, 0, 0);
		return 0;
	case 0x08:
		set_rule(&in->s, cie, uleb(c), CFI_RULE_SAME, 0, 0);
		return 0;
	case 0x09: /* register */
		reg = uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_REGISTER, 0, uleb(c));
		return 0;
	case 0x0a: /* remember_state */
		if (in->nsaved == MAX_STATES)
			return -EINVAL;
		in->saved[in->nsaved++] = in->s;
		return 0;
	case 0x0b: /* restore_state */
		if (!in->nsaved)
			return -EINVAL;
		in->s = in->saved[--in->nsaved];
		return 0;
	case 0x0c: /* def_cfa */
		reg = uleb(c);
		in->s.cfa_off = (int64_t)uleb(c);
		goto def_cfa_reg;
	case 0x12: /* def_cfa_sf */
		reg = uleb(c);
		in->s.cfa_off = sleb(c) * da;
		goto def_cfa_reg;
	case 0x0d: /* def_cfa_register */
		reg = uleb(c);
	def_cfa_reg:
		in->s.cfa_kind = CFI_CFA_REG;
		in->s.cfa_reg = (uint8_t)(reg > 255 ? 255 : reg);
		in->s.plt_lit = 0;
		return 0;
	case 0x0e:
		in->s.cfa_off = (int64_t)uleb(c);
		return 0; /* def_cfa_offset */
	case 0x13:
		in->s.cfa_off = sleb(c) * da;
		return 0; /* def_cfa_offset_sf */
	case 0x0f:	  /* def_cfa_expression */
		len = uleb(c);
		if (!need(c, len))
			return -EINVAL;
		def_cfa_expression(in, c->p, len);
		c->p += len;
		return 0;
	case 0x10: /* expression */
	case 0x16: /* val_expression */
		reg = uleb(c);
		len = uleb(c);
		if (!need(c, len))
			return -EINVAL;
		c->p += len;
		set_rule(&in->s, cie, reg, op == 0x10 ? CFI_RULE_EXPR : CFI_RULE_VAL_EXPR, 0, 0);
		return 0;
	case 0x11: /* offset_extended_sf */
		reg = uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_OFFSET, sleb(c) * da, 0);
		return 0;
	case 0x14: /* val_offset */
		reg = uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_VAL_OFFSET, (int64_t)uleb(c) * da, 0);
		return 0;
	case 0x15: /* val_offset_sf */
		reg = uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_VAL_OFFSET, sleb(c) * da, 0);
		return 0;
	case 0x2e:
		uleb(c);
		return 0; /* GNU_args_size */
	case 0x2f:	  /* GNU_negative_offset_extended */
		reg = uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_OFFSET, -(int64_t)uleb(c) * da, 0);
		return 0;
	}
	return -EINVAL;
}

static int run(struct interp *in, const uint8_t *p, const uint8_t *end, const struct cursor *sec)
{
	struct cursor c = *sec;
	int err = 0;

	c.p = p;
	c.end = end;
	c.bad = false;
	in->c = &c;
	while (c.p < c.end) {
		err = step(in, *c.p++);
		if (!err && c.bad)
			err = -EINVAL;
		if (err)
			break;
	}
	in->c = NULL;
	return err;
}

/* One FDE whose fields start at c (after the CIE pointer). */
static int parse_fde(struct cursor *c, const struct cie *cie, struct rows *rows, cfi_fde_fn fn,
		     void *ctx)
{
	struct interp in = {.cie = cie};
	uint64_t start, range;
	int err;

	start = cie->debug_frame ? read_uint(c, 8) : read_encoded(c, cie->fde_enc, true, 0);
	range = cie->debug_frame ? read_uint(c, 8)
				 : read_encoded(c, cie->fde_enc & PE_FORMAT, false, 0);
	if (cie->has_aug_data) {
		uint64_t len = uleb(c);

		if (!need(c, len))
			return -EINVAL;
		c->p += len;
	}
	if (c->bad || !range || range > UINT32_MAX || start + range < start)
		return -EINVAL;
	/* the CIE's initial instructions: no rows, they set the initial state */
	in.s.cfa_kind = CFI_CFA_REG;
	err = run(&in, cie->insns, cie->insns_end, c);
	if (err)
		return err;
	in.initial = in.s;
	in.nsaved = 0;
	in.loc = start;
	in.end = start + range;
	in.rows = rows;
	rows->n = 0;
	err = run(&in, c->p, c->end, c);
	if (!err)
		err = advance(&in, in.end > in.loc ? in.end - in.loc : 0);
	if (err)
		return err;
	if (!rows->n)
		return -EINVAL;
	return fn(ctx, start, in.end, rows->v, rows->n);
}

/* The CIE an FDE at `entry` (its id field at id_at, holding id) points to. */
static bool find_cie(const struct cfi_section *s, const uint8_t *id_at, const uint8_t *entry,
		     uint64_t id, struct cie *cie)
{
	/* .eh_frame: id is the distance back to the CIE; .debug_frame: its offset */
	uint64_t off = s->debug_frame ? id : (uint64_t)(id_at - s->data) - id, len, cid;
	struct cursor c = {s->data, s->data + s->size, s->data, s->vaddr, false};
	bool dwarf64;

	if (!s->debug_frame && id > (uint64_t)(id_at - s->data))
		return false;
	if (off >= s->size || s->data + off == entry)
		return false;
	c.p = s->data + off;
	len = read_uint(&c, 4);
	dwarf64 = len == 0xffffffff;
	if (dwarf64)
		len = read_uint(&c, 8);
	if (c.bad || len > (uint64_t)(c.end - c.p))
		return false;
	c.end = c.p + len;
	cid = read_uint(&c, dwarf64 ? 8 : 4);
	if (c.bad || cid != (s->debug_frame ? (dwarf64 ? ~0ULL : 0xffffffffULL) : 0))
		return false;
	return parse_cie(&c, s->debug_frame, cie);
}

int cfi__parse(const struct cfi_section *s, cfi_fde_fn fn, void *ctx)
{
	struct cursor sec = {s->data, s->data + s->size, s->data, s->vaddr, false};
	struct rows rows = {0};
	int count = 0, err = 0;

	while (sec.p < sec.end && !err) {
		const uint8_t *entry = sec.p, *id_at;
		uint64_t len = read_uint(&sec, 4), id;
		bool dwarf64 = len == 0xffffffff;
		struct cursor c = sec;
		struct cie cie;

		if (dwarf64)
			len = read_uint(&sec, 8);
		if (sec.bad || len == 0 || len > (uint64_t)(sec.end - sec.p))
			break; /* the terminator, or the end */
		c.p = sec.p;
		c.end = sec.p + len;
		sec.p += len;
		id_at = c.p;
		id = read_uint(&c, dwarf64 ? 8 : 4);
		if (c.bad)
			continue;
		if (s->debug_frame ? id == (dwarf64 ? ~0ULL : 0xffffffffULL) : id == 0)
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
	struct cursor c = {data, data + size, data, vaddr, false};
	uint8_t version, ptr_enc, count_enc;

	memset(out, 0, sizeof(*out));
	version = (uint8_t)read_uint(&c, 1);
	ptr_enc = (uint8_t)read_uint(&c, 1);
	count_enc = (uint8_t)read_uint(&c, 1);
	read_uint(&c, 1); /* table_enc */
	if (c.bad || version != 1 || ptr_enc == PE_OMIT)
		return -EINVAL;
	out->eh_frame_vaddr = read_encoded(&c, ptr_enc, true, vaddr);
	if (count_enc != PE_OMIT)
		out->fde_count = read_encoded(&c, count_enc, true, vaddr);
	return c.bad ? -EINVAL : 0;
}

bool cfi_row__same_rule(const struct cfi_row *a, const struct cfi_row *b)
{
	return a->cfa_kind == b->cfa_kind && a->cfa_reg == b->cfa_reg && a->cfa_off == b->cfa_off &&
	       a->plt_lit == b->plt_lit && a->rbp.kind == b->rbp.kind && a->rbp.reg == b->rbp.reg &&
	       a->rbp.off == b->rbp.off && a->ra.kind == b->ra.kind && a->ra.reg == b->ra.reg &&
	       a->ra.off == b->ra.off;
}
