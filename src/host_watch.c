// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "allocator.h"
#include "cli.h"
#include "go_host.h"
#include "host_watch.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "probes.h"
#include "report.h"
#include "session.h"
#include "target.h"
#include "util.h"

/* What one uprobe hit costs the process beyond the BPF run time that
 * bpf_stats measures: the trap. Estimated from `make bench` on this kernel
 * (no-op programs at leakscope's probes: ~13.5 us a malloc/free pair, three
 * hits). Said as an estimate wherever it is used. */
#define TRAP_NS_ESTIMATE 4500
#define MAX_FAULT_PERIOD (1u << 16)

struct proc_watch {
	int pid;
	int64_t rss, prev_rss; /* RssAnon, bytes; -1: unknown */
	double rate;	       /* bytes/s since the previous report */
	unsigned streak;       /* reports in a row it grew */
	bool escalated;	       /* its heap was traced exactly once already */
};

struct escalation {
	int pid;
	char comm[32];
	uint64_t start_ns, end_ns;
	struct probe_plan plan;
	struct probe_links links;
	uint64_t bpf0_ns, runs0; /* exact programs' totals at the start */
	uint64_t cpu0;		 /* its utime + stime (ticks) at the start */
	char *growing;		 /* the growing heap stacks of the last report */
};

struct host_watch {
	struct session *s;
	int ncpus, *fds;
	struct bpf_link **links;
	int stats_fd;
	uint64_t start_ns, last_tick_ns, last_report_ns;
	uint64_t sampling_ns, sampling_runs; /* growth programs, cumulative */
	uint64_t exact_ns, exact_runs;	     /* the others (heap uprobes) */
	uint64_t prev_sampling_ns;
	uint64_t esc_cost_ns;	 /* windows ended: BPF + traps estimated */
	uint64_t self0, self_ns; /* leakscope's own CPU time: at the start, since */
	unsigned escalations;
	struct proc_watch *procs;
	size_t nprocs;
	struct escalation esc;
	bool active;
};

static uint64_t fault_period;

static uint64_t cpu_ticks(int pid);

uint64_t host_watch__fault_period(const struct options *opt)
{
	return fault_period ? fault_period : opt->fault_period;
}

