// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "go_code.h"
#include "go_elf.h"
#include "go_kinds.h"
#include "go_runtime.h"
#include "go_versions.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "target.h"
#include "util.h"

/* The runtime functions of the version's row, and main.main. */
static const char *probe_function(const struct go_runtime *g, int i)
{
	const char *const names[GO_PROBE_MAX] = {
	    [GO_NEWPROC1] = g->layout->newproc1,
	    [GO_NEWPROC1_RESULT] = g->layout->newproc_call,
	    [GO_GOEXIT0] = g->layout->goexit,
	    [GO_MPROF_MALLOC] = g->layout->mprof_malloc,
	    [GO_FREE_SPECIAL] = g->layout->free_special,
	    [GO_MAIN] = "main.main",
	};

	return names[i];
}

/* The version's row, when there is one and the binary agrees with it. */
static void find_layout(struct go_runtime *g, const struct go_binary *b)
{
	char why[128] = "";
	int rc;

	g->layout = go_layout__find(g->minor);
	if (!g->layout) {
		snprintf(g->unknown, sizeof(g->unknown),
			 "a version leakscope does not know (it knows Go %s)", go_layout__known());
		return;
	}
	rc = go_layout__check(g->layout, b, why, sizeof(why));
	if (rc == -EPROTO) {
		snprintf(g->unknown, sizeof(g->unknown),
			 "not the runtime of leakscope's Go 1.%d: %s", g->minor, why);
		g->layout = NULL;
		return;
	}
	ls_info("Go runtime as in %s%s", g->layout->checked,
		rc ? " (its wait reasons not found to compare)" : ", wait reasons the same");
}

void go_runtime__open(struct go_runtime *g, const struct target *t)
{
	char link[64], exe[PATH_MAX] = "";
	uint64_t vaddr[GO_PROBE_MAX] = {0}, size;
	struct go_binary *b;
	ssize_t n;

	memset(g, 0, sizeof(*g));
	if (t->spawned) {
		snprintf(exe, sizeof(exe), "%s", t->exe);
	} else {
		snprintf(link, sizeof(link), "/proc/%d/exe", t->pid);
		n = readlink(link, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
	}
	target__path(t, exe, g->path, sizeof(g->path));
	b = go_binary__open(g->path);
	if (!b)
		return;
	g->is_go = true;
	snprintf(g->version, sizeof(g->version), "%s", go_binary__version(b));
	g->minor = go_elf__minor(g->version);
	g->stripped = !go_binary__has_symtab(b);
	g->has_libc = go_binary__loads_libraries(b);
	find_layout(g, b);
	for (int i = 0; i < GO_PROBE_MAX && g->layout; i++)
		go_binary__function(b, probe_function(g, i), &vaddr[i], &size);
	vaddr[GO_NEWPROC1_RESULT] =
	    vaddr[GO_NEWPROC1]
		? go_code__after_call(b, probe_function(g, GO_NEWPROC1_RESULT), vaddr[GO_NEWPROC1])
		: 0;
	for (int i = 0; i < GO_PROBE_MAX; i++)
		if (vaddr[i] && go_binary__offset(b, vaddr[i], &g->offsets[i]))
			g->offsets[i] = 0;
	g->entry = go_binary__entry(b);
	g->rate_vaddr = g->layout ? go_code__mem_profile_rate(b) : 0;
	g->rate_main_delta = (int64_t)(g->rate_vaddr - vaddr[GO_MAIN]);
	go_binary__close(b);
	ls_info("Go %s%s: runtime.MemProfileRate at 0x%llx", g->version,
		g->stripped ? " (stripped: names from .gopclntab)" : "",
		(unsigned long long)g->rate_vaddr);
}

void go_runtime__configure(struct go_runtime *g, struct leakscope_bpf *skel, unsigned int kinds,
			   bool spawned, bool host)
{
	bool gor = (g->is_go || host) && (kinds & (1u << LS_KIND_GOROUTINE));
	bool heap = (g->is_go || host) && (kinds & (1u << LS_KIND_GO_HEAP));

	bpf_program__set_autoload(skel->progs.go_newproc1, gor);
	bpf_program__set_autoload(skel->progs.go_newproc1_result, gor);
	bpf_program__set_autoload(skel->progs.go_goexit0, gor);
	bpf_program__set_autoload(skel->progs.go_malloc, heap);
	bpf_program__set_autoload(skel->progs.go_free_special, heap);
	/* only a started command is caught before main.main */
	bpf_program__set_autoload(skel->progs.go_main, heap && spawned && !host && g->rate_vaddr);
	skel->rodata->go_rate_delta = g->rate_main_delta;
}

/* What the go programs read of process `pid`'s runtime: its row's layout. */
static int write_layout(const struct go_runtime *g, struct leakscope_bpf *skel, pid_t pid)
{
	__u32 tgid = pid;
	struct ls_go_layout l = {
	    .sched_sp = g->layout->g_sched_sp,
	    .sched_bp = g->layout->g_sched_bp,
	    .creator_skip = g->layout->creator_skip,
	    .special_kind = g->layout->special_kind,
	    .special_profile = g->layout->special_profile,
	    .malloc_mp_first = g->layout->malloc_p == GO_RBX,
	};

	return bpf_map__update_elem(skel->maps.go_layouts, &tgid, sizeof(tgid), &l, sizeof(l),
				    BPF_ANY);
}

static struct bpf_program *program(struct leakscope_bpf *skel, enum go_probe p)
{
	switch (p) {
	case GO_NEWPROC1:
		return skel->progs.go_newproc1;
	case GO_NEWPROC1_RESULT:
		return skel->progs.go_newproc1_result;
	case GO_GOEXIT0:
		return skel->progs.go_goexit0;
	case GO_MPROF_MALLOC:
		return skel->progs.go_malloc;
	case GO_FREE_SPECIAL:
		return skel->progs.go_free_special;
	default:
		return skel->progs.go_main;
	}
}

static int mem_access(pid_t pid, uint64_t addr, void *buf, bool write)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, buf, 8, (off_t)addr) : pread(fd, buf, 8, (off_t)addr);
	close(fd);
	return n == 8 ? 0 : -EIO;
}

