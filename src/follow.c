// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "follow.h"
#include "go_host.h"
#include "host.h"
#include "kind.h"
#include "allocator.h"
#include "probes.h"
#include "proc_maps.h"
#include "session.h"
#include "snapshot.h"
#include "symbolizer.h"
#include "target.h"
#include "unwinder.h"
#include "util.h"
#include "verdicts.h"

/* A command not released yet runs leakscope's image: what it will run is
 * its executable, planned and probed already (no exec to follow there). */
static bool image_to_run(const struct session *s, int pid, struct proc_image *image)
{
	struct stat st;

	if (pid != s->target->pid || s->target->release_fd < 0 || !s->target->exe ||
	    stat(s->target->exe, &st))
		return false;
	image->dev = st.st_dev;
	image->ino = st.st_ino;
	return true;
}

void follow__add_process(struct session *s, int pid, const char *comm)
{
	struct report_process *p;
	int k;

	s->procs = xrealloc(s->procs, s->nprocs + 1, sizeof(*s->procs));
	s->images = xrealloc(s->images, s->nprocs + 1, sizeof(*s->images));
	memset(&s->images[s->nprocs], 0, sizeof(*s->images));
	if (!image_to_run(s, pid, &s->images[s->nprocs]))
		exec_follow__image(pid, &s->images[s->nprocs].dev, &s->images[s->nprocs].ino);
	s->images[s->nprocs].close = !s->watch;
	p = &s->procs[s->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->comm = xstrdup(comm);
	p->symbolizer = symbolizer__new(pid);
	for (k = 0; k < LS_KIND_MAX; k++)
		p->preexisting[k] = -1;
	p->exit_status = -1;
	/* A command not released yet still maps leakscope's own files: the
	 * tables of its own come at the first look after its exec. */
	if (s->unwinder && s->images[s->nprocs - 1].close &&
	    !(pid == s->target->pid && s->target->release_fd >= 0))
		unwinder__refresh(s->unwinder, pid);
	if (p->symbolizer)
		symbolizer__refresh(p->symbolizer);
}

/* What a process maps now, for its symbolizer and its unwind tables. */
static void read_maps(struct session *s, struct report_process *p)
{
	if (p->symbolizer)
		symbolizer__refresh(p->symbolizer);
	if (s->unwinder)
		unwinder__refresh(s->unwinder, p->pid);
}

/* Whether `path` is the file mapping `e` maps. */
static bool is_mapped_file(const char *path, const struct map_entry *e)
{
	struct stat st;

	return !stat(path, &st) && st.st_ino == e->inode && major(st.st_dev) == e->dev_major &&
	       minor(st.st_dev) == e->dev_minor;
}

/* The file of mapping `e` among those leakscope knows the path of: the
 * command's executable and the objects of its load order (each once);
 * NULL: none of them. */
static const char *known_path(const struct session *s, const struct map_entry *e)
{
	size_t i;

	if (s->target->exe && is_mapped_file(s->target->exe, e))
		return s->target->exe;
	for (i = 0; i < s->plan->nobjects; i++)
		if (is_mapped_file(s->plan->objects[i], e))
			return s->plan->objects[i];
	return NULL;
}

/* A process mapped code from a file: its maps are read, or, when it is
 * gone already, the mapping BPF saw is added as it was made. */
static void mapped(struct session *s, struct report_process *p, const struct ls_map_event *ev)
{
	struct map_entry e = {.start = ev->start,
			      .end = ev->start + ev->len,
			      .offset = ev->offset,
			      .inode = ev->ino,
			      .dev_major = ev->dev_major,
			      .dev_minor = ev->dev_minor,
			      .perms = "r-xp"};

	if (p->symbolizer && (p->exited || symbolizer__refresh(p->symbolizer) == -ESRCH))
		symbolizer__add_mapping(p->symbolizer, &e, known_path(s, &e));
	else if (s->unwinder)
		unwinder__refresh(s->unwinder, p->pid);
}

/* A process that exec'd runs another image: probe its allocator too, and
 * call it by its new name. Its maps are read at once, before a short-lived
 * program is gone (also when it runs the image it was started for). */
static void follow_exec(struct session *s, size_t i, bool exec_seen)
{
	struct report_process *p = &s->procs[i];
	bool changed;
	char *comm;
	dev_t dev;
	ino_t ino;

	changed = exec_follow__image(p->pid, &dev, &ino) &&
		  (dev != s->images[i].dev || ino != s->images[i].ino);
	if (!changed && !exec_seen)
		return;
	read_maps(s, p);
	if (!changed)
		return;
	s->images[i].dev = dev;
	s->images[i].ino = ino;
	if (exec_follow__attach(&s->places, s->skel, s->opt, p->pid, s->links))
		ls_error("PID %d exec'd: its new image is traced only where the old one was",
			 p->pid);
	comm = proc_comm(p->pid);
	if (comm) {
		free((char *)p->comm);
		p->comm = comm;
	}
}

/*
 * BPF says a traced process exec'd (probe its new image now, before it gets
 * far) or, with --follow-forks, that it forked a child, now in the targets,
 * whose heap needs the uprobes too (they are attached per process).
 */
int follow__on_event(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	const struct ls_event *ev = data;
	char *comm;
	size_t i;

	if (len < sizeof(*ev))
		return 0;
	if (ev->type == LS_EVENT_EXEC) {
		if (s->opt->all) /* it may run Go now */
			go_host__exec(ev->pid);
		for (i = 0; i < s->nprocs; i++)
			if (s->procs[i].pid == (int)ev->pid)
				follow_exec(s, i, true);
		return 0;
	}
	if (ev->type == LS_EVENT_MAPPED && len >= sizeof(struct ls_map_event)) {
		for (i = 0; i < s->nprocs; i++)
			if (s->procs[i].pid == (int)ev->pid)
				mapped(s, &s->procs[i], data);
		return 0;
	}
	if (ev->type != LS_EVENT_NEW_PROCESS)
		return 0;
	comm = proc_comm(ev->pid);
	follow__add_process(s, ev->pid, comm ? comm : "?");
	free(comm);
	if (s->plan->count && probes__attach(s->skel, s->plan, ev->pid, s->links))
		ls_info("child %u: heap not traced (it exited or exec'd first)", ev->pid);
	else
		ls_info("following child %u of %u", ev->pid, ev->parent);
	return 0;
}

void follow__tick(struct session *s)
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
		if (!s->images[i].close) { /* its maps as first read, till it exits */
			if (kill(p->pid, 0) && errno == ESRCH)
				p->exited = true;
			continue;
		}
		follow_exec(s, i, false);
		/* new libraries get their unwind tables */
		if (s->unwinder)
			unwinder__refresh(s->unwinder, p->pid);
		/* After the exit the maps read while it was alive are used. */
		if (p->symbolizer && symbolizer__refresh(p->symbolizer) == -ESRCH)
			p->exited = true;
	}
}

