// SPDX-License-Identifier: GPL-2.0
/*
 * The timer kind: a Go program's live runtime timers (bpf/timer.bpf.c), at
 * the stack that started them: started and neither stopped nor fired for
 * the last time. A time.Ticker never stopped stays; a time.After or
 * time.AfterFunc that fired, and a stopped timer, go. The runtime's timer
 * functions and offsets come from the Go version table (src/go_versions.c):
 * Go 1.18 to 1.22; Go 1.23 rewrote timers, and there the kind is off.
 */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "go_elf.h"
#include "go_runtime.h"
#include "go_versions.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "util.h"

enum { ADD, MOD, DEL, RUN, NPROBES };

/* where the probes go: file offsets in the executable, 0 = not placed */
static uint64_t offsets[NPROBES];

static const char *function(const struct go_timers *t, int i)
{
	const char *const names[NPROBES] = {t->add, t->mod, t->del, t->run};

	return names[i];
}

static struct bpf_program *program(struct leakscope_bpf *skel, int i)
{
	struct bpf_program *const progs[NPROBES] = {skel->progs.timer_add, skel->progs.timer_mod,
						    skel->progs.timer_del, skel->progs.timer_run};

	return progs[i];
}

static struct bpf_link **link_of(struct leakscope_bpf *skel, int i)
{
	struct bpf_link **const links[NPROBES] = {&skel->links.timer_add, &skel->links.timer_mod,
						  &skel->links.timer_del, &skel->links.timer_run};

	return links[i];
}

/* The probes' places, and time.Sleep's timer function relative to
 * modtimer; false when one is missing (a count would be wrong). */
static bool place(const struct go_runtime *go, const struct go_timers *t, int64_t *ready_delta)
{
	struct go_binary *b = go_binary__open(go->path);
	uint64_t vaddr[NPROBES] = {0}, ready = 0, size;
	bool ok = b != NULL;

	memset(offsets, 0, sizeof(offsets));
	for (int i = 0; i < NPROBES && ok; i++) {
		ok = !go_binary__function(b, function(t, i), &vaddr[i], &size) &&
		     !go_binary__offset(b, vaddr[i], &offsets[i]);
		if (!ok)
			ls_error("Go %s: %s not found: timers not traced", go->version,
				 function(t, i));
	}
	*ready_delta = ok && !go_binary__function(b, t->ready, &ready, &size)
			   ? (int64_t)(ready - vaddr[MOD])
			   : 0;
	if (b)
		go_binary__close(b);
	if (!ok)
		memset(offsets, 0, sizeof(offsets));
	return ok;
}

static void configure(const struct kind_source *src, bool traced)
{
	const struct go_runtime *go = src->go;
	const struct go_timers *t = go && go->is_go && go->layout ? go->layout->timers : NULL;
	struct leakscope_bpf *skel = src->skel;
	int64_t ready_delta = 0;

	traced = traced && t && !src->opt->all && place(go, t, &ready_delta);
	kind__autoload(src, &kind_timer, traced);
	if (!traced)
		return;
	skel->rodata->timer_period_at = t->period;
	skel->rodata->timer_status_at = t->status;
	skel->rodata->timer_sched_sp = go->layout->g_sched_sp;
	skel->rodata->timer_sched_bp = go->layout->g_sched_bp;
	skel->rodata->timer_ready_delta = ready_delta;
}

static int attach(const struct kind_source *src, int pid)
{
	const struct go_timers *t = src->go->layout ? src->go->layout->timers : NULL;

	for (int i = 0; i < NPROBES && t; i++) {
		struct bpf_program *prog = program(src->skel, i);
		struct bpf_link *link;

		if (!offsets[i] || !bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach_uprobe(prog, false, pid, src->go->path, offsets[i]);
		if (!link) {
			ls_error("cannot attach uprobe to %s in %s: %s", function(t, i),
				 src->go->path, strerror(errno));
			return errno == ESRCH ? LS_EXIT_NO_TARGET : LS_EXIT_KERNEL;
		}
		*link_of(src->skel, i) = link; /* destroyed with the skeleton */
		ls_info("probe %-24s %s+0x%llx", function(t, i), src->go->path,
			(unsigned long long)offsets[i]);
	}
	return 0;
}

static const char *go_missing(const struct go_runtime *go)
{
	return go->layout->timers ? NULL
				  : "its timers (rewritten in Go 1.23) not known to leakscope";
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	kind__forget_objects(bpf_map__fd(src->skel->maps.timer_objects), gone, n);
}

static const char *const programs[] = {"timer_", NULL};

const struct kind kind_timer = {
    .id = LS_KIND_TIMER,
    .name = "timer",
    .words = {"timers", "started", "stopped or fired",
	      "stops and last firings of timers started before tracing"},
    .pprof_type = "timers",
    .inside_runtime = true,
    .programs = programs,
    .configure = configure,
    .forget = forget,
    .go_missing = go_missing,
    .attach = attach,
};
