// SPDX-License-Identifier: GPL-2.0
/*
 * -a/--all: the processes of a host report, ranked by growth since the
 * previous report (then by what they hold), and those that exited, said
 * once: "exited with N outstanding".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "report.h"
#include "util.h"

struct proc_total {
	const struct report_process *p;
	int64_t bytes, objects, delta_bytes, delta_objects;
};

static int by_growth(const void *pa, const void *pb)
{
	const struct proc_total *a = pa, *b = pb;

	if (a->delta_bytes != b->delta_bytes)
		return a->delta_bytes < b->delta_bytes ? 1 : -1;
	if (a->delta_objects != b->delta_objects)
		return a->delta_objects < b->delta_objects ? 1 : -1;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? 1 : -1;
	return (a->p->pid > b->p->pid) - (a->p->pid < b->p->pid);
}

void report_host__print(FILE *out, const struct report *r, const struct options *opt)
{
	struct proc_total *t = xcalloc(r->nprocs + 1, sizeof(*t));
	double secs = r->since_prev_ns / 1e9;
	size_t i, shown = 0;

	for (i = 0; i < r->nprocs; i++)
		t[i].p = &r->procs[i];
	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];
		const struct report_process *p = report__process(r, e->row.site.tgid);
		struct proc_total *x = p ? &t[p - r->procs] : NULL;

		if (!x)
			continue;
		if (kind__has_bytes(e->row.site.kind)) {
			x->bytes += e->row.bytes;
			x->delta_bytes += e->delta_bytes;
		}
		x->objects += e->row.count;
		x->delta_objects += e->delta_count;
	}
	qsort(t, r->nprocs, sizeof(*t), by_growth);
	for (i = 0; i < r->nprocs; i++) {
		char bytes[32], rate[32] = "-";

		if (!t[i].objects) /* nothing held, exited or not: nothing to say */
			continue;
		format_bytes(t[i].bytes, bytes, sizeof(bytes));
		if (t[i].p->exited) {
			fprintf(out,
				"process %-7d %-16s exited with %s in %" PRId64
				" objects outstanding\n",
				t[i].p->pid, t[i].p->comm, bytes, t[i].objects);
			continue;
		}
		if (shown++ >= (size_t)opt->top)
			continue;
		if (secs > 0 && r->seq > 1) {
			rate[0] = t[i].delta_bytes < 0 ? '-' : '+';
			format_bytes(llabs(t[i].delta_bytes) / secs, rate + 1, sizeof(rate) - 3);
			snprintf(rate + strlen(rate), sizeof(rate) - strlen(rate), "/s");
		}
		fprintf(out, "process %-7d %-16s %-12s in %8" PRId64 " objects, %s", t[i].p->pid,
			t[i].p->comm, bytes, t[i].objects, rate);
		if (t[i].p->cgroup)
			fprintf(out, ", cgroup %s", t[i].p->cgroup);
		fputc('\n', out);
	}
	if (shown > (size_t)opt->top)
		fprintf(out, "... %zu more processes (--top)\n", shown - opt->top);
	free(t);
}

static void print_process_memory(FILE *out, const struct report_process *p)
{
	const struct proc_memory *m = &p->memory;
	char rss[32], rate[32];

	format_bytes(m->rss_anon, rss, sizeof(rss));
	format_bytes(m->rate < 0 ? -m->rate : m->rate, rate, sizeof(rate));
	fprintf(out, "memory %-7d %-16s RSS anon %s, %s%s/s, grew %u report%s in a row", p->pid,
		p->comm, rss, m->rate < 0 ? "-" : "+", rate, m->streak, m->streak == 1 ? "" : "s");
	fprintf(out, "; fault sampling ~%.2f ms (estimated)", m->sampling_ns / 1e6);
	if (m->exact_now) {
		fprintf(out,
			"; heap traced exactly for %.0f s of %.0f: %" PRIu64
			" probe hits, BPF %.2f ms + traps ~%.2f ms (estimated)",
			m->window_s, m->window_len, m->probe_hits, m->bpf_ns / 1e6,
			m->traps_ns / 1e6);
		if (m->cpu_share >= 0)
			fprintf(out, ", ~%.1f %% of its CPU time", m->cpu_share);
	} else if (m->escalated) {
		fprintf(out, "; its heap was traced exactly once");
	}
	fputc('\n', out);
}

void report_host__print_memory(FILE *out, const struct report *r, const struct options *opt)
{
	const struct host_cost *c = &r->host;
	int shown = 0;
	size_t i;

	if (!c->present)
		return;
	fprintf(out,
		"host: leakscope took %.3f %% of %d CPUs in %.0f s (budget %.4g %%): fault "
		"sampling (1 in %" PRIu64 ") %.1f ms BPF in %" PRIu64
		" runs; exact heap tracing %u window%s, %.1f ms (BPF + traps estimated at "
		"%d us a probe hit); its own process %.0f ms; not counted: the kernel's "
		"perf work per fault\n",
		c->percent, c->ncpus, c->secs, c->budget, c->fault_period, c->sampling_ns / 1e6,
		c->sampling_runs, c->windows, c->windows == 1 ? "" : "s", c->exact_ns / 1e6,
		c->trap_ns / 1000, c->self_ns / 1e6);
	if (c->go)
		fprintf(out,
			"go: %zu Go process%s traced for goroutines and the Go heap: %" PRIu64
			" probe hits, BPF %.1f ms + traps ~%.1f ms (estimated)\n",
			c->go_processes, c->go_processes == 1 ? "" : "es", c->go_runs,
			c->go_bpf_ns / 1e6, c->go_runs * (double)c->trap_ns / 1e6);
	for (i = 0; i < r->nprocs && shown < opt->top; i++) {
		const struct report_process *p = &r->procs[i];

		if (p->exited || !p->memory.known || !(p->memory.streak || p->memory.exact_now))
			continue;
		print_process_memory(out, p);
		shown++;
	}
}
