// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "leakscope.skel.h"
#include "allocator.h"
#include "go_runtime.h"
#include "host.h"
#include "http_server.h"
#include "push.h"
#include "probes.h"
#include "session.h"
#include "symbolizer.h"
#include "target.h"
#include "unwinder.h"
#include "util.h"

void session__add_process(struct session *s, int pid, const char *comm)
{
	struct report_process *p;

	s->procs = xrealloc(s->procs, s->nprocs + 1, sizeof(*s->procs));
	s->images = xrealloc(s->images, s->nprocs + 1, sizeof(*s->images));
	memset(&s->images[s->nprocs], 0, sizeof(*s->images));
	exec_follow__image(pid, &s->images[s->nprocs].dev, &s->images[s->nprocs].ino);
	p = &s->procs[s->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->comm = xstrdup(comm);
	p->symbolizer = symbolizer__new(pid);
	p->untracked_fds = -1;
	p->exit_status = -1;
	/* A command not released yet still maps leakscope's own files: the
	 * tables of its own come at the first look after its exec. */
	if (s->unwinder && !(pid == s->target->pid && s->target->release_fd >= 0))
		unwinder__refresh(s->unwinder, pid);
	if (p->symbolizer)
		symbolizer__refresh(p->symbolizer);
}

static void follow_exec(struct session *s, size_t i);

/*
 * BPF says a traced process exec'd (probe its new image now, before it gets
 * far) or, with --follow-forks, that it forked a child, now in the targets,
 * whose heap needs the uprobes too (they are attached per process).
 */
static int on_event(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	const struct ls_event *ev = data;
	char path[64], *comm;
	size_t i;

	if (len < sizeof(*ev))
		return 0;
	if (ev->type == LS_EVENT_EXEC) {
		for (i = 0; i < s->nprocs; i++)
			if (s->procs[i].pid == (int)ev->pid)
				follow_exec(s, i);
		return 0;
	}
	if (ev->type != LS_EVENT_NEW_PROCESS)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/comm", ev->pid);
	comm = read_file(path, NULL);
	if (comm)
		comm[strcspn(comm, "\n")] = '\0';
	session__add_process(s, ev->pid, comm ? comm : "?");
	free(comm);
	if (s->plan->count && probes__attach(s->skel, s->plan, ev->pid, s->links))
		ls_info("child %u: heap not traced (it exited or exec'd first)", ev->pid);
	else
		ls_info("following child %u of %u", ev->pid, ev->parent);
	return 0;
}

int session__start(struct session *s)
{
	s->start_ns = monotonic_ns();
	s->verdicts = verdicts__new(s->opt->window);
	if (s->opt->json_path) {
		bool out = !strcmp(s->opt->json_path, "-");

		s->json = out ? stdout : fopen(s->opt->json_path, "w");
		if (!s->json) {
			ls_error("cannot write %s: %s", s->opt->json_path, strerror(errno));
			return LS_EXIT_OUTPUT;
		}
	}
	if (s->opt->listen) {
		s->http = http_server__start(s->opt->listen);
		if (!s->http)
			return LS_EXIT_OUTPUT;
	}
	if (s->opt->push) {
		s->push = push__new(s->opt->push);
		if (!s->push)
			return LS_EXIT_USAGE;
	}
	attached_places__add_plan(&s->places, s->plan);
	if (!s->opt->all) /* -a: found in the maps (host.c) */
		session__add_process(s, s->target->pid, s->target->comm);
	if (s->go && s->go->is_go)
		s->procs[0].go_minor = s->go->minor ? s->go->minor : 18;
	s->events = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, s, NULL);
	if (!s->events) {
		ls_error("cannot read BPF events: %s", strerror(errno));
		return LS_EXIT_KERNEL;
	}
	return 0;
}

/* A process that exec'd runs another image: probe its allocator too, and
 * call it by its new name. */
static void follow_exec(struct session *s, size_t i)
{
	struct report_process *p = &s->procs[i];
	char path[64], *comm;
	dev_t dev;
	ino_t ino;

	if (!exec_follow__image(p->pid, &dev, &ino) ||
	    (dev == s->images[i].dev && ino == s->images[i].ino))
		return;
	s->images[i].dev = dev;
	s->images[i].ino = ino;
	/* the new executable is mapped already: read it before a short-lived
	 * program is gone */
	if (p->symbolizer)
		symbolizer__refresh(p->symbolizer);
	if (exec_follow__attach(&s->places, s->skel, s->opt, p->pid, s->links))
		ls_error("PID %d exec'd: its new image is traced only where the old one was",
			 p->pid);
	snprintf(path, sizeof(path), "/proc/%d/comm", p->pid);
	comm = read_file(path, NULL);
	if (comm) {
		comm[strcspn(comm, "\n")] = '\0';
		free((char *)p->comm);
		p->comm = comm;
	}
}

static void refresh_processes(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++) {
		struct report_process *p = &s->procs[i];

		/* Before the skip below: the maps may have said "gone" before the
		 * pidfd did, and the status only comes with the pidfd. */
		if (i == 0 && s->target->exited) {
			p->exited = true;
			if (s->target->spawned)
				p->exit_status = s->target->exit_status;
		}
		if (p->exited)
			continue;
		follow_exec(s, i);
		/* new libraries get their unwind tables */
		if (s->unwinder)
			unwinder__refresh(s->unwinder, p->pid);
		/* After the exit the maps read while it was alive are used. */
		if (p->symbolizer && symbolizer__refresh(p->symbolizer) == -ESRCH)
			p->exited = true;
	}
}

