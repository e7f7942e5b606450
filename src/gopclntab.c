// SPDX-License-Identifier: GPL-2.0
/*
 * The layout, from the Go runtime (runtime/symtab.go, runtime/runtime2.go):
 *
 *   pcHeader  magic u32, pad u8 u8, minLC u8, ptrSize u8, then ptrSize words:
 *             nfunc, nfiles, textStart, funcnameOffset, cuOffset,
 *             filetabOffset, pctabOffset, pclnOffset (from the header);
 *             Go 1.26 writes textStart 0: moduledata.text says it
 *   functab   at pclnOffset: nfunc + 1 pairs {entryoff u32, funcoff u32}
 *             (the last is the end of text); funcoff is from pclnOffset
 *   _func     entryOff u32, nameOff i32, args, deferreturn, pcsp, pcfile,
 *             pcln, npcdata, cuOffset (u32 each), [1.20+: startLine i32],
 *             funcID u8, flag u8, pad u8, nfuncdata u8, then npcdata u32
 *             offsets into pctab and nfuncdata u32 offsets from gofunc
 *   pc tables pairs of varints: zigzag value delta, pc delta; value starts
 *             at -1, a zero value delta after the first pair ends the table
 *   inltree   1.18-1.19 {parent i16, funcID u8, pad, file i32, line i32,
 *             nameOff i32, parentPc i32}; 1.20+ {funcID u8, pad[3],
 *             nameOff i32, parentPc i32, startLine i32}
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gopclntab.h"

#define MAGIC_118	    0xfffffff0u
#define MAGIC_120	    0xfffffff1u
#define PCDATA_INLTREEINDEX 2
#define FUNCDATA_INLTREE    3
#define MAX_INLINE_DEPTH    32

struct gopclntab {
	uint8_t *data;
	size_t len;
	uint8_t *gofunc;
	size_t gofunc_len;
	int format;
	uint64_t nfunc, text_start;
	uint64_t funcname_off, cu_off, filetab_off, pctab_off, pcln_off;
	size_t func_size; /* fixed part of _func */
};

