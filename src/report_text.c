// SPDX-License-Identifier: GPL-2.0
/* The human-readable report printed at every interval and at exit. */
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "kind.h"
#include "report.h"
#include "util.h"

/* Four frames say where a leak is; --full-stacks prints all. */
#define SHORT_STACK 4

/* "growing +800 B/s for 6 s", "steady for 4 s", "shrinking -2.0/s for 3 s" */
static void format_verdict(char *buf, size_t len, const struct report *r,
			   const struct report_entry *e)
{
	const struct verdict *v = &e->verdict;
	char rate[32] = "", age[32];

	if (v->kind == VERDICT_FIRST || v->kind == VERDICT_NEW) {
		snprintf(buf, len, "%s", verdict__name(v->kind));
		return;
	}
	if (v->kind != VERDICT_STEADY && kind__has_bytes(e->row.site.kind)) {
		rate[0] = v->rate < 0 ? '-' : '+';
		format_bytes(v->rate < 0 ? -v->rate : v->rate, rate + 1, sizeof(rate) - 3);
		strcat(rate, "/s");
	} else if (v->kind != VERDICT_STEADY) {
		snprintf(rate, sizeof(rate), "%+.1f/s", v->rate);
	}
	format_age(r->now_ns > v->since_ns ? r->now_ns - v->since_ns : 0, age, sizeof(age));
	snprintf(buf, len, "%s%s%s for %s", verdict__name(v->kind), rate[0] ? " " : "", rate, age);
}

static void format_trend(char *buf, size_t len, const struct report *r,
			 const struct report_entry *e)
{
	double secs = r->since_prev_ns / 1e9;
	char rate[32];

	if (e->verdict.kind != VERDICT_NONE) {
		format_verdict(buf, len, r, e);
		return;
	}
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
	if (!kind__has_bytes(e->row.site.kind)) {
		snprintf(buf, len, "%s %+" PRId64 " in %.0f s",
			 e->delta_count < 0 ? "shrinking" : "growing", e->delta_count, secs);
		return;
	}
	format_bytes((e->delta_bytes < 0 ? -e->delta_bytes : e->delta_bytes) / secs, rate,
		     sizeof(rate));
	snprintf(buf, len, "%s %c%s/s", e->delta_bytes < 0 ? "shrinking" : "growing",
		 e->delta_bytes < 0 ? '-' : '+', rate);
}

/* Bytes for heap blocks, "N (what)" for the others. */
static void format_outstanding(char *buf, size_t len, const struct report_entry *e)
{
	char detail[96];

	details__format(&e->details, detail, sizeof(detail));
	if (kind__has_bytes(e->row.site.kind))
		format_bytes(e->row.bytes, buf, len);
	else if (detail[0])
		snprintf(buf, len, "%s", detail);
	else
		snprintf(buf, len, "%" PRId64, e->row.count);
}

/*
 * A frame, and where it is in the source when known (Go code): its file's
 * name in one-line stacks ("main.f (main.go:12)"), the whole path with
 * --full-stacks; ", inlined" for a call the compiler inlined into the next.
 */
static void print_frame(FILE *out, const struct report_entry *e, size_t i, bool full)
{
	const struct report_loc *loc = report_entry__loc(e, i);
	const char *file = loc->file, *base;

	fputs(e->frames[i], out);
	if (!file)
		return;
	base = strrchr(file, '/');
	fprintf(out, " (%s:%d%s)", full || !base ? file : base + 1, loc->line,
		loc->inlined ? ", inlined" : "");
}

static void print_stack(FILE *out, const struct report_entry *e, bool full)
{
	size_t i, n = full ? e->nframes : (e->nframes < SHORT_STACK ? e->nframes : SHORT_STACK);

	if (full) {
		for (i = 0; i < e->nframes; i++) {
			fputs("\n        ", out);
			print_frame(out, e, i, true);
		}
		fputc('\n', out);
		return;
	}
	for (i = 0; i < n; i++) {
		fputs(i ? " <- " : "", out);
		print_frame(out, e, i, false);
	}
	if (n < e->nframes)
		fprintf(out, " <- ...");
	fputc('\n', out);
}

/* The words of kind k's counters: sampled at a rate the user chose, they
 * count what was sampled. */
static const struct kind_words *counter_words(const struct report *r, const struct kind *k)
{
	return r->kind[k->id].rate && k->sample_option ? &k->sampled_words : &k->words;
}

