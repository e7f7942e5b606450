// SPDX-License-Identifier: GPL-2.0
/*
 * JSON for scripts: each report is one object on one line, with its
 * processes, per-kind totals and counters, and every stack with its frames
 * (and their source lines, Go code), values, age and verdict.
 */
#include <inttypes.h>
#include <math.h>
#include <sys/wait.h>
#include <time.h>

#include "kind.h"
#include "report.h"
#include "util.h"

static const char *const counter_names[CNT_MAX] = {
    [CNT_ACQUIRED] = "acquired",
    [CNT_RELEASED] = "released",
    [CNT_UNKNOWN_RELEASES] = "unknown_releases",
    [CNT_OBJECTS_FULL] = "dropped_object_map_full",
    [CNT_TOTALS_FULL] = "dropped_site_map_full",
    [CNT_STACKS_FULL] = "stacks_lost_map_full",
    [CNT_STACKS_EMPTY] = "stacks_lost_unreadable",
    [CNT_STACKS_TRUNCATED] = "stacks_truncated",
    [CNT_STATE_FULL] = "calls_without_thread_state",
    [CNT_NESTED] = "nested_calls",
    [CNT_UNSAMPLED] = "not_sampled",
    [CNT_STACKS_COMPLETE] = "stacks_complete",
    [CNT_STACKS_CUT] = "stacks_cut_short",
    [CNT_STACKS_RECALLED] = "stacks_recalled",
};

/* The length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_length(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates and beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* A JSON string: quotes, backslashes and control characters escaped, bytes
 * that are not UTF-8 replaced by U+FFFD. */
void json__string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n = utf8_length(s);

		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\u%04x", *s);
		else if (n == 0)
			fputs("\\ufffd", out);
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
	}
	fputc('"', out);
}

/* A finite number, or null. */
static void json_number(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.3f", v);
	else
		fputs("null", out);
}

/* "fds_open_before_tracing": 3, from the kind's words */
static void print_preexisting(FILE *out, const struct report_process *p)
{
	int id;

	for (id = 0; id < LS_KIND_MAX; id++) {
		const struct kind *k = kind__get(id);
		const char *w = k->words.preexisting;

		if (!w || p->preexisting[id] < 0)
			continue;
		fprintf(out, ",\"%s_", k->words.objects);
		for (; *w; w++)
			fputc(*w == ' ' ? '_' : *w, out);
		fprintf(out, "\":%d", p->preexisting[id]);
	}
}

/* -a sampled: its anonymous RSS and, in a window, what tracing costs it */
static void print_memory(FILE *out, const struct proc_memory *m)
{
	if (!m->known)
		return;
	fprintf(out, ",\"rss_anon\":%" PRId64 ",\"rss_bytes_per_s\":", m->rss_anon);
	json_number(out, m->rate);
	fprintf(out, ",\"grew_reports\":%u,\"escalated\":%s,\"sampling_ns_estimated\":%" PRIu64,
		m->streak, m->escalated ? "true" : "false", m->sampling_ns);
	if (!m->exact_now)
		return;
	fprintf(out,
		",\"exact_window\":{\"s\":%.0f,\"of_s\":%.0f,\"probe_hits\":%" PRIu64
		",\"bpf_ns\":%" PRIu64 ",\"traps_ns_estimated\":%" PRIu64,
		m->window_s, m->window_len, m->probe_hits, m->bpf_ns, m->traps_ns);
	if (m->cpu_share >= 0) {
		fputs(",\"percent_of_its_cpu\":", out);
		json_number(out, m->cpu_share);
	}
	fputc('}', out);
}

/* -a sampled: what leakscope has cost the host, and how it is known */
static void print_host(FILE *out, const struct host_cost *c)
{
	if (!c->present)
		return;
	fputs(",\"host\":{\"percent_of_cpus\":", out);
	json_number(out, c->percent);
	fprintf(out,
		",\"cpus\":%d,\"budget_percent\":%.4g,\"seconds\":%.3f,\"fault_period\":%" PRIu64
		",\"sampling_bpf_ns\":%" PRIu64 ",\"sampling_runs\":%" PRIu64
		",\"exact_windows\":%u,\"exact_ns\":%" PRIu64 ",\"exact_trap_ns_estimate\":%d"
		",\"self_ns\":%" PRIu64,
		c->ncpus, c->budget, c->secs, c->fault_period, c->sampling_ns, c->sampling_runs,
		c->windows, c->exact_ns, c->trap_ns, c->self_ns);
	if (c->go)
		fprintf(out,
			",\"go_processes\":%zu,\"go_probe_hits\":%" PRIu64
			",\"go_bpf_ns\":%" PRIu64,
			c->go_processes, c->go_runs, c->go_bpf_ns);
	fputc('}', out);
}