static int open_fault_event(int cpu, uint64_t period)
{
	struct perf_event_attr attr = {
	    .type = PERF_TYPE_SOFTWARE,
	    .size = sizeof(attr),
	    .config = PERF_COUNT_SW_PAGE_FAULTS,
	    .sample_period = period,
	};

	return syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

struct host_watch *host_watch__start(struct session *s)
{
	const struct options *opt = s->opt;
	struct host_watch *w;
	int cpu;

	if (!opt->all || opt->host_exact || !(opt->kinds & (1u << LS_KIND_GROWTH)))
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->ncpus = libbpf_num_possible_cpus();
	w->fds = xcalloc(w->ncpus, sizeof(*w->fds));
	w->links = xcalloc(w->ncpus, sizeof(*w->links));
	fault_period = opt->fault_period;
	for (cpu = 0; cpu < w->ncpus; cpu++) {
		w->fds[cpu] = open_fault_event(cpu, fault_period);
		if (w->fds[cpu] < 0) {
			if (errno == ENODEV) /* a possible CPU not online */
				continue;
			ls_error("cannot sample page faults on CPU %d: %s", cpu, strerror(errno));
			continue;
		}
		w->links[cpu] =
		    bpf_program__attach_perf_event(s->skel->progs.growth_fault, w->fds[cpu]);
		if (!w->links[cpu])
			ls_error("cannot attach to the page faults of CPU %d: %s", cpu,
				 strerror(errno));
	}
	/* what leakscope's programs cost, measured by the kernel */
	w->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (w->stats_fd < 0)
		ls_error("no BPF run-time statistics (%s): costs are not measured",
			 strerror(errno));
	w->start_ns = w->last_tick_ns = w->last_report_ns = monotonic_ns();
	w->self0 = cpu_ticks(getpid());
	return w;
}

/* The run time and runs of leakscope's programs, split into the sampling
 * (growth) and the rest (exact tracing). */
static void read_costs(struct host_watch *w)
{
	const struct kind *growth = kind__get(LS_KIND_GROWTH);
	struct bpf_program *prog;

	w->self_ns = (cpu_ticks(getpid()) - w->self0) * (1000000000ULL / sysconf(_SC_CLK_TCK));
	w->sampling_ns = w->sampling_runs = w->exact_ns = w->exact_runs = 0;
	bpf_object__for_each_program(prog, w->s->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		if (kind__of_program(bpf_program__name(prog)) == growth) {
			w->sampling_ns += info.run_time_ns;
			w->sampling_runs += info.run_cnt;
		} else {
			w->exact_ns += info.run_time_ns;
			w->exact_runs += info.run_cnt;
		}
	}
}

/* What the window open now has cost: BPF measured, traps estimated. */
static uint64_t window_cost(const struct host_watch *w)
{
	if (!w->active)
		return 0;
	return w->exact_ns - w->esc.bpf0_ns + (w->exact_runs - w->esc.runs0) * TRAP_NS_ESTIMATE;
}

static uint64_t total_cost(const struct host_watch *w)
{
	return w->sampling_ns + w->esc_cost_ns + window_cost(w) + w->self_ns;
}

/* The budget in ns of CPU time, for the whole run so far. */
static double allowed_ns(const struct host_watch *w, uint64_t now)
{
	return w->s->opt->budget / 100.0 * w->ncpus * (double)(now - w->start_ns);
}

static int64_t rss_anon(int pid)
{
	char path[64], *text, *line;
	int64_t kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	text = read_file(path, NULL);
	line = text ? strstr(text, "\nRssAnon:") : NULL;
	if (line)
		kb = strtoll(line + 9, NULL, 10);
	free(text);
	return kb < 0 ? -1 : kb * 1024;
}

/* utime + stime of a process, in clock ticks; 0: unknown */
static uint64_t cpu_ticks(int pid)
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

static struct proc_watch *proc_of(struct host_watch *w, int pid)
{
	size_t i;

	for (i = 0; i < w->nprocs; i++)
		if (w->procs[i].pid == pid)
			return &w->procs[i];
	w->procs = xrealloc(w->procs, w->nprocs + 1, sizeof(*w->procs));
	memset(&w->procs[w->nprocs], 0, sizeof(*w->procs));
	w->procs[w->nprocs].pid = pid;
	w->procs[w->nprocs].prev_rss = -1;
	return &w->procs[w->nprocs++];
}

static void escalate(struct host_watch *w, const struct report_process *p, uint64_t now)
{
	const struct options *opt = w->s->opt;
	struct escalation *e = &w->esc;
	struct target t = {.pidfd = -1, .release_fd = -1};

	memset(e, 0, sizeof(*e));
	if (target__attach(&t, p->pid))
		return;
	if (allocator__plan(&t, opt->allocator, 1u << LS_KIND_HEAP, &e->plan)) {
		target__close(&t);
		return;
	}
	allocator__place(&e->plan, opt->probe_at_entry);
	target__close(&t);
	read_costs(w);
	e->bpf0_ns = w->exact_ns;
	e->runs0 = w->exact_runs;
	if (probes__attach(w->s->skel, &e->plan, p->pid, &e->links)) {
		probes__detach(&e->links);
		allocator__free_plan(&e->plan);
		return;
	}
	e->pid = p->pid;
	snprintf(e->comm, sizeof(e->comm), "%s", p->comm ? p->comm : "?");
	e->start_ns = now;
	e->end_ns = now + (uint64_t)(opt->escalate_window * 1e9);
	e->cpu0 = cpu_ticks(p->pid);
	w->active = true;
	w->escalations++;
	ls_info("PID %d (%s): memory grew %u reports in a row: its heap is traced exactly for "
		"%.0f s (%zu probes)",
		p->pid, e->comm, proc_of(w, p->pid)->streak, opt->escalate_window, e->links.count);
}

/* The window ends (its time, the budget, the process's exit): probes gone,
 * its blocks forgotten (their frees are no longer seen), what grew said. */
static void end_escalation(struct host_watch *w, const char *why)
{
	struct escalation *e = &w->esc;
	struct kind_source src = session__source(w->s);
	uint32_t pid = e->pid;
	uint64_t now = monotonic_ns(), cost;
	FILE *out = w->s->json == stdout ? stderr : stdout; /* --json -: stdout is its */

	read_costs(w);
	cost = window_cost(w);
	probes__detach(&e->links);
	allocator__free_plan(&e->plan);
	kind__get(LS_KIND_HEAP)->forget(&src, &pid, 1);
	w->esc_cost_ns += cost;
	w->active = false;
	fprintf(out,
		"escalation %d (%s) ended after %.0f s (%s): %" PRIu64
		" probe hits, BPF %.1f ms + traps ~%.1f ms (estimated); growing heap stacks: %s",
		e->pid, e->comm, (now - e->start_ns) / 1e9, why, w->exact_runs - e->runs0,
		(w->exact_ns - e->bpf0_ns) / 1e6,
		(w->exact_runs - e->runs0) * (double)TRAP_NS_ESTIMATE / 1e6,
		e->growing ? e->growing : "none\n");
	fflush(out);
	free(e->growing);
	e->growing = NULL;
}

void host_watch__tick(struct host_watch *w)
{
	uint64_t now = monotonic_ns(), dt;
	double sampling;
	int cpu;

	if (!w)
		return;
	read_costs(w);
	if (w->active && kill(w->esc.pid, 0) && errno == ESRCH)
		end_escalation(w, "the process exited");
	else if (w->active && now >= w->esc.end_ns)
		end_escalation(w, "its window");
	else if (w->active && total_cost(w) > allowed_ns(w, now))
		end_escalation(w, "over the budget");
	dt = now - w->last_tick_ns;
	if (dt < 500000000ULL)
		return;
	/* the sampling alone over half the budget: one fault in twice as many */
	sampling = (double)(w->sampling_ns - w->prev_sampling_ns) / (w->ncpus * (double)dt);
	if (sampling * 100 > w->s->opt->budget / 2 && fault_period < MAX_FAULT_PERIOD) {
		fault_period *= 2;
		for (cpu = 0; cpu < w->ncpus; cpu++)
			if (w->fds[cpu] >= 0)
				ioctl(w->fds[cpu], PERF_EVENT_IOC_PERIOD, &fault_period);
		ls_info("page fault sampling took %.2f %% of the CPUs: one fault in %" PRIu64
			" is seen now",
			sampling * 100, fault_period);
	}
	w->prev_sampling_ns = w->sampling_ns;
	w->last_tick_ns = now;
}

/* The escalated process's heap stacks that the verdicts call growing. */
static void keep_growing(struct escalation *e, const struct report *r)
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

static void print_process(FILE *out, const struct host_watch *w, const struct proc_watch *pw,
			  const struct report_process *p, uint64_t now)
{
	char rss[32], rate[32];

	format_bytes(pw->rss, rss, sizeof(rss));
	format_bytes(pw->rate < 0 ? -pw->rate : pw->rate, rate, sizeof(rate));
	fprintf(out, "memory %-7d %-16s RSS anon %s, %s%s/s, grew %u report%s in a row", p->pid,
		p->comm, rss, pw->rate < 0 ? "-" : "+", rate, pw->streak,
		pw->streak == 1 ? "" : "s");
	if (w->active && w->esc.pid == p->pid) {
		uint64_t ticks = cpu_ticks(p->pid) - w->esc.cpu0;
		double its = ticks * 1e9 / sysconf(_SC_CLK_TCK);

		fprintf(out,
			"; heap traced exactly for %.0f s of %.0f: %" PRIu64
			" probe hits, BPF %.2f ms + traps ~%.2f ms (estimated)",
			(now - w->esc.start_ns) / 1e9, w->s->opt->escalate_window,
			w->exact_runs - w->esc.runs0, (w->exact_ns - w->esc.bpf0_ns) / 1e6,
			(w->exact_runs - w->esc.runs0) * (double)TRAP_NS_ESTIMATE / 1e6);
		if (its > 0)
			fprintf(out, ", ~%.1f %% of its CPU time", 100.0 * window_cost(w) / its);
	} else if (pw->escalated) {
		fprintf(out, "; its heap was traced exactly once");
	}
	fputc('\n', out);
}

void host_watch__report(struct host_watch *w, const struct report *r, FILE *out)
{
	const struct options *opt = w ? w->s->opt : NULL;
	const struct report_process *best = NULL;
	uint64_t now = monotonic_ns();
	double secs, best_rate = 0;
	size_t i;
	int shown = 0;

	if (!w)
		return;
	read_costs(w);
	secs = (now - w->last_report_ns) / 1e9;
	w->last_report_ns = now;
	if (w->active)
		keep_growing(&w->esc, r);
	if (out)
		fprintf(out,
			"host: leakscope took %.3f %% of %d CPUs in %.0f s (budget %.4g %%): fault "
			"sampling (1 in %" PRIu64 ") %.1f ms BPF in %" PRIu64
			" runs; exact heap tracing %u window%s, %.1f ms (BPF + traps estimated at "
			"%d us a probe hit); its own process %.0f ms; not counted: the kernel's "
			"perf work per fault\n",
			100.0 * total_cost(w) / (w->ncpus * (double)(now - w->start_ns)), w->ncpus,
			(now - w->start_ns) / 1e9, opt->budget, fault_period, w->sampling_ns / 1e6,
			w->sampling_runs, w->escalations, w->escalations == 1 ? "" : "s",
			(w->esc_cost_ns + window_cost(w)) / 1e6, TRAP_NS_ESTIMATE / 1000,
			w->self_ns / 1e6);
	go_host__report(out);
	for (i = 0; i < r->nprocs; i++) {
		const struct report_process *p = &r->procs[i];
		struct proc_watch *pw;

		if (p->exited)
			continue;
		pw = proc_of(w, p->pid);
		pw->rss = rss_anon(p->pid);
		if (pw->rss < 0)
			continue;
		pw->rate = pw->prev_rss >= 0 && secs > 0 ? (pw->rss - pw->prev_rss) / secs : 0;
		pw->streak = pw->prev_rss >= 0 && pw->rss > pw->prev_rss ? pw->streak + 1 : 0;
		pw->prev_rss = pw->rss;
		if (out && (pw->streak || (w->active && w->esc.pid == p->pid)) &&
		    shown < opt->top) {
			print_process(out, w, pw, p, now);
			shown++;
		}
		if (opt->escalate_after && pw->streak >= opt->escalate_after && !pw->escalated &&
		    pw->rate > best_rate) {
			best = p;
			best_rate = pw->rate;
		}
	}
	/* one window at a time, and only well inside the budget */
	if (best && !w->active && total_cost(w) < allowed_ns(w, now) / 2) {
		proc_of(w, best->pid)->escalated = true;
		escalate(w, best, now);
	}
}

void host_watch__free(struct host_watch *w)
{
	int cpu;

	if (!w)
		return;
	if (w->active)
		end_escalation(w, "leakscope stopped");
	for (cpu = 0; cpu < w->ncpus; cpu++) {
		bpf_link__destroy(w->links[cpu]);
		if (w->fds[cpu] >= 0)
			close(w->fds[cpu]);
	}
	if (w->stats_fd >= 0)
		close(w->stats_fd);
	free(w->fds);
	free(w->links);
	free(w->procs);
	free(w);
}