static void print_counters(FILE *out, const struct report *r, const struct kind *k)
{
	const uint64_t *c = r->kind[k->id].counters;
	const struct kind_words *w = counter_words(r, k);
	uint64_t attempts = c[CNT_ACQUIRED] + c[CNT_OBJECTS_FULL] + c[CNT_TOTALS_FULL];
	uint64_t dropped = c[CNT_OBJECTS_FULL] + c[CNT_TOTALS_FULL];
	uint64_t lost = c[CNT_STACKS_FULL] + c[CNT_STACKS_EMPTY];
	uint64_t walked; /* stacks by how their walk ended (--unwind) */

	fprintf(out,
		"counters %s: %" PRIu64 " %s, %" PRIu64 " %s, %" PRIu64 " %s%s, %" PRIu64
		" dropped",
		k->name, c[CNT_ACQUIRED], w->acquired, c[CNT_RELEASED], w->released,
		c[CNT_UNKNOWN_RELEASES], w->unknown,
		k->size_filter && r->size_filtered ? " (incl. blocks outside the size filter)" : "",
		dropped);
	if (dropped)
		fprintf(out,
			" (%.2f %% of %s: object map full %" PRIu64 ", site map full %" PRIu64 ")",
			100.0 * dropped / (attempts ? attempts : 1), k->words.acquired,
			c[CNT_OBJECTS_FULL], c[CNT_TOTALS_FULL]);
	fprintf(out, ", %" PRIu64 " stacks lost", lost);
	if (lost)
		fprintf(out, " (stack map full %" PRIu64 ", unreadable %" PRIu64 ")",
			c[CNT_STACKS_FULL], c[CNT_STACKS_EMPTY]);
	walked = c[CNT_STACKS_COMPLETE] + c[CNT_STACKS_TRUNCATED] + c[CNT_STACKS_CUT];
	if (walked)
		fprintf(out,
			", stacks %.1f %% complete (%" PRIu64 "), %" PRIu64
			" truncated at depth, %" PRIu64 " cut short",
			100.0 * c[CNT_STACKS_COMPLETE] / walked, c[CNT_STACKS_COMPLETE],
			c[CNT_STACKS_TRUNCATED], c[CNT_STACKS_CUT]);
	if (c[CNT_STATE_FULL])
		fprintf(out, ", %" PRIu64 " calls without thread state", c[CNT_STATE_FULL]);
	if (w != &k->words)
		fprintf(out, ", %" PRIu64 " %s not sampled", c[CNT_UNSAMPLED], k->words.acquired);
	fputc('\n', out);
	if (ls_verbose && walked)
		fprintf(out,
			"          %" PRIu64 " stacks recalled, not walked again: the words their"
			" first walk read were unchanged\n",
			c[CNT_STACKS_RECALLED]);
	if (ls_verbose && k->words.nested)
		fprintf(out, "          %" PRIu64 " %s\n", c[CNT_NESTED], k->words.nested);
}

/* ", target exited (status 3)", ", target exited (killed by SIGSEGV)" */
static void print_exit(FILE *out, const struct report_process *p)
{
	int st = p->exit_status;

	if (!p->exited)
		return;
	fprintf(out, ", target exited");
	if (st < 0)
		return;
	if (WIFEXITED(st))
		fprintf(out, " (status %d)", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		fprintf(out, " (killed by SIG%s)", sigabbrev_np(WTERMSIG(st)) ?: "?");
}

/* What the processes hold of kind k that was never seen acquired. */
static int preexisting(const struct report *r, enum ls_kind k)
{
	int n = 0;
	size_t i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].preexisting[k] > 0)
			n += r->procs[i].preexisting[k];
	return n;
}

/* "heap: 28.6 KiB in 35 blocks at 8 stacks; fd: 21 fds at 6 stacks" */
static void print_summary(FILE *out, const struct report *r, const struct options *opt)
{
	const char *sep = "";
	char total[32];
	int id;

	for (id = 0; id < LS_KIND_MAX; id++) {
		const struct kind_summary *ks = &r->kind[id];
		const struct kind *k = kind__get(id);

		if (!(r->kinds & (1u << id)))
			continue;
		fprintf(out, "%s%s: ", sep, k->name);
		if (k->has_bytes) {
			format_bytes(ks->bytes, total, sizeof(total));
			fprintf(out, "%s in ", total);
		}
		fprintf(out, "%" PRId64 " %s at %zu stack%s", ks->count, k->words.objects,
			ks->stacks, ks->stacks == 1 ? "" : "s");
		if (k->words.preexisting && preexisting(r, id) > 0)
			fprintf(out, " (+%d %s)", preexisting(r, id), k->words.preexisting);
		if (k->sample_option && ks->rate)
			fprintf(out, " (estimated: %s %" PRId64 ")", k->sample_option, ks->rate);
		sep = "; ";
	}
	if (opt->min_age > 0)
		fprintf(out, " (only objects older than %.0f s)", opt->min_age);
	fputc('\n', out);
}

