// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts over time (src/verdict.c): the classification of a window of
 * values, and histories kept across reports per (process, kind, stack).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"
#include "util.h"
#include "verdict.h"
#include "verdicts.h"

#define S    1000000000ULL
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t t[] = {1 * S, 2 * S, 3 * S, 4 * S, 5 * S, 6 * S};

static void test_classify(void)
{
	static const int64_t leak[] = {1000, 2000, 3000, 4000, 5000, 6000};
	static const int64_t cache[] = {1000, 2000, 4096, 4096, 4096, 4096};
	static const int64_t late_cache[] = {0, 0, 1000, 2000, 4096, 4096};
	static const int64_t freed[] = {6000, 5000, 4000, 3000, 3000, 2000};
	static const int64_t bursty[] = {100, 100, 200, 200, 300, 300};
	static const int64_t noisy[] = {100, 300, 200, 300, 200, 300};
	struct verdict v;

	v = verdict__classify(leak, t, N(leak));
	CHECK_U64(v.kind, VERDICT_GROWING);
	CHECK_U64((uint64_t)v.rate, 1000);
	CHECK_U64(v.since_ns, 1 * S);
	CHECK_U64(v.samples, 6);

	v = verdict__classify(cache, t, N(cache));
	CHECK_U64(v.kind, VERDICT_STEADY);
	CHECK_U64((uint64_t)v.rate, 0);
	CHECK_U64(v.since_ns, 3 * S); /* levelled off at the third report */

	/* still filling in the window's second half: growing, for now */
	v = verdict__classify(late_cache, t, N(late_cache));
	CHECK_U64(v.kind, VERDICT_GROWING);
	CHECK_U64(v.since_ns, 1 * S);

	v = verdict__classify(freed, t, N(freed));
	CHECK_U64(v.kind, VERDICT_SHRINKING);
	CHECK_U64((uint64_t)-v.rate, 800);
	CHECK_U64(v.since_ns, 1 * S);

	/* a leak that grows every other report is a leak */
	v = verdict__classify(bursty, t, N(bursty));
	CHECK_U64(v.kind, VERDICT_GROWING);
	CHECK_U64((uint64_t)v.rate, 40);

	v = verdict__classify(noisy, t, N(noisy));
	CHECK_U64(v.kind, VERDICT_STEADY);
	CHECK_U64(v.since_ns, 6 * S);

	v = verdict__classify(leak, t, 1);
	CHECK_U64(v.kind, VERDICT_NEW);
	v = verdict__classify(leak, t, 2);
	CHECK_U64(v.kind, VERDICT_GROWING);
	v = verdict__classify(freed, t, 2);
	CHECK_U64(v.kind, VERDICT_SHRINKING);
	v = verdict__classify(cache + 3, t, 2);
	CHECK_U64(v.kind, VERDICT_STEADY);
	CHECK_U64(verdict__classify(leak, t, 0).kind, VERDICT_NONE);
	CHECK_STR(verdict__name(VERDICT_GROWING), "growing");
	CHECK_STR(verdict__name(VERDICT_STEADY), "steady");
	CHECK_STR(verdict__name(VERDICT_SHRINKING), "shrinking");
}

static char *leak_frames[] = {"malloc", "leak_grow", "main"};
static char *cache_frames[] = {"malloc", "cache_fill", "main"};

/* Six reports of a leak, a cache that fills in two, and a stack of another
 * process that goes away. */
static void test_histories(void)
{
	struct verdicts *v = verdicts__new(4);
	struct report_entry e[3];
	struct report r;
	int i;

	for (i = 0; i < 6; i++) {
		memset(e, 0, sizeof(e));
		e[0] = (struct report_entry){.row = {.site = {.tgid = 10}, .bytes = 1000 * (i + 1)},
					     .frames = leak_frames,
					     .nframes = 3};
		e[1] = (struct report_entry){
		    .row = {.site = {.tgid = 10}, .bytes = i < 2 ? 4096 * (i + 1) : 8192},
		    .frames = cache_frames,
		    .nframes = 3};
		/* the same frames in process 11: a history of its own */
		e[2] = (struct report_entry){.row = {.site = {.tgid = 11}, .bytes = 10},
					     .frames = leak_frames,
					     .nframes = 3};
		memset(&r, 0, sizeof(r));
		r.entries = e;
		r.count = i < 3 ? 3 : 2;
		r.now_ns = (i + 1) * S;
		verdicts__update(v, &r);
		if (i == 0) {
			CHECK_U64(e[0].verdict.kind, VERDICT_FIRST);
			CHECK_U64(e[1].verdict.kind, VERDICT_FIRST);
		}
		if (i == 1)
			CHECK_U64(e[2].verdict.kind, VERDICT_STEADY);
	}
	CHECK_U64(e[0].verdict.kind, VERDICT_GROWING);
	CHECK_U64((uint64_t)e[0].verdict.rate, 1000);
	CHECK_U64(e[0].verdict.since_ns, 1 * S); /* older than the window */
	CHECK_U64(e[0].verdict.samples, 4);
	CHECK_U64(e[1].verdict.kind, VERDICT_STEADY);
	CHECK_U64(e[1].verdict.since_ns, 2 * S);
	CHECK(verdict__entry_growing(&e[0]));
	CHECK(!verdict__entry_growing(&e[1]));

	/* a new stack after the first report is new */
	e[2].row.site.tgid = 12;
	r.count = 3;
	r.now_ns = 7 * S;
	verdicts__update(v, &r);
	CHECK_U64(e[2].verdict.kind, VERDICT_NEW);
	verdicts__forget_process(v, 10);
	r.count = 1;
	r.now_ns = 8 * S;
	verdicts__update(v, &r);
	CHECK_U64(e[0].verdict.kind, VERDICT_NEW); /* forgotten */
	verdicts__free(v);
}

int main(void)
{
	test_classify();
	test_histories();
	return check_report("test_verdict");
}