/* The runtime is initialized; turn heap sampling on now. */
static void rate_on(struct go_runtime *g, pid_t pid, uint64_t addr)
{
	int64_t rate = GO_MEM_PROFILE_RATE;

	if (!addr || mem_access(pid, addr, &g->rate_old, false)) {
		ls_info("go-heap: runtime.MemProfileRate not found: no Go heap samples");
		return;
	}
	g->rate_addr = addr;
	if (g->rate_old != 0) { /* it links runtime/pprof */
		ls_info("go-heap: runtime.MemProfileRate is %lld already", (long long)g->rate_old);
		return;
	}
	if (mem_access(pid, g->rate_addr, &rate, true) == 0) {
		g->rate_written = true;
		ls_info("go-heap: runtime.MemProfileRate set from 0 to %d (restored on detach)",
			GO_MEM_PROFILE_RATE);
	}
}

/* vaddr in process `pid`: where the file says, or in a PIE moved as a
 * whole, as far as the entry point (AT_ENTRY of its auxiliary vector). */
static uint64_t relocate(const struct go_runtime *g, pid_t pid, uint64_t vaddr)
{
	char path[64];
	size_t len = 0;
	uint64_t *auxv, moved = 0;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	auxv = (uint64_t *)read_file(path, &len);
	for (size_t i = 0; auxv && g->entry && i + 1 < len / 8; i += 2)
		if (auxv[i] == AT_ENTRY)
			moved = auxv[i + 1] - g->entry;
	free(auxv);
	return vaddr ? vaddr + moved : 0;
}

int go_runtime__attach(struct go_runtime *g, struct leakscope_bpf *skel, pid_t pid,
		       unsigned int kinds, bool spawned)
{
	if (g->is_go && g->layout && (kinds & GO_HOST_KINDS) && write_layout(g, skel, pid)) {
		ls_error("cannot tell the Go programs about PID %d: %s", pid, strerror(errno));
		return LS_EXIT_KERNEL;
	}
	for (int i = 0; i < GO_PROBE_MAX; i++) {
		struct bpf_program *prog = program(skel, i);

		if (!g->is_go || !g->layout || !bpf_program__autoload(prog))
			continue;
		if (!g->offsets[i]) {
			ls_info("Go: %s not found: %s not traced", probe_function(g, i),
				i <= GO_GOEXIT0 ? "goroutines" : "the Go heap");
			continue;
		}
		g->links[i] = bpf_program__attach_uprobe(prog, false, pid, g->path, g->offsets[i]);
		if (!g->links[i]) {
			ls_error("cannot attach uprobe to %s in %s: %s", probe_function(g, i),
				 g->path, strerror(errno));
			return errno == ESRCH ? LS_EXIT_NO_TARGET : LS_EXIT_KERNEL;
		}
		ls_info("probe %-24s %s+0x%llx", probe_function(g, i), g->path,
			(unsigned long long)g->offsets[i]);
	}
	if (g->is_go && (kinds & (1u << LS_KIND_GO_HEAP)) && !spawned)
		rate_on(g, pid, relocate(g, pid, g->rate_vaddr));
	return 0;
}

