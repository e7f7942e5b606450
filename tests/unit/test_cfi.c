// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the CFI parser and the unwind table builder.
 *
 * Golden: for several binaries (libc, libstdc++, fixtures with .eh_frame and
 * with .debug_frame, this test itself) the builder's rows must equal what
 * `readelf --debug-dump=frames-interp` says, as (pc, CFA rule, rbp rule, return
 * address rule) after both are normalised the same way: FDEs sorted, the
 * first section's FDE winning an overlap, gaps marked, identical consecutive
 * rows merged, "never mentioned" and "same value" both meaning unchanged.
 * Then hand-made CFI for what binaries rarely have, and the compact rows.
 *
 *   build/unit/test_cfi build/unit/fixtures
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfi.h"
#include "check.h"
#include "unwind_table.h"

#define LINE 96

static const char *regname(unsigned int r)
{
	static const char *names[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
				      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	static char buf[16];

	if (r < 16)
		return names[r];
	if (r == 16)
		return "rip";
	snprintf(buf, sizeof(buf), "r%u", r);
	return buf;
}

static void rule_str(const struct cfi_rule *r, bool is_ra, char *out, size_t n)
{
	switch (r->kind) {
	case CFI_RULE_SAME:
	case CFI_RULE_UNDEF:
		snprintf(out, n, "%s", is_ra ? "u" : "s");
		break;
	case CFI_RULE_OFFSET:
		snprintf(out, n, "c%+" PRId64, r->off);
		break;
	case CFI_RULE_VAL_OFFSET:
		snprintf(out, n, "v%+" PRId64, r->off);
		break;
	case CFI_RULE_REGISTER:
		snprintf(out, n, "r%u", r->reg);
		break;
	case CFI_RULE_EXPR:
		snprintf(out, n, "exp");
		break;
	default:
		snprintf(out, n, "vexp");
	}
}

/* A row as "pc cfa rbp ra", readelf's words. */
static void row_str(const struct cfi_row *r, char *out)
{
	char cfa[24], rbp[16], ra[16];

	if (r->cfa_kind == CFI_CFA_NONE) {
		snprintf(out, LINE, "%" PRIx64 " -", r->pc);
		return;
	}
	if (r->cfa_kind == CFI_CFA_REG)
		snprintf(cfa, sizeof(cfa), "%s%+" PRId64, regname(r->cfa_reg), r->cfa_off);
	else
		snprintf(cfa, sizeof(cfa), "exp");
	rule_str(&r->rbp, false, rbp, sizeof(rbp));
	rule_str(&r->ra, true, ra, sizeof(ra));
	snprintf(out, LINE, "%" PRIx64 " %s %s %s", r->pc, cfa, rbp, ra);
}

/* ---- readelf's side ---- */

struct rrow {
	uint64_t pc;
	char cfa[24], rbp[16], ra[16];
};

struct rfde {
	uint64_t start, end;
	int prio;
	size_t first, n; /* in rows */
	unsigned long cie;
};

struct readelf {
	struct rrow *rows;
	size_t nrows;
	struct rfde *fdes;
	size_t nfdes;
	/* CIE initial rows, by section and offset (FDEs without rows use them) */
	struct {
		int prio;
		unsigned long off;
		struct rrow row;
	} cies[4096];
	size_t ncies;
};

static void normalise_rule(char *s, bool is_ra)
{
	if (!strcmp(s, "u") || !strcmp(s, "s"))
		strcpy(s, is_ra ? "u" : "s");
}

static int rfde_cmp(const void *a, const void *b)
{
	const struct rfde *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->prio - y->prio;
}

/* "r9 (r9)" in a register rule becomes "r9", one word. */
static void drop_reg_names(char *line)
{
	char *open, *close;

	while ((open = strstr(line, " (")) && (close = strchr(open, ')')))
		memmove(open, close + 1, strlen(close + 1) + 1);
}

/* An FDE of nops alone gets no rows printed: the CIE's initial row is its. */
static void cie_row(struct readelf *re)
{
	struct rfde *f = &re->fdes[re->nfdes - 1];

	if (f->n)
		return;
	for (size_t i = 0; i < re->ncies; i++) {
		if (re->cies[i].prio != f->prio || re->cies[i].off != f->cie)
			continue;
		re->rows = realloc(re->rows, (re->nrows + 1) * sizeof(*re->rows));
		re->rows[re->nrows] = re->cies[i].row;
		re->rows[re->nrows++].pc = f->start;
		f->n = 1;
		return;
	}
}

/* Parses readelf's output into rows per FDE; false when it cannot run. */
static bool run_readelf(const char *path, struct readelf *re)
{
	char cmd[4200], line[1024];
	int prio = -1, rbp_col = -1, ra_col = -1;
	bool in_cie = false, in_fde = false;
	unsigned long cie_off = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -W --debug-dump=frames-interp '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p)) {
		unsigned long off, len, id;
		unsigned long long lo, hi, pc;
		char kind[8], tok[32][24];
		int ntok;

		if (strstr(line, "Contents of the .eh_frame section")) {
			prio = 0;
			continue;
		}
		if (strstr(line, "Contents of the .debug_frame section")) {
			prio = 1;
			continue;
		}
		if (strstr(line, "Contents of the")) {
			prio = -1;
			continue;
		}
		if (prio < 0)
			continue;
		drop_reg_names(line);
		if (line[0] == '\n') {
			if (in_fde)
				cie_row(re);
			in_cie = in_fde = false;
			continue;
		}
		if (sscanf(line, "%lx %lx %lx %7s", &off, &len, &id, kind) == 4 &&
		    !strcmp(kind, "CIE")) {
			in_cie = true;
			cie_off = off;
			continue;
		}
		if (sscanf(line, "%lx %lx %lx FDE cie=%lx pc=%llx..%llx", &off, &len, &id, &cie_off,
			   &lo, &hi) == 6) {
			struct rfde *f;

			re->fdes = realloc(re->fdes, (re->nfdes + 1) * sizeof(*re->fdes));
			f = &re->fdes[re->nfdes++];
			*f = (struct rfde){lo, hi, prio, re->nrows, 0, cie_off};
			in_fde = true;
			continue;
		}
		ntok = 0;
		for (char *w = strtok(line, " \t\n"); w && ntok < 32; w = strtok(NULL, " \t\n"))
			snprintf(tok[ntok++], sizeof(tok[0]), "%s", w);
		if (ntok >= 2 && !strcmp(tok[0], "LOC")) {
			rbp_col = ra_col = -1;
			for (int i = 2; i < ntok; i++) {
				if (!strcmp(tok[i], "rbp"))
					rbp_col = i;
				if (!strcmp(tok[i], "ra"))
					ra_col = i;
			}
			continue;
		}
		if (ntok >= 2 && sscanf(tok[0], "%llx", &pc) == 1 && strlen(tok[0]) == 16 &&
		    (in_cie || in_fde)) {
			struct rrow r = {.pc = pc};

			snprintf(r.cfa, sizeof(r.cfa), "%s", tok[1]);
			snprintf(r.rbp, sizeof(r.rbp), "%s",
				 rbp_col > 0 && rbp_col < ntok ? tok[rbp_col] : "u");
			snprintf(r.ra, sizeof(r.ra), "%s",
				 ra_col > 0 && ra_col < ntok ? tok[ra_col] : "u");
			normalise_rule(r.rbp, false);
			normalise_rule(r.ra, true);
			if (in_cie) {
				if (re->ncies < sizeof(re->cies) / sizeof(re->cies[0])) {
					re->cies[re->ncies].prio = prio;
					re->cies[re->ncies].off = cie_off;
					re->cies[re->ncies++].row = r;
				}
				continue;
			}
			re->rows = realloc(re->rows, (re->nrows + 1) * sizeof(*re->rows));
			re->rows[re->nrows++] = r;
			re->fdes[re->nfdes - 1].n++;
		}
	}
	if (in_fde)
		cie_row(re);
	/* readelf exits 1 on libc although it printed everything */
	pclose(p);
	return re->nfdes > 0;
}

