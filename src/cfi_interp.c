// SPDX-License-Identifier: GPL-2.0
/*
 * The DW_CFA_* interpreter (cfi_interp.h): the register rules leakscope
 * follows (the CFA, rbp, the return address) stepped through an FDE's
 * instructions, a row emitted each time the pc advances. Every instruction
 * consumes input, so arbitrary bytes end in -EINVAL, never in a hang.
 */
#include <errno.h>
#include <stdlib.h>

#include "cfi_interp.h"

#define MAX_STATES 16 /* DW_CFA_remember_state nesting */

struct state {
	uint8_t cfa_kind, cfa_reg, plt_lit;
	int64_t cfa_off;
	struct cfi_rule rbp, ra;
};

static int push_row(struct cfi_rows *r, uint64_t pc, const struct state *s)
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
	struct cfi_cursor c = {e, e + len, e, 0, false};

	if (cfi_cursor__uint(&c, 1) != 0x77)
		return false;
	*off = cfi_cursor__sleb(&c);
	if (cfi_cursor__uint(&c, 1) != 0x80 || cfi_cursor__sleb(&c) != 0 ||
	    cfi_cursor__uint(&c, 1) != 0x3f || cfi_cursor__uint(&c, 1) != 0x1a)
		return false;
	*lit = (uint8_t)cfi_cursor__uint(&c, 1);
	if (*lit < 0x30 || *lit > 0x4f)
		return false;
	*lit -= 0x30;
	return cfi_cursor__uint(&c, 1) == 0x2a && cfi_cursor__uint(&c, 1) == 0x33 &&
	       cfi_cursor__uint(&c, 1) == 0x24 && cfi_cursor__uint(&c, 1) == 0x22 && !c.bad &&
	       c.p == c.end;
}

/* The rule of register `reg` in s, NULL for the registers not tracked. */
static struct cfi_rule *rule_of(struct state *s, const struct cfi_cie *cie, uint64_t reg)
{
	if (reg == CFI_REG_RBP)
		return &s->rbp;
	if (reg == cie->ra_reg)
		return &s->ra;
	return NULL;
}

static void set_rule(struct state *s, const struct cfi_cie *cie, uint64_t reg, uint8_t kind,
		     int64_t off, uint64_t other)
{
	struct cfi_rule *r = rule_of(s, cie, reg);

	if (r)
		*r = (struct cfi_rule){kind, (uint8_t)(other > 255 ? 255 : other), off};
}

struct interp {
	const struct cfi_cie *cie;
	struct state s, initial;
	struct state saved[MAX_STATES];
	int nsaved;
	uint64_t loc, end;
	struct cfi_rows *rows; /* NULL while running the CIE's initial instructions */
	struct cfi_cursor *c;
};