bool go_runtime__rate_when_off(struct go_runtime *g, pid_t pid)
{
	uint64_t addr = relocate(g, pid, g->rate_vaddr);
	int64_t now = 0;

	if (!addr || mem_access(pid, addr, &now, false))
		return true; /* not found, or gone */
	if (now != 0)
		return false; /* its runtime has not started, or it links runtime/pprof */
	rate_on(g, pid, addr);
	return true;
}

/* /proc/PID/stat says the process is stopped */
static bool stopped(pid_t pid)
{
	char path[64], *text, *p;
	bool yes;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	text = read_file(path, NULL);
	p = text ? strrchr(text, ')') : NULL;
	yes = p && p[1] && (p[2] == 'T' || p[2] == 't');
	free(text);
	return yes;
}

void go_runtime__started(struct go_runtime *g, struct leakscope_bpf *skel, pid_t pid)
{
	volatile __u64 *addr = &skel->bss->go_rate_addr;
	int i;

	if (!g->links[GO_MAIN])
		return;
	for (i = 0; i < 300 && !*addr; i++)
		usleep(10000);
	/* never stopped by a probe nobody waits for any more */
	bpf_link__destroy(g->links[GO_MAIN]);
	g->links[GO_MAIN] = NULL;
	if (!*addr) {
		ls_info("go-heap: main.main not reached in 3 s: no Go heap samples");
		return;
	}
	for (i = 0; i < 300 && !stopped(pid); i++)
		usleep(1000);
	rate_on(g, pid, *addr);
	kill(pid, SIGCONT);
}

void go_runtime__detach(struct go_runtime *g, pid_t pid)
{
	int64_t now = 0;

	/* put the old value back unless the program changed it since */
	if (g->rate_written && mem_access(pid, g->rate_addr, &now, false) == 0 &&
	    now == GO_MEM_PROFILE_RATE && mem_access(pid, g->rate_addr, &g->rate_old, true) == 0)
		ls_info("go-heap: runtime.MemProfileRate restored to %lld", (long long)g->rate_old);
	g->rate_written = false;
	for (int i = 0; i < GO_PROBE_MAX; i++) {
		bpf_link__destroy(g->links[i]);
		g->links[i] = NULL;
	}
}

int64_t go_runtime__rate(const struct go_runtime *g)
{
	if (!g->is_go)
		return 0;
	return g->rate_old ? g->rate_old : GO_MEM_PROFILE_RATE;
}

enum detail go_runtime__classify(int pid, uint64_t gaddr, int minor)
{
	const struct go_layout *l = go_layout__find(minor);
	uint64_t status = 0, reason = 0;

	if (!l || pid <= 0 || mem_access(pid, gaddr + l->g_status, &status, false) ||
	    mem_access(pid, gaddr + l->g_waitreason, &reason, false))
		return DETAIL_MAX;
	switch (status & 0xffffffff & ~0x1000u) { /* without _Gscan */
	case 1:
		return DETAIL_GO_RUNNABLE;
	case 2:
		return DETAIL_GO_RUNNING;
	case 3:
		return DETAIL_GO_SYSCALL;
	case 4: /* _Gwaiting: runtime.waitReason says on what */
		return go_layout__wait_detail(l, reason & 0xff);
	default:
		return DETAIL_GO_WAITING;
	}
}

void go_runtime__scale(int64_t *bytes, int64_t *count, int64_t rate)
{
	double avg, scale;

	if (*count <= 0 || *bytes <= 0 || rate <= 1)
		return;
	avg = (double)*bytes / (double)*count;
	scale = 1 / (1 - exp(-avg / (double)rate));
	*count = (int64_t)((double)*count * scale);
	*bytes = (int64_t)((double)*bytes * scale);
}
