// SPDX-License-Identifier: GPL-2.0
/* The human-readable report printed at every interval and at exit. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "util.h"

/* Four frames say where a leak is; --full-stacks prints all. */
#define SHORT_STACK 4

static void format_trend(char *buf, size_t len, const struct report *r,
			 const struct report_entry *e)
{
	double secs = r->since_prev_ns / 1e9;
	char rate[32];

	if (r->seq == 1 || secs <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (e->is_new) {
		snprintf(buf, len, "new");
		return;
	}
	if (e->delta_bytes == 0 && e->delta_count == 0) {
		snprintf(buf, len, "steady");
		return;
	}
	format_bytes((e->delta_bytes < 0 ? -e->delta_bytes : e->delta_bytes) / secs, rate,
		     sizeof(rate));
	snprintf(buf, len, "%s %c%s/s", e->delta_bytes < 0 ? "shrinking" : "growing",
		 e->delta_bytes < 0 ? '-' : '+', rate);
}

static void print_stack(FILE *out, const struct report_entry *e, bool full)
{
	size_t i, n = full ? e->nframes : (e->nframes < SHORT_STACK ? e->nframes : SHORT_STACK);

	if (full) {
		for (i = 0; i < e->nframes; i++)
			fprintf(out, "\n        %s", e->frames[i]);
		fputc('\n', out);
		return;
	}
	for (i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? " <- " : "", e->frames[i]);
	if (n < e->nframes)
		fprintf(out, " <- ...");
	fputc('\n', out);
}

static void print_counters(FILE *out, const struct report *r)
{
	const uint64_t *c = r->counters;
	uint64_t attempts = c[CNT_ALLOCS] + c[CNT_OBJECTS_FULL] + c[CNT_TOTALS_FULL];
	uint64_t dropped = c[CNT_OBJECTS_FULL] + c[CNT_TOTALS_FULL];
	uint64_t lost = c[CNT_STACKS_FULL] + c[CNT_STACKS_EMPTY];

	fprintf(out,
		"counters: %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64
		" unknown frees%s, %" PRIu64 " dropped",
		c[CNT_ALLOCS], c[CNT_FREES], c[CNT_UNKNOWN_FREES],
		r->size_filtered ? " (incl. blocks outside the size filter)" : "", dropped);
	if (dropped)
		fprintf(out,
			" (%.2f %% of allocations: object map full %" PRIu64
			", site map full %" PRIu64 ")",
			100.0 * dropped / (attempts ? attempts : 1), c[CNT_OBJECTS_FULL],
			c[CNT_TOTALS_FULL]);
	fprintf(out, ", %" PRIu64 " stacks lost", lost);
	if (lost)
		fprintf(out, " (stack map full %" PRIu64 ", unreadable %" PRIu64 ")",
			c[CNT_STACKS_FULL], c[CNT_STACKS_EMPTY]);
	if (c[CNT_STACKS_TRUNCATED])
		fprintf(out, ", %" PRIu64 " stacks truncated at %d frames", c[CNT_STACKS_TRUNCATED],
			MAX_STACK_DEPTH);
	if (c[CNT_STATE_FULL])
		fprintf(out, ", %" PRIu64 " calls without thread state", c[CNT_STATE_FULL]);
	fputc('\n', out);
	if (ls_verbose)
		fprintf(out,
			"          %" PRIu64 " nested allocator calls folded into their caller\n",
			c[CNT_NESTED]);
}

void report_text__print(FILE *out, const struct report *r, const struct options *opt)
{
	char when[32], traced[32], total[32], size[32], age[32], trend[48];
	time_t now = time(NULL);
	uint64_t age_ns;
	size_t i, shown = r->count < (size_t)opt->top ? r->count : (size_t)opt->top;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	format_age(r->traced_ns, traced, sizeof(traced));
	format_bytes(r->total_bytes, total, sizeof(total));
	fprintf(out, "leakscope: pid %d (%s), %sreport %lu, traced %s, %s%s\n", r->pid, r->comm,
		r->final ? "final " : "", r->seq, traced, when,
		r->target_exited ? ", target exited" : "");
	fprintf(out, "heap: %s outstanding in %" PRId64 " blocks at %zu stacks", total,
		r->total_count, r->count);
	if (opt->min_age > 0)
		fprintf(out, " (only blocks older than %.0f s)", opt->min_age);
	fputc('\n', out);
	if (shown) {
		fprintf(out, "%-6s %-12s %9s %8s  %-22s %s\n", "kind", "outstanding", "objects",
			"oldest", "trend", "stack");
		for (i = 0; i < shown; i++) {
			const struct report_entry *e = &r->entries[i];

			format_bytes(e->row.bytes, size, sizeof(size));
			/* generations start up to a second before tracing did */
			age_ns = aggregate__age_ns(&e->row, r->now_ns);
			format_age(age_ns < r->traced_ns ? age_ns : r->traced_ns, age, sizeof(age));
			fprintf(out, "%-6s %-12s %9" PRId64 " %8s  ", "heap", size, e->row.count,
				age);
			format_trend(trend, sizeof(trend), r, e);
			fprintf(out, "%-22s ", trend);
			print_stack(out, e, opt->full_stacks);
		}
		if (shown < r->count)
			fprintf(out, "... %zu more stacks (--top)\n", r->count - shown);
	}
	print_counters(out, r);
	fputc('\n', out);
	fflush(out);
}
