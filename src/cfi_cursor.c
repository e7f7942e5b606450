// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded byte reader of call frame information (cfi_cursor.h): every
 * read knows its end, so arbitrary bytes end in a bad cursor, never in a
 * read past the buffer.
 */
#include "cfi_cursor.h"

bool cfi_cursor__need(struct cfi_cursor *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return false;
	}
	return true;
}

uint64_t cfi_cursor__uint(struct cfi_cursor *c, size_t n)
{
	uint64_t v = 0;

	if (!cfi_cursor__need(c, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

/* The 7-bit groups of a LEB128 number; `shift` and `last` say where it
 * ended, for cfi_cursor__sleb() to extend the sign. */
static uint64_t leb_bits(struct cfi_cursor *c, unsigned int *shift, uint8_t *last)
{
	uint64_t v = 0;
	uint8_t b;

	*shift = 0;
	do {
		if (!cfi_cursor__need(c, 1))
			return 0;
		b = *c->p++;
		if (*shift < 64)
			v |= (uint64_t)(b & 0x7f) << *shift;
		*shift += 7;
	} while (b & 0x80);
	*last = b;
	return v;
}

uint64_t cfi_cursor__uleb(struct cfi_cursor *c)
{
	unsigned int shift;
	uint8_t last;

	return leb_bits(c, &shift, &last);
}

int64_t cfi_cursor__sleb(struct cfi_cursor *c)
{
	unsigned int shift = 0;
	uint8_t last = 0;
	uint64_t v = leb_bits(c, &shift, &last);

	if (shift < 64 && (last & 0x40))
		v |= ~0ULL << shift;
	return (int64_t)v;
}

uint64_t cfi_cursor__encoded(struct cfi_cursor *c, uint8_t enc, bool apply, uint64_t data_base)
{
	uint64_t pos = c->vaddr + (uint64_t)(c->p - c->base), v;

	if (enc == PE_OMIT)
		return 0;
	if ((enc & PE_APPLY) == PE_ALIGNED) {
		size_t pad = (8 - (pos & 7)) & 7;

		if (!cfi_cursor__need(c, pad))
			return 0;
		c->p += pad;
		return cfi_cursor__uint(c, 8);
	}
	switch (enc & PE_FORMAT) {
	case 0x00: /* absptr */
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		v = cfi_cursor__uint(c, 8);
		break;
	case 0x01:
		v = cfi_cursor__uleb(c);
		break;
	case 0x02:
		v = cfi_cursor__uint(c, 2);
		break;
	case 0x03:
		v = cfi_cursor__uint(c, 4);
		break;
	case 0x09:
		v = (uint64_t)cfi_cursor__sleb(c);
		break;
	case 0x0a:
		v = (uint64_t)(int16_t)cfi_cursor__uint(c, 2);
		break;
	case 0x0b:
		v = (uint64_t)(int32_t)cfi_cursor__uint(c, 4);
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

bool cfi_cursor__entry(struct cfi_cursor *c, struct cfi_cursor *body, bool *dwarf64)
{
	uint64_t len = cfi_cursor__uint(c, 4);

	*dwarf64 = len == 0xffffffff;
	if (*dwarf64)
		len = cfi_cursor__uint(c, 8);
	if (c->bad || len == 0 || len > (uint64_t)(c->end - c->p))
		return false;
	*body = *c;
	body->end = c->p + len;
	c->p += len;
	return true;
}