/* "held at exit by PID 42 (app): fd: 19 fds at 6 stacks; thread: 6 threads
 * at 1 stack": an exit is no release, what a process held then is apart. */
static void print_held_at_exit(FILE *out, const struct report *r)
{
	size_t i, e;
	int id;

	for (i = 0; i < r->nprocs; i++) {
		const struct report_process *p = &r->procs[i];
		int64_t count[LS_KIND_MAX] = {0}, bytes[LS_KIND_MAX] = {0};
		size_t stacks[LS_KIND_MAX] = {0};
		const char *sep = ": ";
		char total[32];

		if (!p->exited)
			continue;
		for (e = 0; e < r->count; e++) {
			const struct ls_site *site = &r->entries[e].row.site;

			if ((int)site->tgid != p->pid || site->kind >= LS_KIND_MAX ||
			    !kind__counts(site->kind, site->api))
				continue;
			count[site->kind] += r->entries[e].row.count;
			bytes[site->kind] += r->entries[e].row.bytes;
			stacks[site->kind]++;
		}
		fprintf(out, "held at exit by PID %d (%s)", p->pid, p->comm);
		for (id = 0; id < LS_KIND_MAX; id++) {
			const struct kind *k = kind__get(id);

			if (!stacks[id])
				continue;
			fprintf(out, "%s%s: ", sep, k->name);
			if (k->has_bytes) {
				format_bytes(bytes[id], total, sizeof(total));
				fprintf(out, "%s in ", total);
			}
			fprintf(out, "%" PRId64 " %s at %zu stack%s", count[id], k->words.objects,
				stacks[id], stacks[id] == 1 ? "" : "s");
			sep = "; ";
		}
		fprintf(out, "%s\n", *sep == ':' ? ": nothing" : "");
	}
}

static void print_entry(FILE *out, const struct report *r, const struct report_entry *e,
			const struct options *opt)
{
	char outstanding[112], age[32], trend[64];
	/* generations start up to a second before tracing did */
	uint64_t age_ns = aggregate__age_ns(&e->row, r->now_ns);

	format_outstanding(outstanding, sizeof(outstanding), e);
	format_age(age_ns < r->traced_ns ? age_ns : r->traced_ns, age, sizeof(age));
	format_trend(trend, sizeof(trend), r, e);
	if (r->nprocs > 1 || opt->all)
		fprintf(out, "%-7u ", e->row.site.tgid);
	fprintf(out, "%-7s %-20s %8" PRId64 " %7s  %-28s ", kind__name(e->row.site.kind),
		outstanding, e->row.count, age, trend);
	print_stack(out, e, opt->full_stacks);
}

void report_text__print(FILE *out, const struct report *r, const struct options *opt)
{
	char when[32], traced[32];
	time_t now = time(NULL);
	size_t i, shown[LS_KIND_MAX] = {0};
	bool header = false;
	int k;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	format_age(r->traced_ns, traced, sizeof(traced));
	if (opt->all)
		fprintf(out, "leakscope: host, %zu processes", r->nprocs);
	else
		fprintf(out, "leakscope: pid %d (%s)", r->procs[0].pid, r->procs[0].comm);
	if (r->nprocs > 1 && !opt->all)
		fprintf(out, " and %zu children", r->nprocs - 1);
	fprintf(out, ", %sreport %lu, traced %s, %s", r->final ? "final " : "", r->seq, traced,
		when);
	if (!opt->all)
		print_exit(out, &r->procs[0]);
	fputc('\n', out);
	if (r->missing && r->missing[0])
		fprintf(out, "missing: %s\n", r->missing);
	print_summary(out, r, opt);
	if (opt->all)
		report_host__print(out, r, opt);
	else
		print_held_at_exit(out, r);
	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];

		k = e->row.site.kind % LS_KIND_MAX;
		if (shown[k]++ >= (size_t)opt->top)
			continue;
		if (!header) {
			if (r->nprocs > 1 || opt->all)
				fprintf(out, "%-7s ", "pid");
			fprintf(out, "%-7s %-20s %8s %7s  %-28s %s\n", "kind", "outstanding",
				"objects", "oldest", "trend", "stack");
			header = true;
		}
		print_entry(out, r, e, opt);
	}
	for (k = 0; k < LS_KIND_MAX; k++)
		if (shown[k] > (size_t)opt->top)
			fprintf(out, "... %zu more %s stacks (--top)\n", shown[k] - opt->top,
				kind__name(k));
	for (k = 0; k < LS_KIND_MAX; k++)
		if (r->kinds & (1u << k))
			print_counters(out, r, kind__get(k));
	fputc('\n', out);
	fflush(out);
}
