// SPDX-License-Identifier: GPL-2.0
/*
 * The fd kind: file descriptors opened by system calls (bpf/fd.bpf.c), each
 * described by what it is (a file, a socket, a pipe...).
 */
#include <dirent.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "report.h"
#include "snapshot.h"

static void configure(const struct kind_source *src, bool traced)
{
	kind__autoload(src, &kind_fd, traced);
}

/* How many fds a process has open; those seen being opened are taken away
 * as they are described. */
static int count_open_fds(const struct report_process *proc)
{
	char path[64];
	struct dirent *de;
	int open = 0;
	DIR *dir;

	if (proc->exited)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", proc->pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		open += de->d_name[0] != '.';
	closedir(dir);
	return open;
}

static enum detail describe_fd(const struct report_process *p, uint64_t fd,
			       const struct ls_object *obj, char *path, size_t len)
{
	return details__classify_fd(p->exited ? -1 : p->pid, fd, obj->where.site.api, path, len);
}

static int describe(const struct kind_source *src, struct snapshot *snap)
{
	size_t i;

	for (i = 0; i < src->nprocs; i++)
		snap->preexisting[i][LS_KIND_FD] = count_open_fds(&src->procs[i]);
	return kind__describe_objects(src, bpf_map__fd(src->skel->maps.fd_objects), LS_KIND_FD,
				      describe_fd, snap);
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	kind__forget_objects(bpf_map__fd(src->skel->maps.fd_objects), gone, n);
}

static const char *const programs[] = {"fd_", NULL};

const struct kind kind_fd = {
    .id = LS_KIND_FD,
    .name = "fd",
    .words = {.objects = "fds",
	      .acquired = "opened",
	      .released = "closed",
	      .unknown = "closes of fds opened before tracing",
	      .preexisting = "open before tracing"},
    .pprof_type = "fds",
    .programs = programs,
    .configure = configure,
    .describe = describe,
    .forget = forget,
};