struct heap_table session__heap_table(const struct session *s)
{
	if (!(s->opt->kinds & (1u << LS_KIND_HEAP)))
		return (struct heap_table){.fd = -1, .images_fd = -1};
	return (struct heap_table){.fd = bpf_map__fd(s->skel->maps.heap_blocks),
				   .buckets = bpf_map__max_entries(s->skel->maps.heap_blocks),
				   .images_fd = bpf_map__fd(s->skel->maps.heap_images)};
}

static int emit_report(struct session *s, bool final)
{
	struct leakscope_bpf *skel = s->skel;
	unsigned int kinds = s->opt->kinds;
	struct report_sources src = {
	    .totals_fd = bpf_map__fd(skel->maps.totals),
	    .heap = session__heap_table(s),
	    .stacks_fd = bpf_map__fd(skel->maps.stacks),
	    .counters_fd = bpf_map__fd(skel->maps.counters),
	    .fd_objects_fd = kinds & (1u << LS_KIND_FD) ? bpf_map__fd(skel->maps.fd_objects) : -1,
	    .thread_objects_fd =
		kinds & (1u << LS_KIND_THREAD) ? bpf_map__fd(skel->maps.thread_objects) : -1,
	    .goroutine_objects_fd =
		kinds & (1u << LS_KIND_GOROUTINE) ? bpf_map__fd(skel->maps.goroutine_objects) : -1,
	    .go_heap_rate = s->go ? go_runtime__rate(s->go) : 0,
	    .min_age_ns = s->opt->min_age * 1e9,
	};
	struct report r = {
	    .procs = s->procs,
	    .nprocs = s->nprocs,
	    .seq = ++s->reports,
	    .final = final,
	    .kinds = kinds,
	    .size_filtered = s->opt->min_size > 0 || s->opt->max_size != UINT64_MAX,
	    .missing = s->missing,
	};
	int err = 0;

	if (s->opt->all) {
		host__discover(s);
		r.procs = s->procs;
		r.nprocs = s->nprocs;
	}
	refresh_processes(s);
	report__gather(&r, &src, &s->history);
	r.traced_ns = r.now_ns - s->start_ns;
	verdicts__update(s->verdicts, &r);
	if (s->http) /* the whole report, even with --leaks-only */
		http_server__publish(s->http, &r, s->opt->folded_value);
	if (s->push)
		push__report(s->push, &r);
	if (s->opt->leaks_only)
		report__keep(&r, verdict__entry_growing);
	if (s->json != stdout)
		report_text__print(stdout, &r, s->opt);
	if (s->json)
		report_json__print(s->json, &r);
	if (s->opt->folded_path) {
		err = report_folded__write(s->opt->folded_path, &r, s->opt->folded_value);
		if (err)
			ls_error("cannot write %s: %s", s->opt->folded_path, strerror(-err));
	}
	if (s->opt->pprof_path && !err) {
		err = report_pprof__write(s->opt->pprof_path, &r);
		if (err)
			ls_error("cannot write %s: %s", s->opt->pprof_path, strerror(-err));
	}
	report__free(&r);
	if (s->opt->all) /* reported once as exited: now forgotten */
		host__forget_exited(s);
	return err ? LS_EXIT_OUTPUT : 0;
}

/*
 * Libraries are mapped in the first milliseconds of a process: look at its
 * maps often then, so a short-lived command can still be symbolized.
 */
static uint64_t maps_poll_ns(const struct session *s, uint64_t now)
{
	return now - s->start_ns < 2000000000ULL ? 20000000ULL : 1000000000ULL;
}

/* Sleeps until `wake`, a BPF event or the target's exit; true on exit. */
static bool wait_until(struct session *s, uint64_t wake)
{
	uint64_t now = monotonic_ns();
	struct pollfd pfd[2] = {
	    {.fd = s->target->pidfd, .events = POLLIN},
	    {.fd = ring_buffer__epoll_fd(s->events), .events = POLLIN},
	};

	if (s->target->exited)
		return true;
	poll(pfd, 2, wake > now ? (wake - now + 999999) / 1000000 : 0);
	ring_buffer__consume(s->events);
	return target__wait_exit(s->target, 0);
}

int session__run(struct session *s)
{
	const struct options *opt = s->opt;
	uint64_t interval = opt->interval * 1e9;
	uint64_t next_report = s->start_ns + interval;
	uint64_t deadline = opt->duration > 0 ? s->start_ns + (uint64_t)(opt->duration * 1e9) : 0;
	int rc;

	while (!*s->stop) {
		uint64_t now = monotonic_ns(), wake = next_report;

		if (deadline && deadline < wake)
			wake = deadline;
		if (now + maps_poll_ns(s, now) < wake)
			wake = now + maps_poll_ns(s, now);
		if (wait_until(s, wake))
			break;
		now = monotonic_ns();
		if (deadline && now >= deadline)
			break;
		if (now < next_report) {
			refresh_processes(s);
			continue;
		}
		if (opt->count && s->reports + 1 >= (unsigned long)opt->count)
			break; /* the last one is the final report */
		rc = emit_report(s, false);
		if (rc)
			return rc;
		next_report += interval;
	}
	ring_buffer__consume(s->events);
	return emit_report(s, true);
}

void session__close(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++) {
		if (s->procs[i].symbolizer)
			symbolizer__free(s->procs[i].symbolizer);
		free((char *)s->procs[i].comm);
		free(s->procs[i].cgroup);
	}
	free(s->procs);
	free(s->images);
	attached_places__free(&s->places);
	ring_buffer__free(s->events);
	report_history__free(&s->history);
	http_server__stop(s->http);
	push__free(s->push);
	verdicts__free(s->verdicts);
	if (s->json && s->json != stdout)
		fclose(s->json);
}