/* readelf's FDEs into the builder's normal form, as lines. */
static char (*readelf_lines(struct readelf *re, size_t *n))[LINE]
{
	char(*out)[LINE] = calloc(re->nrows + re->nfdes + 1, LINE);
	char last[LINE] = "", cur[LINE];
	uint64_t covered = 0;
	bool any = false;
	size_t k = 0;

	qsort(re->fdes, re->nfdes, sizeof(*re->fdes), rfde_cmp);
	for (size_t i = 0; i < re->nfdes; i++) {
		const struct rfde *f = &re->fdes[i];

		if (f->start == f->end || (any && f->start < covered))
			continue;
		if (any && f->start > covered) {
			snprintf(cur, LINE, "%" PRIx64 " -", covered);
			if (strcmp(strchr(last, ' '), " -"))
				strcpy(out[k++], cur), strcpy(last, cur);
		}
		for (size_t j = 0; j < f->n; j++) {
			const struct rrow *r = &re->rows[f->first + j];

			if (r->pc >= f->end)
				break;
			snprintf(cur, LINE, "%" PRIx64 " %s %s %s", r->pc, r->cfa, r->rbp, r->ra);
			if (k && !strcmp(strchr(last, ' '), strchr(cur, ' ')))
				continue;
			/* a rule for an empty range is replaced */
			if (k && strtoull(out[k - 1], NULL, 16) == r->pc)
				k--;
			strcpy(out[k++], cur);
			strcpy(last, cur);
		}
		covered = f->end;
		any = true;
	}
	snprintf(cur, LINE, "%" PRIx64 " -", covered);
	if (!k || strcmp(strchr(last, ' '), " -"))
		strcpy(out[k++], cur);
	*n = k;
	return out;
}

