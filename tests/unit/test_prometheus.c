// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus printer (src/report_prometheus.c): one series per process
 * and kind with exact values, label values escaped, no stack in a label.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"
#include "util.h"

#define S 1000000000ULL

static char *frames[] = {"malloc", "leak", "main"};

int main(void)
{
	struct report_process procs[2] = {
	    {.pid = 7, .comm = "a\"b\\c\nd", .preexisting = {[LS_KIND_FD] = -1}},
	    {.pid = 8, .comm = "other", .preexisting = {[LS_KIND_FD] = -1}},
	};
	struct report_entry e[3] = {
	    {.row = {.site = {.tgid = 7, .kind = LS_KIND_HEAP}, .bytes = 3000, .count = 3},
	     .delta_bytes = 1000,
	     .delta_count = 1,
	     .frames = frames,
	     .nframes = 3,
	     .verdict = {.kind = VERDICT_GROWING}},
	    {.row = {.site = {.tgid = 7, .kind = LS_KIND_HEAP}, .bytes = 500, .count = 1},
	     .frames = frames,
	     .nframes = 3},
	    {.row = {.site = {.tgid = 8, .kind = LS_KIND_FD}, .count = 4},
	     .delta_count = -2,
	     .frames = frames,
	     .nframes = 3},
	};
	struct report r = {.procs = procs,
			   .nprocs = 2,
			   .seq = 5,
			   .kinds = (1u << LS_KIND_HEAP) | (1u << LS_KIND_FD),
			   .entries = e,
			   .count = 3,
			   .since_prev_ns = 2 * S,
			   .traced_ns = 10 * S};
	char *buf = NULL;
	size_t len;
	FILE *out = open_memstream(&buf, &len);

	r.kind[LS_KIND_HEAP].counters[CNT_OBJECTS_FULL] = 2;
	r.kind[LS_KIND_HEAP].counters[CNT_TOTALS_FULL] = 3;
	r.kind[LS_KIND_FD].counters[CNT_STACKS_EMPTY] = 4;
	report_prometheus__print(out, &r);
	fclose(out);
#define HAS(line) CHECK(strstr(buf, line "\n") != NULL)
	HAS("# TYPE leakscope_outstanding_bytes gauge");
	HAS("leakscope_outstanding_bytes{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\",kind=\"heap\"} 3500");
	HAS("leakscope_outstanding_bytes{pid=\"8\",comm=\"other\",kind=\"heap\"} 0");
	HAS("leakscope_outstanding_objects{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\",kind=\"heap\"} 4");
	HAS("leakscope_outstanding_objects{pid=\"8\",comm=\"other\",kind=\"fd\"} 4");
	HAS("leakscope_growth_bytes_per_second{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\",kind=\"heap\"} "
	    "500");
	HAS("leakscope_growth_objects_per_second{pid=\"8\",comm=\"other\",kind=\"fd\"} -1");
	HAS("leakscope_growing_stacks{pid=\"7\",comm=\"a\\\"b\\\\c\\nd\",kind=\"heap\"} 1");
	HAS("# TYPE leakscope_dropped_total counter");
	HAS("leakscope_dropped_total{kind=\"heap\"} 5");
	HAS("leakscope_lost_stacks_total{kind=\"fd\"} 4");
	HAS("leakscope_reports_total 5");
	/* fds have no bytes; no stack frame is ever a label */
	CHECK(strstr(buf, "leakscope_outstanding_bytes{pid=\"8\",comm=\"other\",kind=\"fd\"}") ==
	      NULL);
	CHECK(strstr(buf, "leak\"") == NULL && strstr(buf, "malloc") == NULL);
	free(buf);
	return check_report("test_prometheus");
}
