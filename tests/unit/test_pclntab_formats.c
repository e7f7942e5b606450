// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of gopclntab on synthetic tables in both formats it reads: Go
 * 1.18-1.19 (magic 0xfffffff0) and Go 1.20 and later (0xfffffff1, whose
 * _func has a startLine and whose inline tree entries are laid out anew).
 * Only Go 1.19 is installed here, so the 1.20 layout is built by hand from
 * the runtime's sources (runtime/runtime2.go _func, runtime/symtab_inl.go
 * inlinedCall) and must read the same as the 1.18 one.
 *
 * Two functions at textStart 0x401000:
 *   main.outer  [0x00, 0x40)  main.go; at [0x10, 0x20) main.inner (lib.go)
 *               is inlined, called at 0x08 (main.go:11), and in it at
 *               [0x14, 0x18) main.leaf (lib.go:30), called at 0x12 (lib.go:20)
 *   main.other  [0x40, 0x60)  main.go:50, nothing inlined
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gopclntab.h"

#define TEXT 0x401000

struct buf {
	uint8_t b[2048];
	size_t len;
};

static size_t put(struct buf *b, const void *p, size_t n)
{
	size_t at = b->len;

	memcpy(b->b + at, p, n);
	b->len += n;
	return at;
}

static size_t put32(struct buf *b, uint32_t v)
{
	return put(b, &v, 4);
}

static void put_varint(struct buf *b, uint32_t v)
{
	for (; v >= 0x80; v >>= 7) {
		uint8_t c = (uint8_t)(v | 0x80);

		put(b, &c, 1);
	}
	put(b, &v, 1); /* little-endian: the low byte */
}

/* A pc-value table of `n` {value, end pc} runs from pc 0, as the linker
 * writes it: zigzag value deltas from -1, pc deltas, a 0 to end. Returns its
 * offset in `pctab`. */
static uint32_t pc_table(struct buf *pctab, const int32_t (*runs)[2], size_t n)
{
	size_t at = pctab->len;
	int32_t val = -1, pc = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t d = runs[i][0] - val;

		put_varint(pctab, ((uint32_t)d << 1) ^ (uint32_t)(d >> 31)); /* zigzag */
		put_varint(pctab, (uint32_t)(runs[i][1] - pc));
		val = runs[i][0];
		pc = runs[i][1];
	}
	put_varint(pctab, 0);
	return (uint32_t)at;
}

/* Offsets of the names in funcnametab */
enum { OUTER = 0, INNER = 11, LEAF = 22, OTHER = 32 };
static const char funcnames[] = "main.outer\0main.inner\0main.leaf\0main.other";

/* An inlined call in the layout of `format`: the function, the pc in the
 * outer function's code that stands for its call, its parent (1.18). */
static void inline_entry(struct buf *g, int format, int16_t parent, int32_t name, int32_t parent_pc)
{
	if (format == 18) {
		put(g, &parent, 2);
		put32(g, 0); /* funcID, pad, and half of file: unused */
		put(g, "\0\0", 2);
		put32(g, 0); /* line: unused, the pc tables have it */
		put32(g, (uint32_t)name);
		put32(g, (uint32_t)parent_pc);
	} else {
		put32(g, 0); /* funcID, pad[3] */
		put32(g, (uint32_t)name);
		put32(g, (uint32_t)parent_pc);
		put32(g, 0); /* startLine */
	}
}

/* _func: entryOff, nameOff, args, deferreturn, pcsp, pcfile, pcln, npcdata,
 * cuOffset, [1.20: startLine], funcID, flag, pad, nfuncdata; then the
 * pcdata and funcdata offsets. */
static void put_func(struct buf *f, int format, uint32_t entry, int32_t name, uint32_t pcfile,
		     uint32_t pcln, uint32_t inl, int64_t inltree)
{
	uint32_t fixed[] = {entry, (uint32_t)name, 0, 0, 0, pcfile, pcln, inl ? 3 : 0, 0};
	uint8_t tail[4] = {0, 0, 0, inltree >= 0 ? 4 : 0};

	put(f, fixed, sizeof(fixed));
	if (format == 20)
		put32(f, 9); /* startLine */
	put(f, tail, sizeof(tail));
	if (inl) {
		put32(f, 0); /* PCDATA_UnsafePoint, _StackMapIndex: none */
		put32(f, 0);
		put32(f, inl); /* PCDATA_InlTreeIndex */
	}
	if (inltree >= 0) {
		for (int i = 0; i < 3; i++)
			put32(f, UINT32_MAX);
		put32(f, (uint32_t)inltree); /* FUNCDATA_InlTree, from gofunc */
	}
}

