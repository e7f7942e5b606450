// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON printer (src/report_json.c): one line per report, exact values,
 * strings escaped (quotes, backslashes, control characters, bytes that are
 * not UTF-8).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"
#include "util.h"

#define S 1000000000ULL

/* What a printer writes, in a string to free. */
static char *printed(const struct report *r, const char *s)
{
	static char *buf;
	static size_t len;
	FILE *out = open_memstream(&buf, &len);

	if (r)
		report_json__print(out, r);
	else
		json__string(out, s);
	fclose(out);
	return buf;
}

static void test_strings(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "\"plain\""},
	    {"a\"b\\c", "\"a\\\"b\\\\c\""},
	    {"line\nnext\ttab\x01", "\"line\\nnext\\ttab\\u0001\""},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9b",
	     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9b\""},
	    {"bad\xff\xc3(", "\"bad\\ufffd\\ufffd(\""},
	    {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* a surrogate */
	    {"", "\"\""},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = printed(NULL, cases[i].in);

		CHECK_STR(got, cases[i].out);
		free(got);
	}
}

static char *frames0[] = {"realloc", "leak_realloc", "main"};
static char *frames1[] = {"open", "odd\"name", "main"};

static void test_report(void)
{
	struct report_process proc = {.pid = 42,
				      .comm = "de\"mo",
				      .exited = true,
				      .exit_status = 3 << 8,
				      .preexisting = {[LS_KIND_FD] = -1}};
	struct report_entry e[2] = {
	    {.row = {.site = {.tgid = 42, .kind = LS_KIND_HEAP}, .bytes = 12288, .count = 3},
	     .delta_bytes = 4096,
	     .delta_count = 1,
	     .frames = frames0,
	     .nframes = 3,
	     .verdict = {.kind = VERDICT_GROWING, .rate = 409.6, .since_ns = 2 * S}},
	    {.row = {.site = {.tgid = 42, .kind = LS_KIND_FD},
		     .bytes = 0,
		     .count = 7,
		     .oldest_gen = 0},
	     .frames = frames1,
	     .nframes = 3,
	     .verdict = {.kind = VERDICT_FIRST}},
	};
	struct report r = {.procs = &proc,
			   .nprocs = 1,
			   .seq = 3,
			   .final = true,
			   .now_ns = 10 * S,
			   .traced_ns = 9 * S,
			   .kinds = 1u << LS_KIND_HEAP,
			   .entries = e,
			   .count = 2};
	char *got, *p;

	e[1].details.counts[DETAIL_FILE] = 7;
	r.kind[LS_KIND_HEAP].bytes = 12288;
	r.kind[LS_KIND_HEAP].count = 3;
	r.kind[LS_KIND_HEAP].stacks = 1;
	r.kind[LS_KIND_HEAP].counters[CNT_ACQUIRED] = 100;
	r.kind[LS_KIND_HEAP].counters[CNT_STACKS_CUT] = 2;
	got = printed(&r, NULL);
	CHECK(!strncmp(got, "{\"report\":3,\"final\":true,\"time\":\"20", 35));
	p = strstr(got, "\",\"traced_s\":");
	CHECK(p != NULL);
	CHECK_STR(
	    p,
	    "\",\"traced_s\":9.000,\"processes\":[{\"pid\":42,\"comm\":\"de\\\"mo\",\"exited\":"
	    "true,"
	    "\"exit_status\":3}],\"kinds\":{\"heap\":{\"bytes\":12288,\"objects\":3,\"stacks\":1,"
	    "\"counters\":{\"acquired\":100,\"released\":0,\"unknown_releases\":0,"
	    "\"dropped_object_map_full\":0,\"dropped_site_map_full\":0,\"stacks_lost_map_full\":0,"
	    "\"stacks_lost_unreadable\":0,\"stacks_truncated\":0,\"calls_without_thread_state\":0,"
	    "\"nested_calls\":0,\"not_sampled\":0,\"stacks_complete\":0,\"stacks_cut_short\":2,"
	    "\"stacks_recalled\":0}}},"
	    "\"stacks\":[{\"pid\":42,\"comm\":\"de\\\"mo\",\"kind\":\"heap\",\"frames\":["
	    "\"realloc\","
	    "\"leak_realloc\",\"main\"],\"bytes\":12288,\"objects\":3,\"age_s\":9,\"delta_bytes\":"
	    "4096,"
	    "\"delta_objects\":1,\"verdict\":\"growing\",\"rate_per_s\":409.600,\"verdict_for_s\":"
	    "8},"
	    "{\"pid\":42,\"comm\":\"de\\\"mo\",\"kind\":\"fd\",\"frames\":[\"open\","
	    "\"odd\\\"name\","
	    "\"main\"],\"bytes\":0,\"objects\":7,\"age_s\":9,\"delta_bytes\":0,\"delta_objects\":0,"
	    "\"verdict\":\"none\",\"details\":\"7 files\"}]}\n");
	free(got);
}

/* Go frames: "sources" parallel to "frames", null where there is none. */
static void test_sources(void)
{
	static char *frames[] = {"runtime.newproc", "main.spawn", "main.run"};
	static struct report_loc locs[] = {
	    {0},
	    {.addr = 0x401234, .file = "/src/app/main.go", .line = 12, .inlined = true},
	    {.addr = 0x401234, .file = "/src/app/main.go", .line = 30},
	};
	struct report_entry e = {
	    .row = {.site = {.tgid = 42, .kind = LS_KIND_GOROUTINE}, .count = 3},
	    .frames = frames,
	    .nframes = 3,
	    .locs = locs};
	struct report_process proc = {.pid = 42, .comm = "app"};
	struct report r = {.procs = &proc, .nprocs = 1, .entries = &e, .count = 1};
	const char *want =
	    "\"frames\":[\"runtime.newproc\",\"main.spawn\",\"main.run\"],\"sources\":[null,"
	    "{\"file\":\"/src/app/main.go\",\"line\":12,\"inlined\":true},"
	    "{\"file\":\"/src/app/main.go\",\"line\":30}],\"bytes\":0,\"objects\":3,";
	char *got = printed(&r, NULL), *p = strstr(got, "\"frames\":");

	if (CHECK(p != NULL) && !CHECK(!strncmp(p, want, strlen(want))))
		fprintf(stderr, "\tgot %s\twant %s...\n", p, want);
	free(got);
}

int main(void)
{
	test_strings();
	test_report();
	test_sources();
	return check_report("test_report_json");
}