static bool in(const struct gopclntab *t, uint64_t off, uint64_t n)
{
	return off <= t->len && n <= t->len - off;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A NUL-terminated string at `off` from `base` in the table, or NULL. */
static const char *str_at(const struct gopclntab *t, uint64_t base, uint64_t off)
{
	if (base > t->len || off >= t->len - base)
		return NULL;
	if (!memchr(t->data + base + off, '\0', t->len - base - off))
		return NULL;
	return (const char *)t->data + base + off;
}

/* functab entry i: its entry offset and _func offset (in the table) */
static bool ftab(const struct gopclntab *t, uint64_t i, uint32_t *entryoff, uint64_t *func)
{
	uint64_t at = t->pcln_off + i * 8;

	if (i > t->nfunc || !in(t, at, 8))
		return false;
	*entryoff = u32_at(t->data + at);
	if (func) {
		*func = t->pcln_off + u32_at(t->data + at + 4);
		if (!in(t, *func, t->func_size))
			return false;
	}
	return true;
}

static uint32_t func_u32(const struct gopclntab *t, uint64_t func, size_t field)
{
	return u32_at(t->data + func + field);
}

struct gopclntab *gopclntab__new(const void *pcln, size_t len, const void *gofunc,
				 size_t gofunc_len)
{
	const uint8_t *p = pcln;
	struct gopclntab *t;
	uint32_t magic;

	if (!pcln || len < 72)
		goto bad;
	magic = u32_at(p);
	if ((magic != MAGIC_118 && magic != MAGIC_120) || p[4] || p[5] || p[6] != 1 || p[7] != 8)
		goto bad;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->format = magic == MAGIC_118 ? 18 : 20;
	t->func_size = t->format == 18 ? 40 : 44;
	t->nfunc = u64_at(p + 8);
	t->text_start = u64_at(p + 24);
	t->funcname_off = u64_at(p + 32);
	t->cu_off = u64_at(p + 40);
	t->filetab_off = u64_at(p + 48);
	t->pctab_off = u64_at(p + 56);
	t->pcln_off = u64_at(p + 64);
	t->len = len;
	if (t->nfunc == 0 || t->nfunc > len / 8 || !in(t, t->pcln_off, (t->nfunc + 1) * 8) ||
	    t->funcname_off > len || t->cu_off > len || t->filetab_off > len ||
	    t->pctab_off > len) {
		free(t);
		goto bad;
	}
	t->data = malloc(len);
	if (gofunc && gofunc_len)
		t->gofunc = malloc(gofunc_len);
	if (!t->data || (gofunc && gofunc_len && !t->gofunc)) {
		gopclntab__free(t);
		return NULL;
	}
	memcpy(t->data, pcln, len);
	if (t->gofunc) {
		memcpy(t->gofunc, gofunc, gofunc_len);
		t->gofunc_len = gofunc_len;
	}
	return t;
bad:
	errno = ENOEXEC;
	return NULL;
}

void gopclntab__free(struct gopclntab *t)
{
	if (!t)
		return;
	free(t->data);
	free(t->gofunc);
	free(t);
}

int gopclntab__format(const struct gopclntab *t)
{
	return t->format;
}

uint64_t gopclntab__text_start(const struct gopclntab *t)
{
	return t->text_start;
}

void gopclntab__set_text_start(struct gopclntab *t, uint64_t text)
{
	if (!t->text_start)
		t->text_start = text;
}

/* The functab index of the function containing pc, or -1. */
static int64_t find_func(const struct gopclntab *t, uint64_t pc, uint64_t *func)
{
	uint64_t lo = 0, hi = t->nfunc, off;
	uint32_t e, end;

	if (pc < t->text_start || pc - t->text_start > UINT32_MAX)
		return -1;
	off = pc - t->text_start;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (!ftab(t, mid, &e, NULL))
			return -1;
		if (e <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !ftab(t, lo - 1, &e, func) || !ftab(t, lo, &end, NULL) || off >= end)
		return -1;
	return lo - 1;
}

static bool varint(const struct gopclntab *t, uint64_t *at, uint32_t *out)
{
	uint32_t v = 0;
	int shift;

	for (shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*at >= t->len)
			return false;
		b = t->data[(*at)++];
		v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* The value of pc table `table` (an offset into pctab) at `pc`, in the
 * function starting at `entry`; `fallback` when there is none. */
static int32_t pcvalue(const struct gopclntab *t, uint32_t table, uint64_t entry, uint64_t pc,
		       int32_t fallback)
{
	uint64_t at = t->pctab_off + table, cur = entry;
	int32_t val = -1;
	bool first = true;

	if (!table || at >= t->len)
		return fallback;
	for (int steps = 0; steps < 1 << 20; steps++) {
		uint32_t vd, pd;

		if (!varint(t, &at, &vd) || (vd == 0 && !first))
			break;
		first = false;
		val += (int32_t)(-(vd & 1) ^ (vd >> 1));
		if (!varint(t, &at, &pd))
			break;
		cur += pd;
		if (pc < cur)
			return val;
	}
	return fallback;
}

static const char *func_name(const struct gopclntab *t, int32_t name_off)
{
	return name_off < 0 ? NULL : str_at(t, t->funcname_off, (uint64_t)name_off);
}

static const char *file_name(const struct gopclntab *t, uint64_t func, int32_t fileno)
{
	uint64_t cu = func_u32(t, func, 32), at;
	const char *name;

	if (fileno < 0)
		return "";
	at = t->cu_off + (cu + (uint64_t)fileno) * 4;
	if (!in(t, at, 4))
		return "";
	name = str_at(t, t->filetab_off, u32_at(t->data + at));
	return name ? name : "";
}

const char *gopclntab__lookup(const struct gopclntab *t, uint64_t pc, uint64_t *offset)
{
	uint64_t func;
	const char *name;

	if (find_func(t, pc, &func) < 0)
		return NULL;
	name = func_name(t, (int32_t)func_u32(t, func, 4));
	if (name && offset)
		*offset = pc - (t->text_start + func_u32(t, func, 0));
	return name;
}

/* pcdata table i of a function, 0 when it has none */
static uint32_t pcdata(const struct gopclntab *t, uint64_t func, uint32_t i)
{
	uint64_t at = func + t->func_size + 4ull * i;

	if (i >= func_u32(t, func, 28) || !in(t, at, 4))
		return 0;
	return u32_at(t->data + at);
}

/* The offset of the function's inline tree in gofunc, or -1. */
static int64_t inltree(const struct gopclntab *t, uint64_t func)
{
	uint8_t nfuncdata = t->data[func + t->func_size - 1];
	uint64_t at = func + t->func_size + 4ull * func_u32(t, func, 28) + 4 * FUNCDATA_INLTREE;
	uint32_t off;

	if (!t->gofunc || nfuncdata <= FUNCDATA_INLTREE || !in(t, at, 4))
		return -1;
	off = u32_at(t->data + at);
	return off == UINT32_MAX ? -1 : (int64_t)off;
}

size_t gopclntab__frames(const struct gopclntab *t, uint64_t pc, struct go_frame *out, size_t max)
{
	size_t esize = t->format == 18 ? 20 : 16, noff = t->format == 18 ? 12 : 4;
	size_t poff = t->format == 18 ? 16 : 8, n = 0;
	uint32_t pcfile, pcln, inl;
	int64_t tree;
	uint64_t func, entry;
	int32_t ix;

	if (!max || find_func(t, pc, &func) < 0)
		return 0;
	entry = t->text_start + func_u32(t, func, 0);
	pcfile = func_u32(t, func, 20);
	pcln = func_u32(t, func, 24);
	inl = pcdata(t, func, PCDATA_INLTREEINDEX);
	tree = inltree(t, func);
	ix = tree >= 0 ? pcvalue(t, inl, entry, pc, -1) : -1;
	/* up to the outermost call even when `out` is full: its line is the
	 * containing function's */
	for (int depth = 0; ix >= 0 && depth < MAX_INLINE_DEPTH; depth++) {
		uint64_t at = (uint64_t)tree + (uint64_t)ix * esize;
		int32_t parent_pc;
		const char *name;

		if (at > t->gofunc_len || esize > t->gofunc_len - at)
			break;
		name = func_name(t, (int32_t)u32_at(t->gofunc + at + noff));
		parent_pc = (int32_t)u32_at(t->gofunc + at + poff);
		if (n + 1 < max) {
			out[n].function = name ? name : "?";
			out[n].file = file_name(t, func, pcvalue(t, pcfile, entry, pc, -1));
			out[n].line = pcvalue(t, pcln, entry, pc, 0);
			n++;
		}
		if (parent_pc < 0)
			break;
		pc = entry + (uint64_t)parent_pc;
		ix = pcvalue(t, inl, entry, pc, -1);
	}
	out[n].function = func_name(t, (int32_t)func_u32(t, func, 4));
	if (!out[n].function)
		out[n].function = "?";
	out[n].file = file_name(t, func, pcvalue(t, pcfile, entry, pc, -1));
	out[n].line = pcvalue(t, pcln, entry, pc, 0);
	return n + 1;
}

int gopclntab__find(const struct gopclntab *t, const char *name, uint64_t *entry, uint64_t *size)
{
	for (uint64_t i = 0; i < t->nfunc; i++) {
		uint32_t e, end;
		uint64_t func;
		const char *n;

		if (!ftab(t, i, &e, &func) || !ftab(t, i + 1, &end, NULL))
			continue;
		n = func_name(t, (int32_t)func_u32(t, func, 4));
		if (n && !strcmp(n, name)) {
			*entry = t->text_start + e;
			*size = end > e ? end - e : 0;
			return 0;
		}
	}
	return -ENOENT;
}
