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

/* With uprobe sessions, one program sees both ends of an allocating call. */
static bool uses_sessions(struct leakscope_bpf *skel)
{
	return bpf_program__autoload(skel->progs.heap_alloc_session);
}

static struct bpf_program *entry_program(struct leakscope_bpf *skel, enum heap_prog prog)
{
	switch (prog) {
	case PROG_WRAPPER:
		return skel->progs.heap_wrapper;
	case PROG_FREE:
		return skel->progs.heap_free;
	default: /* allocating: the cookie says where the arguments are */
		return uses_sessions(skel) ? skel->progs.heap_alloc_session
					   : skel->progs.heap_alloc;
	}
}

/* One uprobe to attach: a program at an offset of a file, with its cookie. */
struct attachment {
	const struct bpf_program *prog;
	const char *binary;
	enum uprobe_multi_kind kind;
	uint64_t offset, cookie;
};

static int kind_rank(enum uprobe_multi_kind kind)
{
	return kind == UPROBE_MULTI_RETURN ? 0 : 1 + (int)kind;
}

/*
 * Grouped by link, the return probes first (a session sees both ends of
 * every call it sees): a uretprobe only sees the calls
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

	if (a->kind != b->kind)
		return kind_rank(a->kind) - kind_rank(b->kind);
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
	bool multi = uprobe_multi__have_links(); /* else a link per offset */
	size_t i = 0, k;
	int fd = 0;

	qsort(v, n, sizeof(*v), by_link);
	while (i < n) {
		for (k = 0; i + k < n && !by_link(&v[i], &v[i + k]) && (multi || !k); k++) {
			offsets[k] = v[i + k].offset;
			cookies[k] = v[i + k].cookie;
		}
		fd = uprobe_multi__attach(v[i].prog, v[i].binary, offsets, cookies, k, v[i].kind,
					  pid);
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
	/* Tests set LEAKSCOPE_NO_SESSIONS to run what older kernels run. */
	bool sessions = uprobe_multi__have_links() && uprobe_multi__have_sessions() &&
			!getenv("LEAKSCOPE_NO_SESSIONS");

	bpf_program__set_autoload(skel->progs.heap_alloc_session, sessions);
	bpf_program__set_autoload(skel->progs.heap_alloc, !sessions);
	uprobe_multi__prepare(skel->progs.heap_alloc_session, UPROBE_MULTI_SESSION);
	uprobe_multi__prepare(skel->progs.heap_alloc, UPROBE_MULTI_ENTRY);
	uprobe_multi__prepare(skel->progs.heap_wrapper, UPROBE_MULTI_ENTRY);
	uprobe_multi__prepare(skel->progs.heap_free, UPROBE_MULTI_ENTRY);
	uprobe_multi__prepare(skel->progs.heap_return, UPROBE_MULTI_RETURN);
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
		bool session = probe_point__allocates(p) && uses_sessions(skel);
		uint64_t offset = p->offset + p->place.offset;
		const struct bpf_program *entry = entry_program(skel, p->fn->prog);

		/* refused by the kernel (bpf_load.h): said at load */
		if (bpf_program__fd(entry) < 0 ||
		    (returns && !session && bpf_program__fd(skel->progs.heap_return) < 0))
			continue;

		/* The entry program may sit past the prologue (placement.h); the
		 * cookie says how far the stack pointer moved by then. The
		 * return shares its breakpoint: placed where the stack pointer
		 * has not moved yet. */
		v[n++] = (struct attachment){
		    entry, p->binary, session ? UPROBE_MULTI_SESSION : UPROBE_MULTI_ENTRY, offset,
		    COOKIE(p->fn->api, p->place.sp_delta, p->fn->prog, probe_point__leaf(p))};
		if (returns && !session)
			v[n++] = (struct attachment){skel->progs.heap_return, p->binary,
						     UPROBE_MULTI_RETURN, offset, 0};
		ls_info("probe %-24s %s+0x%llx%s, entry at +%llu `%s`: %s", p->symbol, p->binary,
			(unsigned long long)p->offset,
			session	  ? " + return (session)"
			: returns ? " + return"
				  : "",
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
