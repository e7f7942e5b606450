// SPDX-License-Identifier: GPL-2.0
/*
 * A report from a snapshot made by hand (src/report.c): no BPF, no traced
 * process. Without a symbolizer a frame reads "[unknown]+0xADDR", so two
 * stacks of the same addresses read alike and are one row.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "go_runtime.h"
#include "report.h"
#include "snapshot.h"
#include "util.h"

#define GEN_NS (1ULL << GEN_SHIFT)

static struct snapshot_stack stacks[] = {
    {.id = 11, .stack = {.ips = {0x401000, 0x402000}}},
    {.id = 12, .stack = {.ips = {0x401000, 0x402000}}}, /* reads as 11 does */
    {.id = 13, .stack = {.ips = {0x403000}}},
    {.id = 14, .stack = {.ips = {0x404000, 0x405000}}},
};

static struct totals_entry totals(uint64_t stack, uint16_t kind, uint16_t api, uint32_t gen,
				  int64_t bytes, int64_t count)
{
	return (struct totals_entry){
	    .key = {.site = {.stack_id = stack, .tgid = 100, .kind = kind, .api = api}, .gen = gen},
	    .val = {.bytes = bytes, .count = count}};
}

static const struct report_entry *find(const struct report *r, enum ls_kind kind,
				       const char *frame1)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->entries[i].row.site.kind == kind && r->entries[i].nframes > 1 &&
		    !strcmp(r->entries[i].frames[1], frame1))
			return &r->entries[i];
	return NULL;
}

static void make_snapshot(struct snapshot *snap, uint64_t now_ns, int64_t heap_bytes)
{
	struct totals_entry v[] = {
	    totals(11, LS_KIND_HEAP, LS_API_MALLOC, 3, heap_bytes, 2),
	    totals(12, LS_KIND_HEAP, LS_API_MALLOC, 5, 300, 1),
	    totals(0, LS_KIND_HEAP, LS_API_CALLOC, 5, 64, 1), /* stack lost */
	    totals(13, LS_KIND_FD, LS_API_OPEN, 4, 0, 3),
	    totals(14, LS_KIND_GO_HEAP, LS_API_GO_MALLOC, 5, 1024, 1),
	};
	struct snapshot_object *o;
	int i;

	memset(snap, 0, sizeof(*snap));
	snap->now_ns = now_ns;
	snap->counters[LS_KIND_FD][CNT_ACQUIRED] = 9;
	snap->rate[LS_KIND_GO_HEAP] = 512;
	snapshot__add_totals(snap, v, sizeof(v) / sizeof(v[0]));
	snap->stacks = xcalloc(4, sizeof(*snap->stacks));
	memcpy(snap->stacks, stacks, sizeof(stacks));
	snap->nstacks = 4;
	for (i = 0; i < 3; i++) {
		o = snapshot__add_object(snap);
		o->where = v[3].key;
		o->what = i < 2 ? DETAIL_FILE : DETAIL_PIPE;
		if (i == 1)
			strcpy(o->path, "/tmp/x/");
	}
	snap->nprocs = 1;
	snap->preexisting = xcalloc(1, sizeof(*snap->preexisting));
	for (i = 0; i < LS_KIND_MAX; i++)
		snap->preexisting[0][i] = -1;
	snap->preexisting[0][LS_KIND_FD] = 4;
}

int main(void)
{
	struct report_process proc = {.pid = 100, .comm = "t", .exit_status = -1};
	struct report_history history = {0};
	struct report r = {.procs = &proc, .nprocs = 1, .kinds = (1u << LS_KIND_MAX) - 1};
	const struct report_entry *e;
	struct snapshot snap;
	int64_t bytes = 1024, count = 1;

	make_snapshot(&snap, 6 * GEN_NS, 200);
	report__build(&r, &snap, 0, &history);
	/* 11 and 12 merged; the lost stack, the fds, the go-heap row */
	CHECK_U64(r.count, 4);
	e = find(&r, LS_KIND_HEAP, "[unknown]+0x401000");
	if (CHECK(e)) {
		CHECK_STR(e->frames[0], "malloc");
		CHECK_STR(e->frames[2], "[unknown]+0x402000");
		CHECK_U64(e->nframes, 3);
		CHECK_U64(e->row.bytes, 500);
		CHECK_U64(e->row.count, 3);
		CHECK_U64(e->row.oldest_gen, 3);
		CHECK(e->is_new);
	}
	e = find(&r, LS_KIND_HEAP, "[stack lost]");
	if (CHECK(e))
		CHECK_U64(e->row.bytes, 64);
	e = find(&r, LS_KIND_FD, "[unknown]+0x403000");
	if (CHECK(e)) {
		CHECK_U64(e->row.count, 3);
		CHECK_U64(e->details.counts[DETAIL_FILE], 2);
		CHECK_U64(e->details.counts[DETAIL_PIPE], 1);
		CHECK_STR(e->details.path, "/tmp/x/");
	}
	/* go-heap: scaled as pprof scales a sample of 1024 bytes at rate 512 */
	go_runtime__scale(&bytes, &count, 512);
	e = find(&r, LS_KIND_GO_HEAP, "[unknown]+0x404000");
	if (CHECK(e)) {
		CHECK_U64(e->row.bytes, bytes);
		CHECK_U64(e->row.count, count);
	}
	CHECK_U64(r.kind[LS_KIND_HEAP].bytes, 564);
	CHECK_U64(r.kind[LS_KIND_HEAP].stacks, 2);
	CHECK_U64(r.kind[LS_KIND_FD].count, 3);
	CHECK_U64(r.kind[LS_KIND_FD].counters[CNT_ACQUIRED], 9);
	CHECK_U64(proc.preexisting[LS_KIND_FD], 4);
	CHECK(proc.preexisting[LS_KIND_HEAP] == -1);
	report__free(&r);
	snapshot__free(&snap);

	/* The next report: growth since this one; --min-age leaves out the
	 * generations younger than 2 s (only generation 3 is old enough). */
	make_snapshot(&snap, 6 * GEN_NS, 260);
	report__build(&r, &snap, 2 * GEN_NS, &history);
	e = find(&r, LS_KIND_HEAP, "[unknown]+0x401000");
	if (CHECK(e)) {
		CHECK_U64(e->row.bytes, 260);
		CHECK(!e->is_new);
	}
	CHECK(!find(&r, LS_KIND_FD, "[unknown]+0x403000"));
	report__free(&r);
	snapshot__free(&snap);
	report_history__free(&history);
	return check_report("test_report_build");
}
