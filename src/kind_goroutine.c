// SPDX-License-Identifier: GPL-2.0
/*
 * The goroutine kind: goroutines a Go program started (bpf/go.bpf.c) and
 * that have not exited, each described by what it waits on
 * (src/go_runtime.c reads its g).
 */
#include <bpf/libbpf.h>

#include "cli.h"
#include "go_host.h"
#include "go_runtime.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "report.h"
#include "snapshot.h"

static void configure(const struct kind_source *src, bool traced)
{
	(void)traced; /* the runtime switches each Go kind by opt->kinds */
	go_runtime__configure(src->go, src->skel, src->opt->kinds, !src->opt->pid, src->opt->all);
}

static enum detail describe_goroutine(const struct report_process *p, uint64_t g,
				      const struct ls_object *obj, void *arg, char *path,
				      size_t len)
{
	(void)obj, (void)arg, (void)path, (void)len;
	return go_runtime__classify(p->exited ? -1 : p->pid, g, p->go_minor);
}

static int describe(const struct kind_source *src, struct snapshot *snap)
{
	return kind__describe_objects(src, bpf_map__fd(src->skel->maps.goroutine_objects),
				      LS_KIND_GOROUTINE, describe_goroutine, NULL, snap);
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	kind__forget_objects(bpf_map__fd(src->skel->maps.goroutine_objects), gone, n);
}

static const char *const programs[] = {"go_newproc1", "go_goexit0", NULL};

const struct kind kind_goroutine = {
    .id = LS_KIND_GOROUTINE,
    .name = "goroutine",
    .words = {"goroutines", "started", "exited", "exits of goroutines started before tracing"},
    .pprof_type = "goroutines",
    .leak_at_exit = 1,
    .programs = programs,
    .configure = configure,
    .describe = describe,
    .forget = forget,
    .start = go_host__start,
    .tick = go_host__tick,
    .stop = go_host__stop,
};