static void print_process(FILE *out, const struct report_process *p)
{
	fprintf(out, "{\"pid\":%d,\"comm\":", p->pid);
	json__string(out, p->comm);
	fprintf(out, ",\"exited\":%s", p->exited ? "true" : "false");
	if (p->exited && p->exit_status >= 0 && WIFEXITED(p->exit_status))
		fprintf(out, ",\"exit_status\":%d", WEXITSTATUS(p->exit_status));
	else if (p->exited && p->exit_status >= 0 && WIFSIGNALED(p->exit_status))
		fprintf(out, ",\"killed_by\":%d", WTERMSIG(p->exit_status));
	print_preexisting(out, p);
	print_memory(out, &p->memory);
	if (p->cgroup) {
		fputs(",\"cgroup\":", out);
		json__string(out, p->cgroup);
	}
	fputc('}', out);
}

static void print_kinds(FILE *out, const struct report *r)
{
	const char *sep = "";
	int k, c;

	fputs(",\"kinds\":{", out);
	for (k = 0; k < LS_KIND_MAX; k++) {
		const struct kind_summary *ks = &r->kind[k];

		if (!(r->kinds & (1u << k)))
			continue;
		fprintf(out,
			"%s\"%s\":{\"bytes\":%" PRId64 ",\"objects\":%" PRId64
			",\"stacks\":%zu,\"counters\":{",
			sep, kind__name(k), ks->bytes, ks->count, ks->stacks);
		for (c = 0; c < CNT_MAX; c++)
			fprintf(out, "%s\"%s\":%" PRIu64, c ? "," : "", counter_names[c],
				ks->counters[c]);
		fputs("}}", out);
		sep = ",";
	}
	fputc('}', out);
}

/* "sources", parallel to "frames", when some frame has a source line (Go
 * code): {"file":F,"line":N} with "inlined":true for a call the compiler
 * inlined into the next frame, null for frames without one. */
static void print_sources(FILE *out, const struct report_entry *e)
{
	bool any = false;
	size_t i;

	for (i = 0; i < e->nframes; i++)
		any |= report_entry__loc(e, i)->file != NULL;
	if (!any)
		return;
	fputs(",\"sources\":[", out);
	for (i = 0; i < e->nframes; i++) {
		const struct report_loc *loc = report_entry__loc(e, i);

		fputs(i ? "," : "", out);
		if (!loc->file) {
			fputs("null", out);
			continue;
		}
		fputs("{\"file\":", out);
		json__string(out, loc->file);
		fprintf(out, ",\"line\":%d%s}", loc->line, loc->inlined ? ",\"inlined\":true" : "");
	}
	fputc(']', out);
}

static void print_entry(FILE *out, const struct report *r, const struct report_entry *e)
{
	const struct report_process *p = report__process(r, e->row.site.tgid);
	uint64_t age = aggregate__age_ns(&e->row, r->now_ns);
	const struct verdict *v = &e->verdict;
	char detail[256];
	size_t i;

	if (age > r->traced_ns) /* generations start before tracing did */
		age = r->traced_ns;
	fprintf(out, "{\"pid\":%u,\"comm\":", e->row.site.tgid);
	json__string(out, p ? p->comm : "?");
	fprintf(out, ",\"kind\":\"%s\",\"frames\":[", kind__name(e->row.site.kind));
	for (i = 0; i < e->nframes; i++) {
		if (i)
			fputc(',', out);
		json__string(out, e->frames[i]);
	}
	fputc(']', out);
	print_sources(out, e);
	fprintf(out,
		",\"bytes\":%" PRId64 ",\"objects\":%" PRId64
		",\"age_s\":%.0f,\"delta_bytes\":%" PRId64 ",\"delta_objects\":%" PRId64
		",\"verdict\":\"%s\"",
		kind__has_bytes(e->row.site.kind) ? e->row.bytes : 0, e->row.count, age / 1e9,
		e->delta_bytes, e->delta_count,
		v->kind >= VERDICT_NEW ? verdict__name(v->kind) : "none");
	if (v->kind >= VERDICT_GROWING) {
		fputs(",\"rate_per_s\":", out);
		json_number(out, v->rate);
		fprintf(out, ",\"verdict_for_s\":%.0f",
			r->now_ns > v->since_ns ? (r->now_ns - v->since_ns) / 1e9 : 0.0);
	}
	details__format(&e->details, detail, sizeof(detail));
	if (detail[0]) {
		fputs(",\"details\":", out);
		json__string(out, detail);
	}
	fputc('}', out);
}

void report_json__print(FILE *out, const struct report *r)
{
	char when[32];
	time_t now = time(NULL);
	size_t i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(out,
		"{\"report\":%lu,\"final\":%s,\"time\":\"%s\",\"traced_s\":%.3f,\"processes\":[",
		r->seq, r->final ? "true" : "false", when, r->traced_ns / 1e9);
	for (i = 0; i < r->nprocs; i++) {
		if (i)
			fputc(',', out);
		print_process(out, &r->procs[i]);
	}
	fputc(']', out);
	if (r->missing && r->missing[0]) {
		fputs(",\"missing\":", out);
		json__string(out, r->missing);
	}
	print_kinds(out, r);
	print_host(out, &r->host);
	fputs(",\"stacks\":[", out);
	for (i = 0; i < r->count; i++) {
		if (i)
			fputc(',', out);
		print_entry(out, r, &r->entries[i]);
	}
	fputs("]}\n", out);
	fflush(out);
}
