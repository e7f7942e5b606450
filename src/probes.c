// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "allocator.h"
#include "leakscope.skel.h"
#include "probes.h"
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

static int add_link(struct probe_links *out, struct bpf_program *prog, pid_t pid,
		    const struct probe_point *p, uint64_t offset, bool retprobe, __u64 cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .bpf_cookie = cookie);
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(prog, pid, p->binary, offset, &opts);
	if (!link)
		return -errno;
	out->links = xrealloc(out->links, out->count + 1, sizeof(*out->links));
	out->links[out->count++] = link;
	return 0;
}

int probes__attach(struct leakscope_bpf *skel, const struct probe_plan *plan, pid_t pid,
		   struct probe_links *out)
{
	size_t i;
	int err;

	for (i = 0; i < plan->count; i++) {
		const struct probe_point *p = &plan->points[i];
		bool returns = probe_point__returns(p);

		/* The entry program may sit past the prologue (placement.h); the
		 * cookie says how far the stack pointer moved by then. */
		err = add_link(out, entry_program(skel, p->fn->prog), pid, p,
			       p->offset + p->place.offset, false,
			       COOKIE(p->fn->api, p->place.sp_delta));
		if (!err && returns)
			err = add_link(out, skel->progs.heap_return, pid, p, p->offset, true, 0);
		if (err) {
			if (err == -ESRCH || err == -ENOENT)
				ls_error("PID %d exited while probes were attached", pid);
			else
				ls_error("cannot attach uprobe to %s in %s: %s", p->symbol,
					 p->binary, strerror(-err));
			return err == -EPERM || err == -EACCES	 ? LS_EXIT_PERMISSION
			       : err == -ESRCH || err == -ENOENT ? LS_EXIT_NO_TARGET
								 : LS_EXIT_KERNEL;
		}
		ls_info("probe %-24s %s+0x%llx%s, entry at +%llu `%s`: %s", p->symbol, p->binary,
			(unsigned long long)p->offset, returns ? " + return" : "",
			(unsigned long long)p->place.offset, p->place.insn, p->place.why);
	}
	return 0;
}

void probes__detach(struct probe_links *links)
{
	size_t i;

	for (i = 0; i < links->count; i++)
		bpf_link__destroy(links->links[i]);
	free(links->links);
	links->links = NULL;
	links->count = 0;
}