void follow__closely(struct session *s, int pid)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid && !s->procs[i].exited && !s->images[i].close) {
			s->images[i].close = true;
			read_maps(s, &s->procs[i]);
		}
}

void follow__free_process(struct report_process *p)
{
	if (p->symbolizer)
		symbolizer__free(p->symbolizer);
	free((char *)p->comm);
	free(p->cgroup);
}

void follow__adopt(struct session *s, const struct snapshot *snap)
{
	uint32_t *tgids;
	size_t n = host__tgids(snap, &tgids), i, k;

	for (i = 0; i < n; i++) {
		char *comm;

		for (k = 0; k < s->nprocs && s->procs[k].pid != (int)tgids[i]; k++)
			;
		if (k < s->nprocs)
			continue;
		comm = proc_comm(tgids[i]);
		follow__add_process(s, tgids[i], comm ? comm : "?");
		if (!comm) /* gone before we saw it: its maps are unknown */
			s->procs[s->nprocs - 1].exited = true;
		s->procs[s->nprocs - 1].cgroup = host__cgroup_of(tgids[i]);
		s->procs[s->nprocs - 1].go_minor = go_host__minor(tgids[i]);
		free(comm);
	}
	free(tgids);
}

void follow__forget_exited(struct session *s)
{
	struct kind_source src = session__source(s);
	uint32_t *gone = xcalloc(s->nprocs + 1, sizeof(*gone));
	size_t n = 0, i, k = 0;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].exited)
			gone[n++] = s->procs[i].pid;
	if (n) {
		qsort(gone, n, sizeof(*gone), cmp_u32);
		kinds__forget(&src, gone, n);
	}
	for (i = 0; i < s->nprocs; i++) {
		struct report_process *p = &s->procs[i];

		if (!p->exited) {
			s->images[k] = s->images[i];
			s->procs[k++] = *p;
			continue;
		}
		verdicts__forget_process(s->verdicts, p->pid);
		follow__free_process(p);
	}
	s->nprocs = k;
	free(gone);
}
