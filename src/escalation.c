// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "escalation.h"
#include "follow.h"
#include "kind.h"
#include "report.h"
#include "session.h"
#include "target.h"
#include "util.h"

uint64_t cpu_ticks(int pid)
{
	char path[64], *text, *p;
	unsigned long long ut = 0, st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	text = read_file(path, NULL);
	p = text ? strrchr(text, ')') : NULL; /* the comm may hold spaces */
	if (p &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		ut = st = 0;
	free(text);
	return ut + st;
}

int escalation__open(struct escalation *e, struct session *s, const struct report_process *p,
		     double seconds, uint64_t bpf_ns, uint64_t runs)
{
	const struct options *opt = s->opt;
	struct target t = {.pidfd = -1, .release_fd = -1};
	uint64_t now = monotonic_ns();

	memset(e, 0, sizeof(*e));
	if (target__attach(&t, p->pid))
		return -1;
	if (allocator__plan(&t, opt->allocator, 1u << LS_KIND_HEAP, &e->plan)) {
		target__close(&t);
		return -1;
	}
	allocator__place(&e->plan, opt->probe_at_entry);
	target__close(&t);
	/* its stacks unwound as a target's: its tables loaded first */
	follow__closely(s, p->pid);
	if (probes__attach(s->skel, &e->plan, p->pid, &e->links)) {
		probes__detach(&e->links);
		allocator__free_plan(&e->plan);
		return -1;
	}
	e->pid = p->pid;
	snprintf(e->comm, sizeof(e->comm), "%s", p->comm ? p->comm : "?");
	e->start_ns = now;
	e->end_ns = now + (uint64_t)(seconds * 1e9);
	e->bpf0_ns = bpf_ns;
	e->runs0 = runs;
	e->cpu0 = cpu_ticks(p->pid);
	return 0;
}

uint64_t escalation__cost(const struct escalation *e, uint64_t bpf_ns, uint64_t runs)
{
	return bpf_ns - e->bpf0_ns + (runs - e->runs0) * TRAP_NS_ESTIMATE;
}

void escalation__note_growing(struct escalation *e, const struct report *r)
{
	char *text = NULL;
	size_t len = 0, i, k;
	FILE *f = open_memstream(&text, &len);
	int n = 0;

	if (!f)
		return;
	for (i = 0; i < r->count; i++) {
		const struct report_entry *en = &r->entries[i];
		char bytes[32];

		if (en->row.site.tgid != (uint32_t)e->pid || en->row.site.kind != LS_KIND_HEAP ||
		    en->verdict.kind != VERDICT_GROWING)
			continue;
		format_bytes(en->row.bytes, bytes, sizeof(bytes));
		fprintf(f, "\n  %s in %" PRId64 " blocks, +%.0f B/s: ", bytes, en->row.count,
			en->verdict.rate);
		for (k = 0; k < en->nframes && k < 8; k++)
			fprintf(f, "%s%s", k ? " <- " : "", en->frames[k]);
		n++;
	}
	fputc('\n', f);
	fclose(f);
	free(e->growing);
	e->growing = n ? text : NULL;
	if (!n)
		free(text);
}

void escalation__close(struct escalation *e, struct session *s, const char *why, FILE *out,
		       uint64_t bpf_ns, uint64_t runs)
{
	struct kind_source src = session__source(s);
	uint32_t pid = e->pid;
	uint64_t now = monotonic_ns();

	probes__detach(&e->links);
	allocator__free_plan(&e->plan);
	kind__get(LS_KIND_HEAP)->forget(&src, &pid, 1);
	fprintf(out,
		"escalation %d (%s) ended after %.0f s (%s): %" PRIu64
		" probe hits, BPF %.1f ms + traps ~%.1f ms (estimated); growing heap stacks: %s",
		e->pid, e->comm, (now - e->start_ns) / 1e9, why, runs - e->runs0,
		(bpf_ns - e->bpf0_ns) / 1e6, (runs - e->runs0) * (double)TRAP_NS_ESTIMATE / 1e6,
		e->growing ? e->growing : "none\n");
	fflush(out);
	free(e->growing);
	e->growing = NULL;
}
