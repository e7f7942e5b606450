// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "allocator.h"
#include "leakscope.skel.h"
#include "probes.h"
#include "uprobe_multi.h"
#include "util.h"

static struct bpf_program *entry_program(struct leakscope_bpf *skel, enum heap_prog prog)
{
	switch (prog) {
	case PROG_ALLOC:
		return skel->progs.heap_alloc;
	case PROG_ALLOC_ALIGNED:
		return skel->progs.heap_alloc_aligned;
	case PROG_CALLOC:
		return skel->progs.heap_calloc;
	case PROG_REALLOC:
		return skel->progs.heap_realloc;
	case PROG_REALLOCARRAY:
		return skel->progs.heap_reallocarray;
	case PROG_POSIX_MEMALIGN:
		return skel->progs.heap_posix_memalign;
	case PROG_WRAPPER:
		return skel->progs.heap_wrapper;
	case PROG_FREE:
		return skel->progs.heap_free;
	}
	return NULL;
}

/* One uprobe to attach: a program at an offset of a file, with its cookie. */
struct attachment {
	const struct bpf_program *prog;
	const char *binary;
	bool retprobe;
	uint64_t offset, cookie;
};

/*
 * Grouped by link, the return probes first: a uretprobe only sees the calls
 * entered after it is attached, so with it in place before the entry probe
 * every entry seen has its return seen too. The other way round, a call
 * entered in between (in a running process, or a static binary's start-up
 * after an exec) left its thread waiting for a return that never comes, and
 * every later call from a deeper frame counted as nested in it.
 */
static int by_link(const void *pa, const void *pb)
{
	const struct attachment *a = pa, *b = pb;
	int c = strcmp(a->binary, b->binary);

	if (a->retprobe != b->retprobe)
		return a->retprobe ? -1 : 1;
	if (a->prog != b->prog)
		return a->prog < b->prog ? -1 : 1;
	return c;
}

static int attach_error(int err, pid_t pid, const char *binary)
{
	if (err == -ESRCH || err == -ENOENT)
		ls_error("PID %d exited while probes were attached", pid);
	else
		ls_error("cannot attach uprobes in %s: %s", binary, strerror(-err));
	return err == -EPERM || err == -EACCES	 ? LS_EXIT_PERMISSION
	       : err == -ESRCH || err == -ENOENT ? LS_EXIT_NO_TARGET
						 : LS_EXIT_KERNEL;
}

/* Attaches runs of `v` that share program, file and direction as one link. */
static int attach_grouped(struct attachment *v, size_t n, pid_t pid, struct probe_links *out)
{
	uint64_t *offsets = xcalloc(n, sizeof(*offsets)), *cookies = xcalloc(n, sizeof(*cookies));
	size_t i = 0, k;
	int fd = 0;

	qsort(v, n, sizeof(*v), by_link);
	while (i < n) {
		for (k = 0; i + k < n && !by_link(&v[i], &v[i + k]); k++) {
			offsets[k] = v[i + k].offset;
			cookies[k] = v[i + k].cookie;
		}
		fd = uprobe_multi__attach(v[i].prog, v[i].binary, offsets, cookies, k,
					  v[i].retprobe, pid);
		if (fd < 0)
			break;
		out->fds = xrealloc(out->fds, out->count + 1, sizeof(*out->fds));
		out->fds[out->count++] = fd;
		i += k;
	}
	free(offsets);
	free(cookies);
	return fd < 0 ? attach_error(fd, pid, v[i].binary) : 0;
}

void probes__prepare(struct leakscope_bpf *skel)
{
	static const enum heap_prog progs[] = {
	    PROG_ALLOC,	       PROG_ALLOC_ALIGNED,  PROG_CALLOC,  PROG_REALLOC,
	    PROG_REALLOCARRAY, PROG_POSIX_MEMALIGN, PROG_WRAPPER, PROG_FREE,
	};
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		uprobe_multi__prepare(entry_program(skel, progs[i]));
	uprobe_multi__prepare(skel->progs.heap_return);
}

int probes__attach(struct leakscope_bpf *skel, const struct probe_plan *plan, pid_t pid,
		   struct probe_links *out)
{
	struct attachment *v = xcalloc(2 * plan->count, sizeof(*v));
	size_t i, n = 0;
	int rc;

	for (i = 0; i < plan->count; i++) {
		const struct probe_point *p = &plan->points[i];
		bool returns = probe_point__returns(p);

		/* The entry program may sit past the prologue (placement.h); the
		 * cookie says how far the stack pointer moved by then. The
		 * uretprobe shares its breakpoint: placed where the stack
		 * pointer has not moved yet. */
		v[n++] = (struct attachment){entry_program(skel, p->fn->prog), p->binary, false,
					     p->offset + p->place.offset,
					     COOKIE(p->fn->api, p->place.sp_delta)};
		if (returns)
			v[n++] = (struct attachment){skel->progs.heap_return, p->binary, true,
						     p->offset + p->place.offset, 0};
		ls_info("probe %-24s %s+0x%llx%s, entry at +%llu `%s`: %s", p->symbol, p->binary,
			(unsigned long long)p->offset, returns ? " + return" : "",
			(unsigned long long)p->place.offset, p->place.insn, p->place.why);
	}
	rc = attach_grouped(v, n, pid, out);
	free(v);
	return rc;
}

void probes__detach(struct probe_links *links)
{
	size_t i;

	for (i = 0; i < links->count; i++)
		close(links->fds[i]);
	free(links->fds);
	links->fds = NULL;
	links->count = 0;
}
