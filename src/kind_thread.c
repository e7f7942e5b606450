// SPDX-License-Identifier: GPL-2.0
/*
 * The thread kind: threads started (bpf/thread.bpf.c) and not yet exited,
 * each described by what it waits on.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "kind.h"
#include "probe_point.h"
#include "leakscope.skel.h"
#include "report.h"
#include "snapshot.h"

static void configure(const struct kind_source *src, bool traced)
{
	struct leakscope_bpf *skel = src->skel;

	bpf_program__set_autoload(skel->progs.thread_fork, traced);
	bpf_program__set_autoload(skel->progs.thread_exit, traced);
}

/* What a thread does; one that its process's exit ended, what it was
 * waiting in then (bpf/thread.bpf.c records the call). */
static enum detail describe_thread(const struct report_process *p, uint64_t tid,
				   const struct ls_object *obj, void *arg, char *path, size_t len)
{
	uint64_t key = (uint64_t)p->pid << 32 | tid;
	uint32_t call;

	(void)obj, (void)path, (void)len;
	if (!p->exited)
		return details__classify_thread(p->pid, tid);
	if (bpf_map_lookup_elem(*(int *)arg, &key, &call) || !call)
		return DETAIL_MAX;
	return details__thread_in_syscall((long)call - 1);
}

static int describe(const struct kind_source *src, struct snapshot *snap)
{
	int exit_calls = bpf_map__fd(src->skel->maps.thread_exit_calls);

	return kind__describe_objects(src, bpf_map__fd(src->skel->maps.thread_objects),
				      LS_KIND_THREAD, describe_thread, &exit_calls, snap);
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	kind__forget_objects(bpf_map__fd(src->skel->maps.thread_objects), gone, n);
	/* keyed tgid << 32 | tid: the tgid is the upper half */
	kind__forget_keys(bpf_map__fd(src->skel->maps.thread_exit_calls), sizeof(uint64_t), 4, gone,
			  n);
}

/* The libc function that creates threads */
static const struct api_function functions[] = {
    {"pthread_create", LS_API_PTHREAD_CREATE, PROG_WRAPPER, true, LS_KIND_THREAD},
};

static const char *const programs[] = {"thread_", NULL};

const struct kind kind_thread = {
    .id = LS_KIND_THREAD,
    .name = "thread",
    .words = {"threads", "started", "exited", "exits of threads started before tracing"},
    .pprof_type = "threads",
    .leak_at_exit = 1,
    .programs = programs,
    .functions = functions,
    .nfunctions = sizeof(functions) / sizeof(functions[0]),
    .configure = configure,
    .describe = describe,
    .forget = forget,
};