/* DW_CFA_restore: reg's rule back to the one after the CIE's instructions. */
static void restore_rule(struct interp *in, uint64_t reg)
{
	struct cfi_rule *r = rule_of(&in->s, in->cie, reg);

	if (r)
		*r = *rule_of(&in->initial, in->cie, reg);
}

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
	const struct cfi_cie *cie = in->cie;
	struct cfi_cursor *c = in->c;
	int64_t da = cie->data_align;
	uint64_t reg, len;

	switch (op & 0xc0) {
	case 0x40: /* advance_loc */
		return advance(in, (op & 0x3f) * cie->code_align);
	case 0x80: /* offset */
		set_rule(&in->s, cie, op & 0x3f, CFI_RULE_OFFSET, (int64_t)cfi_cursor__uleb(c) * da,
			 0);
		return 0;
	case 0xc0: /* restore */
		restore_rule(in, op & 0x3f);
		return 0;
	}
	switch (op) {
	case 0x00:
		return 0; /* nop */
	case 0x01:	  /* set_loc */
		reg = cfi_cursor__encoded(c, cie->fde_enc, true, 0);
		if (c->bad || reg < in->loc)
			return -EINVAL;
		return advance(in, reg - in->loc);
	case 0x02:
		return advance(in, cfi_cursor__uint(c, 1) * cie->code_align);
	case 0x03:
		return advance(in, cfi_cursor__uint(c, 2) * cie->code_align);
	case 0x04:
		return advance(in, cfi_cursor__uint(c, 4) * cie->code_align);
	case 0x05: /* offset_extended */
		reg = cfi_cursor__uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_OFFSET, (int64_t)cfi_cursor__uleb(c) * da, 0);
		return 0;
	case 0x06: /* restore_extended */
		restore_rule(in, cfi_cursor__uleb(c));
		return 0;
	case 0x07:
		set_rule(&in->s, cie, cfi_cursor__uleb(c), CFI_RULE_UNDEF, 0, 0);
		return 0;
	case 0x08:
		set_rule(&in->s, cie, cfi_cursor__uleb(c), CFI_RULE_SAME, 0, 0);
		return 0;
	case 0x09: /* register */
		reg = cfi_cursor__uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_REGISTER, 0, cfi_cursor__uleb(c));
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
		reg = cfi_cursor__uleb(c);
		in->s.cfa_off = (int64_t)cfi_cursor__uleb(c);
		goto def_cfa_reg;
	case 0x12: /* def_cfa_sf */
		reg = cfi_cursor__uleb(c);
		in->s.cfa_off = cfi_cursor__sleb(c) * da;
		goto def_cfa_reg;
	case 0x0d: /* def_cfa_register */
		reg = cfi_cursor__uleb(c);
	def_cfa_reg:
		in->s.cfa_kind = CFI_CFA_REG;
		in->s.cfa_reg = (uint8_t)(reg > 255 ? 255 : reg);
		in->s.plt_lit = 0;
		return 0;
	case 0x0e:
		in->s.cfa_off = (int64_t)cfi_cursor__uleb(c);
		return 0; /* def_cfa_offset */
	case 0x13:
		in->s.cfa_off = cfi_cursor__sleb(c) * da;
		return 0; /* def_cfa_offset_sf */
	case 0x0f:	  /* def_cfa_expression */
		len = cfi_cursor__uleb(c);
		if (!cfi_cursor__need(c, len))
			return -EINVAL;
		def_cfa_expression(in, c->p, len);
		c->p += len;
		return 0;
	case 0x10: /* expression */
	case 0x16: /* val_expression */
		reg = cfi_cursor__uleb(c);
		len = cfi_cursor__uleb(c);
		if (!cfi_cursor__need(c, len))
			return -EINVAL;
		c->p += len;
		set_rule(&in->s, cie, reg, op == 0x10 ? CFI_RULE_EXPR : CFI_RULE_VAL_EXPR, 0, 0);
		return 0;
	case 0x11: /* offset_extended_sf */
		reg = cfi_cursor__uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_OFFSET, cfi_cursor__sleb(c) * da, 0);
		return 0;
	case 0x14: /* val_offset */
		reg = cfi_cursor__uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_VAL_OFFSET, (int64_t)cfi_cursor__uleb(c) * da,
			 0);
		return 0;
	case 0x15: /* val_offset_sf */
		reg = cfi_cursor__uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_VAL_OFFSET, cfi_cursor__sleb(c) * da, 0);
		return 0;
	case 0x2e:
		cfi_cursor__uleb(c);
		return 0; /* GNU_args_size */
	case 0x2f:	  /* GNU_negative_offset_extended */
		reg = cfi_cursor__uleb(c);
		set_rule(&in->s, cie, reg, CFI_RULE_OFFSET, -(int64_t)cfi_cursor__uleb(c) * da, 0);
		return 0;
	}
	return -EINVAL;
}

static int run(struct interp *in, const uint8_t *p, const uint8_t *end,
	       const struct cfi_cursor *sec)
{
	struct cfi_cursor c = *sec;
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

int cfi_interp__fde(const struct cfi_cie *cie, const struct cfi_cursor *insns, uint64_t start,
		    uint64_t end, struct cfi_rows *rows)
{
	struct interp in = {.cie = cie};
	int err;

	/* the CIE's initial instructions: no rows, they set the initial state */
	in.s.cfa_kind = CFI_CFA_REG;
	err = run(&in, cie->insns, cie->insns_end, insns);
	if (err)
		return err;
	in.initial = in.s;
	in.nsaved = 0;
	in.loc = start;
	in.end = end;
	in.rows = rows;
	rows->n = 0;
	err = run(&in, insns->p, insns->end, insns);
	if (!err)
		err = advance(&in, in.end > in.loc ? in.end - in.loc : 0);
	if (err)
		return err;
	return rows->n ? 0 : -EINVAL;
}