static void golden(const char *path)
{
	struct readelf *re = calloc(1, sizeof(*re));
	struct unwind_table *t;
	char(*want)[LINE], got[LINE];
	size_t nwant, bad = 0;
	int fd = open(path, O_RDONLY);

	if (!CHECK(fd >= 0)) {
		fprintf(stderr, "\tcannot open %s\n", path);
		free(re);
		return;
	}
	t = unwind_table__open_fd(fd);
	close(fd);
	if (!CHECK(t && run_readelf(path, re))) {
		unwind_table__free(t);
		free(re);
		return;
	}
	want = readelf_lines(re, &nwant);
	CHECK_U64(t->nrows, nwant);
	for (size_t i = 0; i < t->nrows && i < nwant; i++) {
		row_str(&t->rows[i], got);
		if (strcmp(got, want[i]) && bad++ < 5)
			fprintf(stderr, "\t%s row %zu: got '%s', readelf '%s'\n", path, i, got,
				want[i]);
	}
	if (!CHECK(bad == 0))
		fprintf(stderr, "\t%s: %zu rows differ\n", path, bad);
	printf("golden %s: %zu rows from %zu FDEs, %zu compact rows, %s\n", path, t->nrows, t->fdes,
	       t->ncompact, t->has_fp ? "frame pointers" : "no frame pointers");
	free(want);
	free(re->rows);
	free(re->fdes);
	free(re);
	unwind_table__free(t);
}

/* ---- hand-made CFI ---- */

static int count_fde(void *ctx, uint64_t start, uint64_t end, const struct cfi_row *rows, size_t n)
{
	struct cfi_row *out = ctx;

	(void)start;
	(void)end;
	for (size_t i = 0; i < n && i < 16; i++)
		out[i] = rows[i];
	out[15].pc = n; /* how many */
	return 0;
}

/* A CIE ("zR", pcrel sdata4, cf=1, df=-8, ra=16: def_cfa rsp+8, rip at cfa-8)
 * then one FDE at vaddr 0x1000 for pc 0x2000..0x2100 with instructions ins. */
static size_t make_cfi(uint8_t *buf, const uint8_t *ins, size_t nins)
{
	static const uint8_t cie[] = {0x14, 0,	  0,	0, 0,	 0,    0, 0, 1,	   'z', 'R', 0,
				      1,    0x78, 0x10, 1, 0x1b, 0x0c, 7, 8, 0x90, 1,	0,   0};
	size_t n = sizeof(cie), fde_len = 4 + 4 + 4 + 1 + nins;
	int32_t rel;

	memcpy(buf, cie, n);
	fde_len = (fde_len + 3) & ~(size_t)3;
	memset(buf + n, 0, 4 + fde_len + 4);
	buf[n] = (uint8_t)fde_len;
	buf[n + 4] = (uint8_t)(n + 4); /* back to the CIE */
	rel = (int32_t)(0x2000 - (0x1000 + n + 8));
	memcpy(buf + n + 8, &rel, 4);
	buf[n + 12] = 0x00;
	buf[n + 13] = 0x01; /* range 0x100 */
	buf[n + 16] = 0;    /* aug data length */
	memcpy(buf + n + 17, ins, nins);
	return n + 4 + fde_len + 4; /* and a zero terminator */
}

