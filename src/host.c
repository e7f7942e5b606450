// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "host.h"
#include "leakscope.skel.h"
#include "session.h"
#include "symbolizer.h"
#include "util.h"

#define CGROUP2_SUPER_MAGIC 0x63677270

int host__configure(struct leakscope_bpf *skel, const struct options *opt)
{
	struct statfs fs;
	struct stat st;

	if (!opt->all)
		return 0;
	skel->rodata->host_mode = true;
	skel->rodata->self_tgid = getpid();
	if (opt->comm)
		strncpy((char *)skel->rodata->host_comm, opt->comm,
			sizeof(skel->rodata->host_comm) - 1);
	if (!opt->cgroup)
		return 0;
	/* A cgroup v2's id is the inode number of its directory. */
	if (stat(opt->cgroup, &st) || statfs(opt->cgroup, &fs)) {
		ls_error("no cgroup %s: %s", opt->cgroup, strerror(errno));
		return LS_EXIT_NO_TARGET;
	}
	if (fs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode)) {
		ls_error("%s is not a cgroup v2 directory", opt->cgroup);
		return LS_EXIT_NO_TARGET;
	}
	skel->rodata->host_cgroup = st.st_ino;
	return 0;
}

/* The cgroup v2 path of a process ("0::/PATH" in /proc/PID/cgroup). */
static char *cgroup_of(uint32_t pid)
{
	char path[64], *text, *line, *cg = NULL;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	text = read_file(path, NULL);
	for (line = text; line && *line;
	     line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		if (!strncmp(line, "0::", 3)) {
			cg = strndup(line + 3, strcspn(line + 3, "\n"));
			break;
		}
	}
	free(text);
	return cg;
}

struct tgid_list {
	uint32_t *v;
	size_t n, cap;
	uint32_t last; /* the one added last: blocks of a process come in runs */
};

static void tgid_add(struct tgid_list *l, uint32_t tgid)
{
	if (l->n && l->last == tgid)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = l->last = tgid;
}

static int tgid_of_block(uint64_t addr, const struct ls_heap_block *b, void *arg)
{
	(void)addr;
	tgid_add(arg, b->tgid);
	return 0;
}

void host__discover(struct session *s)
{
	int fd = bpf_map__fd(s->skel->maps.totals);
	struct heap_table heap = session__heap_table(s);
	struct ls_totals_key key, next;
	struct tgid_list l = {0};
	uint32_t *tgids;
	size_t n, i, k;
	bool first = true;

	/* the processes holding something: in the totals, or heap blocks */
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		tgid_add(&l, next.site.tgid);
	}
	heap_table__scan(&heap, tgid_of_block, &l);
	tgids = l.v;
	n = l.n;
	if (n)
		qsort(tgids, n, sizeof(*tgids), cmp_u32);
	for (i = 0; i < n; i++) {
		char path[64], *comm;

		if (i && tgids[i] == tgids[i - 1])
			continue;
		for (k = 0; k < s->nprocs && s->procs[k].pid != (int)tgids[i]; k++)
			;
		if (k < s->nprocs)
			continue;
		snprintf(path, sizeof(path), "/proc/%u/comm", tgids[i]);
		comm = read_file(path, NULL);
		if (comm)
			comm[strcspn(comm, "\n")] = '\0';
		session__add_process(s, tgids[i], comm ? comm : "?");
		if (!comm) /* gone before we saw it: its maps are unknown */
			s->procs[s->nprocs - 1].exited = true;
		s->procs[s->nprocs - 1].cgroup = cgroup_of(tgids[i]);
		free(comm);
	}
	free(tgids);
}

/* Deletes the entries of `map` whose key (of `key_size` bytes) has a tgid
 * at `tgid_off` that is one of `gone` (sorted). */
static void delete_of(int map, size_t key_size, size_t tgid_off, const uint32_t *gone, size_t n)
{
	char key[64], next[64];
	bool first = true;
	void *doomed = NULL;
	size_t ndoomed = 0, i;

	while (bpf_map_get_next_key(map, first ? NULL : key, next) == 0) {
		uint32_t tgid;

		first = false;
		memcpy(key, next, key_size);
		memcpy(&tgid, next + tgid_off, sizeof(tgid));
		if (!bsearch(&tgid, gone, n, sizeof(*gone), cmp_u32))
			continue;
		doomed = xrealloc(doomed, ndoomed + 1, key_size);
		memcpy((char *)doomed + ndoomed++ * key_size, next, key_size);
	}
	for (i = 0; i < ndoomed; i++)
		bpf_map_delete_elem(map, (char *)doomed + i * key_size);
	free(doomed);
}

void host__forget_exited(struct session *s)
{
	struct leakscope_bpf *skel = s->skel;
	struct heap_table heap = session__heap_table(s);
	uint32_t *gone = xcalloc(s->nprocs + 1, sizeof(*gone));
	size_t n = 0, i, k = 0;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].exited)
			gone[n++] = s->procs[i].pid;
	if (n) {
		qsort(gone, n, sizeof(*gone), cmp_u32);
		delete_of(bpf_map__fd(skel->maps.totals), sizeof(struct ls_totals_key),
			  offsetof(struct ls_totals_key, site.tgid), gone, n);
		heap_table__forget(&heap, gone, n);
		delete_of(bpf_map__fd(skel->maps.fd_objects), sizeof(struct ls_object_key),
			  offsetof(struct ls_object_key, tgid), gone, n);
		delete_of(bpf_map__fd(skel->maps.thread_objects), sizeof(struct ls_object_key),
			  offsetof(struct ls_object_key, tgid), gone, n);
	}
	for (i = 0; i < s->nprocs; i++) {
		struct report_process *p = &s->procs[i];

		if (!p->exited) {
			s->images[k] = s->images[i];
			s->procs[k++] = *p;
			continue;
		}
		verdicts__forget_process(s->verdicts, p->pid);
		if (p->symbolizer)
			symbolizer__free(p->symbolizer);
		free((char *)p->comm);
		free(p->cgroup);
	}
	s->nprocs = k;
	free(gone);
}
