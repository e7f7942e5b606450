// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "leakscope.skel.h"
#include "leak_check.h"
#include "follow.h"
#include "go_runtime.h"
#include "host_watch.h"
#include "http_server.h"
#include "kind.h"
#include "push.h"
#include "session.h"
#include "snapshot.h"
#include "target.h"
#include "util.h"
#include "verdicts.h"

int session__start(struct session *s)
{
	struct kind_source src;

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
	if (!s->opt->all) /* -a: found in the snapshots (follow__adopt) */
		follow__add_process(s, s->target->pid, s->target->comm);
	if (s->go && s->go->is_go)
		s->procs[0].go_minor = s->go->minor ? s->go->minor : 18;
	s->events = ring_buffer__new(bpf_map__fd(s->skel->maps.events), follow__on_event, s, NULL);
	if (!s->events) {
		ls_error("cannot read BPF events: %s", strerror(errno));
		return LS_EXIT_KERNEL;
	}
	src = session__source(s);
	return kinds__start(&src);
}

/*
 * A report: the snapshot read once (-a first adopts the processes it names,
 * so their objects are described and their stacks symbolized), the report
 * computed from it alone and handed to every printer, then what the
 * snapshot found stale removed, a step of its own.
 */
static int emit_report(struct session *s, bool final)
{
	unsigned int kinds = s->opt->kinds;
	struct kind_source src;
	struct snapshot snap;
	struct report r = {
	    .seq = ++s->reports,
	    .final = final,
	    .kinds = kinds,
	    .size_filtered = s->opt->min_size > 0 || s->opt->max_size != UINT64_MAX,
	    .missing = s->missing,
	};
	int err = 0;

	src = session__source(s);
	snapshot__gather(&src, &snap);
	if (s->opt->all)
		follow__adopt(s, &snap);
	src = session__source(s);
	snapshot__describe(&src, &snap);
	r.procs = s->procs;
	r.nprocs = s->nprocs;
	report__build(&r, &snap, s->opt->min_age * 1e9, &s->history);
	r.traced_ns = r.now_ns - s->start_ns;
	verdicts__update(s->verdicts, &r);
	/* -a: RSS and escalation, decided on the whole report */
	host_watch__report(s->watch, &r);
	if (s->http) /* the whole report, even with --leaks-only */
		http_server__publish(s->http, &r, s->opt->folded_value);
	if (s->push)
		push__report(s->push, &r);
	if (s->opt->leaks_only)
		report__keep(&r, verdict__entry_growing);
	/* --check: stdout is the command's */
	if (s->json != stdout && !s->check)
		report_text__print(stdout, &r, s->opt);
	if (s->json != stdout && !s->check)
		report_host__print_memory(stdout, &r, s->opt);
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
	if (final && s->check)
		leak_check__evaluate(s->check, &r);
	report__free(&r);
	snapshot__prune(&src, &snap);
	snapshot__free(&snap);
	if (s->opt->all) /* reported once as exited: now forgotten */
		follow__forget_exited(s);
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
	struct kind_source src;
	int rc;

	while (!*s->stop) {
		uint64_t now = monotonic_ns(), wake = next_report;

		if (deadline && deadline < wake)
			wake = deadline;
		if (now + maps_poll_ns(s, now) < wake)
			wake = now + maps_poll_ns(s, now);
		if (wait_until(s, wake))
			break;
		follow__tick(s);
		host_watch__tick(s->watch);
		src = session__source(s);
		kinds__tick(&src);
		now = monotonic_ns();
		if (deadline && now >= deadline)
			break;
		if (now < next_report)
			continue;
		if (opt->count && s->reports + 1 >= (unsigned long)opt->count)
			break; /* the last one is the final report */
		rc = emit_report(s, false);
		if (rc)
			return rc;
		next_report += interval;
	}
	ring_buffer__consume(s->events);
	follow__tick(s);
	src = session__source(s);
	kinds__tick(&src);
	return emit_report(s, true);
}

void session__close(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		follow__free_process(&s->procs[i]);
	free(s->procs);
	free(s->images);
	attached_places__free(&s->places);
	ring_buffer__free(s->events);
	kinds__stop(s->opt->kinds);
	report_history__free(&s->history);
	http_server__stop(s->http);
	push__free(s->push);
	verdicts__free(s->verdicts);
	if (s->json && s->json != stdout)
		fclose(s->json);
}