static void handmade(void)
{
	/* push rbp; mov rsp,rbp; remember; leave-ish; restore; PLT expression */
	static const uint8_t ins[] = {
	    0x41, 0x0e, 0x10, 0x86, 0x02, /* +1: cfa rsp+16, rbp at cfa-16 */
	    0x41, 0x0d, 0x06,		  /* +1: cfa rbp */
	    0x44, 0x0a, 0x0c, 0x07, 0x08, /* +4: remember; cfa rsp+8 */
	    0x41, 0x0b,			  /* +1: restore */
	    0x41, 0xc6,			  /* +1: restore rbp */
	    0x41, 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a,
	    0x3b, 0x2a, 0x33, 0x24, 0x22, 0x41, 0x07, 0x10, /* +1: rip undefined */
	};
	uint8_t buf[256];
	struct cfi_row rows[16] = {0};
	struct cfi_section s = {buf, make_cfi(buf, ins, sizeof(ins)), 0x1000, false};
	struct unwind_table *t;

	CHECK(cfi__parse(&s, count_fde, rows) == 1);
	CHECK_U64(rows[15].pc, 8);
	CHECK_U64(rows[0].pc, 0x2000);
	CHECK(rows[0].cfa_reg == CFI_REG_RSP && rows[0].cfa_off == 8);
	CHECK(rows[1].cfa_off == 16 && rows[1].rbp.kind == CFI_RULE_OFFSET &&
	      rows[1].rbp.off == -16);
	CHECK(rows[2].cfa_reg == CFI_REG_RBP && rows[2].cfa_off == 16);
	CHECK(rows[3].cfa_reg == CFI_REG_RSP && rows[3].cfa_off == 8);
	CHECK(rows[4].cfa_reg == CFI_REG_RBP && rows[4].cfa_off == 16 && rows[4].rbp.off == -16);
	CHECK(rows[5].rbp.kind == CFI_RULE_SAME);
	CHECK(rows[6].cfa_kind == CFI_CFA_PLT && rows[6].cfa_off == 8 && rows[6].plt_lit == 11);
	CHECK(rows[7].ra.kind == CFI_RULE_UNDEF && rows[7].pc == 0x200a);

	t = unwind_table__build(&s, 1);
	if (CHECK(t)) {
		const struct ls_unwind_row *c = t->compact;

		CHECK_U64(t->base, 0x2000);
		CHECK_U64(t->ncompact, 9);
		CHECK(c[0].cfa == LS_UW_RSP && c[0].cfa_off == 1 && c[0].rbp_off == 0);
		CHECK(c[1].cfa == LS_UW_RSP && c[1].cfa_off == 2 && c[1].rbp_off == -2);
		CHECK(c[2].cfa == LS_UW_RBP && c[2].cfa_off == 2 && c[2].rbp_off == -2);
		CHECK(c[6].cfa == LS_UW_PLT && c[6].cfa_off == 1 && c[6].rbp_off == 11);
		CHECK(c[7].cfa == LS_UW_END && c[7].pc == 0xa);
		CHECK(c[8].cfa == LS_UW_NONE && c[8].pc == 0x100);
		unwind_table__free(t);
	}

	/* truncated and corrupted inputs: no crash, no FDE past the damage */
	for (size_t cut = 0; cut < s.size; cut++) {
		struct cfi_section part = {buf, cut, 0x1000, false};

		cfi__parse(&part, count_fde, rows);
	}
	s.debug_frame = true; /* the same bytes read as .debug_frame: rejected, no crash */
	CHECK(cfi__parse(&s, count_fde, rows) == 0);
}

static void hdr(void)
{
	/* version 1, eh_frame_ptr pcrel|sdata4, fde_count udata4, table datarel|sdata4 */
	uint8_t h[12] = {1, 0x1b, 0x03, 0x3b};
	int32_t rel = 0x100;
	uint32_t count = 7;
	struct cfi_hdr out;

	memcpy(h + 4, &rel, 4);
	memcpy(h + 8, &count, 4);
	CHECK(cfi__parse_hdr(h, sizeof(h), 0x5000, &out) == 0);
	CHECK_U64(out.eh_frame_vaddr, 0x5104);
	CHECK_U64(out.fde_count, 7);
	CHECK(cfi__parse_hdr(h, 5, 0x5000, &out) == -EINVAL);
	h[0] = 2;
	CHECK(cfi__parse_hdr(h, sizeof(h), 0x5000, &out) == -EINVAL);
}

/* The loaded libc, as this process maps it. */
static bool find_libc(char *out, size_t n)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (path && strstr(path, "/libc.so")) {
			path[strcspn(path, "\n")] = '\0';
			snprintf(out, n, "%s", path);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	const char *fx = argc > 1 ? argv[1] : "build/unit/fixtures";
	char path[4096];

	handmade();
	hdr();
	if (CHECK(find_libc(path, sizeof(path))))
		golden(path);
	golden("/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
	if (CHECK(realpath("/proc/self/exe", path)))
		golden(path);
	snprintf(path, sizeof(path), "%s/cfi_nofp", fx);
	golden(path);
	snprintf(path, sizeof(path), "%s/cfi_cxx", fx);
	golden(path);
	snprintf(path, sizeof(path), "%s/cfi_debug_frame", fx);
	golden(path);
	return check_report("test_cfi");
}
