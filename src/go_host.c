// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "go_host.h"
#include "go_kinds.h"
#include "go_runtime.h"
#include "host.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "target.h"
#include "util.h"

/* How long a process's MemProfileRate is watched for its runtime to turn
 * it off (its start: it is 512 KiB until the runtime's schedinit). */
#define RATE_WATCH_NS 5000000000ULL
/* Executables found not to be Go (or of an unknown Go), not opened again. */
#define NOT_GO_MAX 256

struct go_process {
	pid_t pid;
	uint64_t found_ns;
	bool rate_done; /* sampling on, or not to be turned on */
	struct go_runtime rt;
};

struct file_id {
	dev_t dev;
	ino_t ino;
};

static struct {
	bool started;
	struct leakscope_bpf *skel;
	const struct options *opt;
	unsigned int kinds; /* of GO_HOST_KINDS */
	struct go_process **procs;
	size_t nprocs;
	struct file_id not_go[NOT_GO_MAX];
	size_t nnot_go; /* a ring: the oldest is replaced */
	uint64_t last_tick_ns;
} host;

static bool is_not_go(const struct stat *st)
{
	for (size_t i = 0; i < host.nnot_go && i < NOT_GO_MAX; i++)
		if (host.not_go[i].dev == st->st_dev && host.not_go[i].ino == st->st_ino)
			return true;
	return false;
}

static void remember_not_go(const struct stat *st)
{
	host.not_go[host.nnot_go++ % NOT_GO_MAX] = (struct file_id){st->st_dev, st->st_ino};
}

/* Whether process `pid` is in -a's scope (--comm, --cgroup), as the BPF
 * programs decide it (bpf/common.bpf.h: in_host_scope). */
static bool in_scope(pid_t pid)
{
	char *text;
	bool yes = true;

	if (pid == getpid())
		return false;
	if (host.opt->comm) {
		text = proc_comm(pid);
		yes = text && !strncmp(text, host.opt->comm, 15);
		free(text);
	}
	if (yes && host.opt->cgroup) {
		size_t len, plen = strlen(host.opt->cgroup);

		text = host__cgroup_of(pid);
		len = text ? strlen(text) : 0;
		/* "/sys/fs/cgroup/a/b" is the process's "/a/b" */
		yes = text && len <= plen && !strcmp(host.opt->cgroup + plen - len, text);
		free(text);
	}
	return yes;
}

static void forget(size_t i)
{
	struct go_process *p = host.procs[i];
	__u32 tgid = p->pid;

	go_runtime__detach(&p->rt, p->pid);
	bpf_map__delete_elem(host.skel->maps.go_layouts, &tgid, sizeof(tgid), 0);
	free(p);
	host.procs[i] = host.procs[--host.nprocs];
}

/* Process `pid`, when it runs Go of a known version: its layout and probes.
 * `started`: found running at the start, not exec'd just now (said in -v). */
static void add(pid_t pid, bool started)
{
	struct target t = {.pid = pid, .pidfd = -1, .release_fd = -1};
	struct go_process *p;
	char exe[64];
	struct stat st;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (stat(exe, &st) || is_not_go(&st) || !in_scope(pid))
		return;
	p = xcalloc(1, sizeof(*p));
	go_runtime__open(&p->rt, &t);
	if (!p->rt.is_go || !p->rt.layout) {
		if (p->rt.is_go)
			ls_info("PID %d: Go %s: %s: goroutines and the Go heap not traced", pid,
				p->rt.version, p->rt.unknown);
		remember_not_go(&st);
		free(p);
		return;
	}
	p->pid = pid;
	p->found_ns = monotonic_ns();
	/* its heap sampling: never at attach (its runtime may not have set
	 * the rate yet), at the ticks after (go_host__tick) */
	p->rate_done = !(host.kinds & (1u << LS_KIND_GO_HEAP));
	host.procs = xrealloc(host.procs, host.nprocs + 1, sizeof(*host.procs));
	host.procs[host.nprocs++] = p;
	if (go_runtime__attach(&p->rt, host.skel, pid, host.kinds, true)) {
		forget(host.nprocs - 1);
		return;
	}
	ls_info("PID %d: Go %s traced (%s)", pid, p->rt.version,
		started ? "running at the start" : "exec'd");
}

static int find(pid_t pid)
{
	for (size_t i = 0; i < host.nprocs; i++)
		if (host.procs[i]->pid == pid)
			return (int)i;
	return -1;
}

int go_host__start(const struct kind_source *src)
{
	struct dirent *d;
	DIR *proc;

	if (!src->opt->all || host.started)
		return 0;
	host.started = true;
	host.skel = src->skel;
	host.opt = src->opt;
	host.kinds = src->opt->kinds & GO_HOST_KINDS;
	proc = opendir("/proc");
	while (proc && (d = readdir(proc))) {
		pid_t pid = (pid_t)strtol(d->d_name, NULL, 10);

		if (pid > 0)
			add(pid, true);
	}
	if (proc)
		closedir(proc);
	ls_info("Go: %zu Go process%s traced at the start", host.nprocs,
		host.nprocs == 1 ? "" : "es");
	return 0;
}

void go_host__exec(pid_t pid)
{
	int i;

	if (!host.started)
		return;
	i = find(pid);
	if (i >= 0) /* a new image: the old one's probes and layout go */
		forget((size_t)i);
	add(pid, false);
}

void go_host__tick(const struct kind_source *src)
{
	uint64_t now = monotonic_ns();
	size_t i = 0;

	(void)src;
	if (now - host.last_tick_ns < 100000000ULL)
		return; /* the other Go kind's tick of this wake */
	host.last_tick_ns = now;
	while (i < host.nprocs) {
		struct go_process *p = host.procs[i];

		if (kill(p->pid, 0) && errno == ESRCH) {
			forget(i); /* the last one moved here: looked at next */
			continue;
		}
		if (!p->rate_done)
			p->rate_done = go_runtime__rate_when_off(&p->rt, p->pid) ||
				       now - p->found_ns > RATE_WATCH_NS;
		i++;
	}
}

void go_host__stop(void)
{
	while (host.nprocs)
		forget(host.nprocs - 1);
	free(host.procs);
	host.procs = NULL;
	host.started = false;
}

bool go_host__traced(size_t *nprocs)
{
	*nprocs = host.nprocs;
	return host.started && host.kinds;
}

int go_host__minor(pid_t pid)
{
	int i = find(pid);

	return i >= 0 ? host.procs[i]->rt.minor : 0;
}
