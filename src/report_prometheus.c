// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text exposition format (version 0.0.4) of a report, for
 * --listen's /metrics: per process and kind, what is outstanding and how
 * fast it grows; per kind, the counters. No stack is a label: the number of
 * series stays that of processes times kinds.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "kind.h"
#include "report.h"
#include "util.h"

struct proc_kind {
	int64_t bytes, objects, delta_bytes, delta_objects;
	unsigned growing;
};

/* A label value: backslash, double quote and line feed escaped. */
static void label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels(FILE *out, const struct report_process *p, int kind)
{
	fprintf(out, "{pid=\"%d\",comm=\"", p->pid);
	label_value(out, p->comm);
	fprintf(out, "\",kind=\"%s\"}", kind__name(kind));
}

/* One gauge over every (process, traced kind); `bytes_only`: heap kinds. */
static void gauge(FILE *out, const struct report *r, const struct proc_kind *pk, const char *name,
		  const char *help, bool bytes_only,
		  double (*value)(const struct proc_kind *, double), double secs)
{
	size_t i;
	int k;

	header(out, name, "gauge", help);
	for (i = 0; i < r->nprocs; i++) {
		for (k = 0; k < LS_KIND_MAX; k++) {
			if (!(r->kinds & (1u << k)) || (bytes_only && !kind__has_bytes(k)))
				continue;
			fprintf(out, "%s", name);
			labels(out, &r->procs[i], k);
			fprintf(out, " %.17g\n", value(&pk[i * LS_KIND_MAX + k], secs));
		}
	}
}

static double bytes_of(const struct proc_kind *p, double secs)
{
	(void)secs;
	return p->bytes;
}

static double objects_of(const struct proc_kind *p, double secs)
{
	(void)secs;
	return p->objects;
}

static double bytes_rate(const struct proc_kind *p, double secs)
{
	return secs > 0 ? p->delta_bytes / secs : 0;
}

static double objects_rate(const struct proc_kind *p, double secs)
{
	return secs > 0 ? p->delta_objects / secs : 0;
}

static double growing_of(const struct proc_kind *p, double secs)
{
	(void)secs;
	return p->growing;
}

/* A counter per kind: the sum of counters `a` and `b` (-1: none). */
static void counter(FILE *out, const struct report *r, const char *name, const char *help, int a,
		    int b)
{
	int k;

	header(out, name, "counter", help);
	for (k = 0; k < LS_KIND_MAX; k++) {
		const uint64_t *c = r->kind[k].counters;

		if (r->kinds & (1u << k))
			fprintf(out, "%s{kind=\"%s\"} %" PRIu64 "\n", name, kind__name(k),
				c[a] + (b >= 0 ? c[b] : 0));
	}
}

void report_prometheus__print(FILE *out, const struct report *r)
{
	struct proc_kind *pk = xcalloc(r->nprocs * LS_KIND_MAX + 1, sizeof(*pk));
	double secs = r->since_prev_ns / 1e9;
	size_t i;

	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];
		const struct report_process *p = report__process(r, e->row.site.tgid);
		struct proc_kind *x;

		if (!p || !kind__counts(e->row.site.kind, e->row.site.api))
			continue;
		x = &pk[(p - r->procs) * LS_KIND_MAX + e->row.site.kind % LS_KIND_MAX];
		x->bytes += kind__has_bytes(e->row.site.kind) ? e->row.bytes : 0;
		x->objects += e->row.count;
		x->delta_bytes += e->delta_bytes;
		x->delta_objects += e->delta_count;
		x->growing += e->verdict.kind == VERDICT_GROWING;
	}
	gauge(out, r, pk, "leakscope_outstanding_bytes",
	      "Bytes allocated and not freed (heap, go-heap), per process and kind.", true,
	      bytes_of, secs);
	gauge(out, r, pk, "leakscope_outstanding_objects",
	      "Objects acquired and not released (blocks, fds, threads, goroutines).", false,
	      objects_of, secs);
	gauge(out, r, pk, "leakscope_growth_bytes_per_second",
	      "Change of the outstanding bytes per second between the last two reports.", true,
	      bytes_rate, secs);
	gauge(out, r, pk, "leakscope_growth_objects_per_second",
	      "Change of the outstanding objects per second between the last two reports.", false,
	      objects_rate, secs);
	gauge(out, r, pk, "leakscope_growing_stacks",
	      "Stacks whose verdict over the --window is growing.", false, growing_of, secs);
	counter(out, r, "leakscope_acquired_total", "Acquisitions recorded.", CNT_ACQUIRED, -1);
	counter(out, r, "leakscope_released_total", "Releases of recorded objects.", CNT_RELEASED,
		-1);
	counter(out, r, "leakscope_dropped_total",
		"Acquisitions dropped because a map was full (objects or per-stack totals).",
		CNT_OBJECTS_FULL, CNT_TOTALS_FULL);
	counter(out, r, "leakscope_lost_stacks_total",
		"Stacks lost: the stack map was full, or no frame was readable.", CNT_STACKS_FULL,
		CNT_STACKS_EMPTY);
	header(out, "leakscope_reports_total", "counter", "Reports gathered.");
	fprintf(out, "leakscope_reports_total %lu\n", r->seq);
	header(out, "leakscope_traced_seconds", "gauge", "Seconds since tracing began.");
	fprintf(out, "leakscope_traced_seconds %.3f\n", r->traced_ns / 1e9);
	free(pk);
}