/* The whole table in `out`, its inline trees in `gofunc`. */
static void build(int format, struct buf *out, struct buf *gofunc)
{
	static const int32_t outer_lines[][2] = {{10, 0x08}, {11, 0x10}, {20, 0x14},
						 {30, 0x18}, {21, 0x20}, {12, 0x40}};
	static const int32_t outer_files[][2] = {{0, 0x10}, {1, 0x20}, {0, 0x40}};
	static const int32_t outer_inl[][2] = {
	    {-1, 0x10}, {0, 0x14}, {1, 0x18}, {0, 0x20}, {-1, 0x40}};
	static const int32_t other_lines[][2] = {{50, 0x20}}, other_files[][2] = {{0, 0x20}};
	struct buf pctab = {.len = 1}, funcs = {0}; /* offset 0 in pctab: no table */
	uint32_t outer_ln = pc_table(&pctab, outer_lines, 6),
		 outer_fl = pc_table(&pctab, outer_files, 3),
		 outer_in = pc_table(&pctab, outer_inl, 5),
		 other_ln = pc_table(&pctab, other_lines, 1),
		 other_fl = pc_table(&pctab, other_files, 1);
	uint64_t hdr[8] = {2, 2, TEXT};
	uint32_t magic = format == 18 ? 0xfffffff0 : 0xfffffff1, func_off[2];

	memset(gofunc, 0, sizeof(*gofunc));
	put32(gofunc, 0xdeadbeef); /* the tree is somewhere in go.func.* */
	inline_entry(gofunc, format, -1, INNER, 0x08);
	inline_entry(gofunc, format, 0, LEAF, 0x12);
	func_off[0] = 3 * 8; /* after the functab */
	put_func(&funcs, format, 0x00, OUTER, outer_fl, outer_ln, outer_in, 4);
	func_off[1] = 3 * 8 + (uint32_t)funcs.len;
	put_func(&funcs, format, 0x40, OTHER, other_fl, other_ln, 0, -1);

	memset(out, 0, sizeof(*out));
	put32(out, magic);
	put(out, "\0\0\1\10", 4);
	put(out, hdr, 3 * 8); /* nfunc, nfiles, textStart; offsets below */
	out->len = 72;
	hdr[3] = put(out, funcnames, sizeof(funcnames));
	hdr[4] = put32(out, 0); /* cutab: CU 0's files, from filetab */
	put32(out, 8);
	hdr[5] = put(out, "main.go\0lib.go", 15);
	hdr[6] = put(out, pctab.b, pctab.len);
	while (out->len % 4)
		put(out, "", 1);
	hdr[7] = put32(out, 0x00); /* functab: {entryoff, funcoff}, end of text */
	put32(out, func_off[0]);
	put32(out, 0x40);
	put32(out, func_off[1]);
	put32(out, 0x60);
	put32(out, 0);
	put(out, funcs.b, funcs.len);
	memcpy(out->b + 32, hdr + 3, 5 * 8);
}

static void check_frame(const struct go_frame *f, const char *fn, const char *file, int line)
{
	CHECK_STR(f->function, fn);
	CHECK_STR(f->file, file);
	CHECK_U64(f->line, line);
}

static void test_format(int format)
{
	struct buf pcln, gofunc;
	struct gopclntab *t, *bare;
	struct go_frame f[8];
	uint64_t off = 0, entry, size;

	build(format, &pcln, &gofunc);
	t = gopclntab__new(pcln.b, pcln.len, gofunc.b, gofunc.len);
	if (!CHECK(t != NULL))
		return;
	CHECK_U64(gopclntab__format(t), format);
	CHECK_U64(gopclntab__text_start(t), TEXT);
	CHECK_STR(gopclntab__lookup(t, TEXT + 0x15, &off), "main.outer");
	CHECK_U64(off, 0x15);
	CHECK_STR(gopclntab__lookup(t, TEXT + 0x5f, &off), "main.other");
	CHECK_STR(gopclntab__lookup(t, TEXT + 0x60, NULL), NULL); /* the end of text */
	CHECK_STR(gopclntab__lookup(t, TEXT - 1, NULL), NULL);

	/* two calls deep: the innermost first, each at its line */
	if (CHECK(gopclntab__frames(t, TEXT + 0x15, f, 8) == 3)) {
		check_frame(&f[0], "main.leaf", "lib.go", 30);
		check_frame(&f[1], "main.inner", "lib.go", 20);
		check_frame(&f[2], "main.outer", "main.go", 11);
	}
	/* room for two: the innermost, and the function at its outermost call */
	CHECK_U64(gopclntab__frames(t, TEXT + 0x15, f, 2), 2);
	check_frame(&f[0], "main.leaf", "lib.go", 30);
	check_frame(&f[1], "main.outer", "main.go", 11);
	CHECK_U64(gopclntab__frames(t, TEXT + 0x1c, f, 8), 2);
	check_frame(&f[0], "main.inner", "lib.go", 21);
	check_frame(&f[1], "main.outer", "main.go", 11);
	CHECK_U64(gopclntab__frames(t, TEXT + 0x08, f, 8), 1);
	check_frame(&f[0], "main.outer", "main.go", 11);
	CHECK_U64(gopclntab__frames(t, TEXT + 0x4a, f, 8), 1);
	check_frame(&f[0], "main.other", "main.go", 50);
	CHECK_U64(gopclntab__frames(t, TEXT + 0x60, f, 8), 0);

	CHECK_U64(gopclntab__find(t, "main.other", &entry, &size), 0);
	CHECK_U64(entry, TEXT + 0x40);
	CHECK_U64(size, 0x20);
	CHECK_U64((uint64_t)(int64_t)gopclntab__find(t, "main.inner", &entry, &size),
		  (uint64_t)(int64_t)-ENOENT); /* only inlined: no function of its own */

	/* without go.func.*: the containing function only */
	bare = gopclntab__new(pcln.b, pcln.len, NULL, 0);
	if (CHECK(bare != NULL) && CHECK(gopclntab__frames(bare, TEXT + 0x15, f, 8) == 1))
		CHECK_STR(f[0].function, "main.outer");
	gopclntab__free(bare);
	/* an inline tree cut short is not read past its end */
	bare = gopclntab__new(pcln.b, pcln.len, gofunc.b, 4 + (format == 18 ? 20 : 16));
	if (CHECK(bare != NULL))
		CHECK_U64(gopclntab__frames(bare, TEXT + 0x15, f, 8), 1);
	gopclntab__free(bare);
	gopclntab__free(t);
}

int main(void)
{
	test_format(18);
	test_format(20);
	return check_report("test_pclntab_formats");
}
