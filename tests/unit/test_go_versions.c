// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the Go version table (src/go_versions.c): which versions it
 * knows, what each version's wait reasons mean (Go 1.26 renumbered them),
 * and its check against a binary's own runtime.waitReasonStrings, here the
 * Go 1.19 fixture's (the newer binaries are checked end to end, e2e/go.sh).
 *
 *   build/unit/test_go_versions build/unit/fixtures   (Go fixtures in ../../fixtures)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "go_code.h"
#include "go_elf.h"
#include "go_versions.h"

static unsigned reasons(const struct go_layout *l)
{
	unsigned n = 1;

	for (const char *p = l->wait_reasons; (p = strchr(p, '|')); p++)
		n++;
	return n;
}

static void test_rows(void)
{
	static const struct {
		int minor;
		unsigned reasons, bp, status, skip, kind, profile;
		enum go_reg p;
	} want[] = {
	    {18, 27, 104, 0x90, 0, 10, 2, GO_RAX}, {19, 27, 104, 0x90, 0, 10, 2, GO_RAX},
	    {20, 32, 104, 0x90, 0, 10, 2, GO_RAX}, {22, 37, 104, 0x90, 1, 10, 2, GO_RAX},
	    {23, 38, 104, 0x98, 1, 10, 3, GO_RBX}, {25, 47, 96, 0x90, 1, 16, 4, GO_RBX},
	    {26, 47, 96, 0x90, 1, 16, 4, GO_RBX},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct go_layout *l = go_layout__find(want[i].minor);

		if (!CHECK(l))
			continue;
		CHECK_U64(reasons(l), want[i].reasons);
		CHECK_U64(l->g_sched_sp, 56);
		CHECK_U64(l->g_sched_bp, want[i].bp);
		CHECK_U64(l->g_status, want[i].status);
		CHECK_U64(l->g_waitreason, want[i].status + 0x20);
		CHECK_U64(l->creator_skip, want[i].skip);
		CHECK_U64(l->special_kind, want[i].kind);
		CHECK_U64(l->special_profile, want[i].profile);
		CHECK_U64(l->malloc_p, want[i].p);
		CHECK_STR(l->newproc1, "runtime.newproc1");
	}
	/* never guessed: versions no binary was read for */
	CHECK(!go_layout__find(0));
	CHECK(!go_layout__find(17));
	CHECK(!go_layout__find(21));
	CHECK(!go_layout__find(24));
	CHECK(!go_layout__find(27));
	CHECK_STR(go_layout__known(), "1.18-1.19, 1.20, 1.22, 1.23, 1.25, 1.26");
}

static void test_wait_reasons(void)
{
	const struct go_layout *old = go_layout__find(19), *l26 = go_layout__find(26);

	CHECK_U64(go_layout__wait_detail(old, 2), DETAIL_GO_IO_WAIT);
	CHECK_U64(go_layout__wait_detail(old, 3), DETAIL_CHAN_RECEIVE); /* nil chan */
	CHECK_U64(go_layout__wait_detail(old, 9), DETAIL_GO_SELECT);
	CHECK_U64(go_layout__wait_detail(old, 10), DETAIL_GO_SELECT); /* no cases */
	CHECK_U64(go_layout__wait_detail(old, 14), DETAIL_CHAN_RECEIVE);
	CHECK_U64(go_layout__wait_detail(old, 15), DETAIL_CHAN_SEND);
	CHECK_U64(go_layout__wait_detail(old, 18), DETAIL_GO_WAITING); /* semacquire */
	CHECK_U64(go_layout__wait_detail(old, 19), DETAIL_GO_SLEEP);
	CHECK_U64(go_layout__wait_detail(old, 0), DETAIL_GO_WAITING);
	CHECK_U64(go_layout__wait_detail(old, 200), DETAIL_GO_WAITING);
	/* 1.25: one more before semacquire; 1.26: the same names at other numbers */
	CHECK_U64(go_layout__wait_detail(go_layout__find(25), 14), DETAIL_CHAN_RECEIVE);
	CHECK_U64(go_layout__wait_detail(go_layout__find(25), 20), DETAIL_GO_SLEEP);
	CHECK_U64(go_layout__wait_detail(l26, 2), DETAIL_GO_IO_WAIT);
	CHECK_U64(go_layout__wait_detail(l26, 14), DETAIL_GO_SLEEP);
	CHECK_U64(go_layout__wait_detail(l26, 15), DETAIL_CHAN_RECEIVE);
	CHECK_U64(go_layout__wait_detail(l26, 18), DETAIL_GO_SELECT);
	CHECK_U64(go_layout__wait_detail(l26, 19), DETAIL_CHAN_RECEIVE);
	CHECK_U64(go_layout__wait_detail(l26, 20), DETAIL_CHAN_SEND);
	CHECK_U64(go_layout__wait_detail(l26, 13), DETAIL_GO_WAITING);	 /* semacquire */
	CHECK_U64(go_layout__wait_detail(l26, 42), DETAIL_CHAN_RECEIVE); /* durable */
	CHECK_U64(go_layout__wait_detail(l26, 43), DETAIL_CHAN_SEND);
	CHECK_U64(go_layout__wait_detail(l26, 44), DETAIL_GO_SELECT);
	CHECK_U64(go_layout__wait_detail(l26, 46), DETAIL_GO_WAITING); /* cleanup wait */
}

/* The table against the binary: its own row agrees, another does not. */
static void test_check(const char *path)
{
	struct go_binary *b = go_binary__open(path);
	uint64_t array = 0;
	unsigned count = 0;
	char why[128] = "";

	if (!CHECK(b))
		return;
	CHECK(!go_code__wait_reasons(b, &array, &count));
	CHECK_U64(count, 27);
	CHECK(array != 0);
	CHECK_U64(go_layout__check(go_layout__find(19), b, why, sizeof(why)), 0);
	CHECK_U64(go_layout__check(go_layout__find(20), b, why, sizeof(why)), (uint64_t)-EPROTO);
	CHECK_STR(why, "wait reason 21 is \"timer goroutine (idle)\", not \"sync.Mutex.Lock\"");
	CHECK_U64(go_layout__check(go_layout__find(26), b, why, sizeof(why)), (uint64_t)-EPROTO);
	CHECK_STR(why, "wait reason 3 is \"chan receive (nil chan)\", not \"dumping heap\"");
	/* MemProfileRate of a stripped 1.19 binary: in .bss, set at init */
	CHECK(go_binary__writable(b, go_code__mem_profile_rate(b)));
	go_binary__close(b);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/unit/fixtures";
	char path[4096];

	test_rows();
	test_wait_reasons();
	snprintf(path, sizeof(path), "%s/../../fixtures/goleaks_stripped", dir);
	test_check(path);
	return check_report("test_go_versions");
}
