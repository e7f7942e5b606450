// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "escalation.h"
#include "follow.h"
#include "go_host.h"
#include "host_watch.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "report.h"
#include "session.h"
#include "util.h"

#define MAX_FAULT_PERIOD (1u << 16)

struct host_watch {
	struct session *s;
	int ncpus, *fds;
	struct bpf_link **links;
	int stats_fd;
	uint64_t start_ns, last_tick_ns, last_report_ns;
	uint64_t sampling_ns, sampling_runs; /* growth programs, cumulative */
	uint64_t exact_ns, exact_runs;	     /* heap uprobes (the windows) */
	uint64_t go_ns, go_runs;	     /* Go processes' probes (go_host.c) */
	uint64_t prev_sampling_ns;
	uint64_t esc_cost_ns;	 /* windows ended: BPF + traps estimated */
	uint64_t self0, self_ns; /* leakscope's own CPU time: at the start, since */
	unsigned escalations;
	struct escalation esc;
	bool active;
};

static uint64_t fault_period;

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
 * (growth), the Go processes' probes and the rest (exact tracing). */
static void read_costs(struct host_watch *w)
{
	const struct kind *growth = kind__get(LS_KIND_GROWTH), *k;
	struct bpf_program *prog;

	w->self_ns = (cpu_ticks(getpid()) - w->self0) * (1000000000ULL / sysconf(_SC_CLK_TCK));
	w->sampling_ns = w->sampling_runs = w->exact_ns = w->exact_runs = 0;
	w->go_ns = w->go_runs = 0;
	bpf_object__for_each_program(prog, w->s->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		k = kind__of_program(bpf_program__name(prog));
		if (k == growth) {
			w->sampling_ns += info.run_time_ns;
			w->sampling_runs += info.run_cnt;
		} else if (k && (k->id == LS_KIND_GOROUTINE || k->id == LS_KIND_GO_HEAP)) {
			w->go_ns += info.run_time_ns;
			w->go_runs += info.run_cnt;
		} else {
			w->exact_ns += info.run_time_ns;
			w->exact_runs += info.run_cnt;
		}
	}
}

/* What the window open now has cost: BPF measured, traps estimated. */
static uint64_t window_cost(const struct host_watch *w)
{
	return w->active ? escalation__cost(&w->esc, w->exact_ns, w->exact_runs) : 0;
}

static uint64_t total_cost(const struct host_watch *w)
{
	return w->sampling_ns + w->esc_cost_ns + window_cost(w) + w->self_ns + w->go_ns +
	       w->go_runs * TRAP_NS_ESTIMATE;
}

/* The budget in ns of CPU time, for the whole run so far. */
static double allowed_ns(const struct host_watch *w, uint64_t now)
{
	return w->s->opt->budget / 100.0 * w->ncpus * (double)(now - w->start_ns);
}

/* Anonymous resident memory: statm's resident less its shared (file and
 * shmem) pages; statm is read far more cheaply than status. -1: gone. */
static int64_t rss_anon(int pid)
{
	char path[64], *text;
	long long resident, shared;
	int64_t bytes = -1;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	text = read_file(path, NULL);
	if (text && sscanf(text, "%*d %lld %lld", &resident, &shared) == 2)
		bytes = (resident - shared) * sysconf(_SC_PAGESIZE);
	free(text);
	return bytes;
}

/* The window ends (its time, the budget, the process's exit). */
static void end_escalation(struct host_watch *w, const char *why)
{
	FILE *out = w->s->json == stdout ? stderr : stdout; /* --json -: stdout is its */

	read_costs(w);
	w->esc_cost_ns += window_cost(w);
	escalation__close(&w->esc, w->s, why, out, w->exact_ns, w->exact_runs);
	w->active = false;
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

/* The window of `p`, while it is open: for the report. */
static void window_said(const struct host_watch *w, struct report_process *p, uint64_t now)
{
	struct proc_memory *m = &p->memory;
	const struct escalation *e = &w->esc;
	double its = (cpu_ticks(p->pid) - e->cpu0) * 1e9 / sysconf(_SC_CLK_TCK);

	m->exact_now = true;
	m->window_s = (now - e->start_ns) / 1e9;
	m->window_len = w->s->opt->escalate_window;
	m->probe_hits = w->exact_runs - e->runs0;
	m->bpf_ns = w->exact_ns - e->bpf0_ns;
	m->traps_ns = m->probe_hits * TRAP_NS_ESTIMATE;
	m->cpu_share = its > 0 ? 100.0 * window_cost(w) / its : -1;
}

static void cost_said(const struct host_watch *w, struct host_cost *c, uint64_t now)
{
	c->present = true;
	c->ncpus = w->ncpus;
	c->budget = w->s->opt->budget;
	c->secs = (now - w->start_ns) / 1e9;
	c->percent = 100.0 * total_cost(w) / (w->ncpus * (double)(now - w->start_ns));
	c->fault_period = fault_period;
	c->sampling_ns = w->sampling_ns;
	c->sampling_runs = w->sampling_runs;
	c->windows = w->escalations;
	c->exact_ns = w->esc_cost_ns + window_cost(w);
	c->trap_ns = TRAP_NS_ESTIMATE;
	c->go = go_host__traced(&c->go_processes);
	c->go_bpf_ns = w->go_ns;
	c->go_runs = w->go_runs;
	c->self_ns = w->self_ns;
}

/* A process's RSS now, its growth since the last report; whether it is a
 * suspect worth a window. */
static void look_at(struct host_watch *w, struct report_process *p, double secs)
{
	struct proc_memory *m = &p->memory;
	int64_t rss = rss_anon(p->pid);

	if (rss < 0)
		return;
	m->rate = m->known && secs > 0 ? (rss - m->rss_anon) / secs : 0;
	m->streak = m->known && rss > m->rss_anon ? m->streak + 1 : 0;
	m->rss_anon = rss;
	m->known = true;
	m->exact_now = false;
	/* its memory grew: its stacks are worth unwinding well */
	if (m->streak == 1)
		follow__closely(w->s, p->pid);
}

/* Each process's share of the sampling: its growth rows' faults (scaled
 * by the period they were sampled at) back to samples, at the mean run. */
static void sampling_shares(const struct host_watch *w, struct report *r)
{
	double per_run = w->sampling_runs ? (double)w->sampling_ns / w->sampling_runs : 0;
	size_t i;

	for (i = 0; i < r->nprocs; i++)
		r->procs[i].memory.sampling_ns = 0;
	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];
		struct report_process *p = report__process(r, e->row.site.tgid);

		if (p && e->row.site.kind == LS_KIND_GROWTH)
			p->memory.sampling_ns += e->row.count / fault_period * per_run;
	}
}

void host_watch__report(struct host_watch *w, struct report *r)
{
	const struct options *opt = w ? w->s->opt : NULL;
	struct report_process *best = NULL;
	uint64_t now = monotonic_ns();
	double secs, best_rate = 0;
	size_t i;

	if (!w)
		return;
	read_costs(w);
	secs = (now - w->last_report_ns) / 1e9;
	w->last_report_ns = now;
	if (w->active)
		escalation__note_growing(&w->esc, r);
	sampling_shares(w, r);
	for (i = 0; i < r->nprocs; i++) {
		struct report_process *p = &r->procs[i];
		struct proc_memory *m = &p->memory;

		if (p->exited)
			continue;
		look_at(w, p, secs);
		if (w->active && w->esc.pid == p->pid)
			window_said(w, p, now);
		if (opt->escalate_after && m->streak >= opt->escalate_after && !m->escalated &&
		    m->rate > best_rate) {
			best = p;
			best_rate = m->rate;
		}
	}
	/* one window at a time, and only well inside the budget */
	if (best && !w->active && total_cost(w) < allowed_ns(w, now) / 2) {
		best->memory.escalated = true; /* tried once, opened or not */
		if (!escalation__open(&w->esc, w->s, best, opt->escalate_window, w->exact_ns,
				      w->exact_runs)) {
			w->active = true;
			w->escalations++;
			ls_info("PID %d (%s): memory grew %u reports in a row: its heap is "
				"traced exactly for %.0f s (%zu probes)",
				best->pid, w->esc.comm, best->memory.streak, opt->escalate_window,
				w->esc.links.count);
		}
	}
	cost_said(w, &r->host, now);
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
	free(w);
}
