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
#include "probe_point.h"
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
			       const struct ls_object *obj, void *arg, char *path, size_t len)
{
	(void)arg;
	return details__classify_fd(p->exited ? -1 : p->pid, fd, obj->where.site.api, path, len);
}

static int describe(const struct kind_source *src, struct snapshot *snap)
{
	size_t i;

	for (i = 0; i < src->nprocs; i++)
		snap->preexisting[i][LS_KIND_FD] = count_open_fds(&src->procs[i]);
	return kind__describe_objects(src, bpf_map__fd(src->skel->maps.fd_objects), LS_KIND_FD,
				      describe_fd, NULL, snap);
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	kind__forget_objects(bpf_map__fd(src->skel->maps.fd_objects), gone, n);
}

/* The libc wrappers that create fds: probed only for the stack of their
 * caller (libc keeps no frame pointers); the system call does the counting.
 * fcntl, called often and rarely to duplicate an fd, is left to the
 * frame-pointer walk from the system call. */
static const struct api_function functions[] = {
    {"open", LS_API_OPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"open64", LS_API_OPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"openat", LS_API_OPENAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"openat64", LS_API_OPENAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"creat", LS_API_CREAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"creat64", LS_API_CREAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"fopen", LS_API_FOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"fopen64", LS_API_FOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"freopen", LS_API_FREOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"freopen64", LS_API_FREOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"opendir", LS_API_OPENDIR, PROG_WRAPPER, true, LS_KIND_FD},
    {"tmpfile", LS_API_TMPFILE, PROG_WRAPPER, true, LS_KIND_FD},
    {"tmpfile64", LS_API_TMPFILE, PROG_WRAPPER, true, LS_KIND_FD},
    {"popen", LS_API_POPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"socket", LS_API_SOCKET, PROG_WRAPPER, true, LS_KIND_FD},
    {"socketpair", LS_API_SOCKETPAIR, PROG_WRAPPER, true, LS_KIND_FD},
    {"accept", LS_API_ACCEPT, PROG_WRAPPER, true, LS_KIND_FD},
    {"accept4", LS_API_ACCEPT4, PROG_WRAPPER, true, LS_KIND_FD},
    {"pipe", LS_API_PIPE, PROG_WRAPPER, true, LS_KIND_FD},
    {"pipe2", LS_API_PIPE2, PROG_WRAPPER, true, LS_KIND_FD},
    {"dup", LS_API_DUP, PROG_WRAPPER, true, LS_KIND_FD},
    {"dup2", LS_API_DUP2, PROG_WRAPPER, true, LS_KIND_FD},
    {"dup3", LS_API_DUP3, PROG_WRAPPER, true, LS_KIND_FD},
    {"eventfd", LS_API_EVENTFD, PROG_WRAPPER, true, LS_KIND_FD},
    {"timerfd_create", LS_API_TIMERFD_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"signalfd", LS_API_SIGNALFD, PROG_WRAPPER, true, LS_KIND_FD},
    {"epoll_create", LS_API_EPOLL_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"epoll_create1", LS_API_EPOLL_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"memfd_create", LS_API_MEMFD_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"inotify_init", LS_API_INOTIFY_INIT, PROG_WRAPPER, true, LS_KIND_FD},
    {"inotify_init1", LS_API_INOTIFY_INIT, PROG_WRAPPER, true, LS_KIND_FD},
    {"fanotify_init", LS_API_FANOTIFY_INIT, PROG_WRAPPER, true, LS_KIND_FD},
    {"pidfd_open", LS_API_PIDFD_OPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"recvmsg", LS_API_RECVMSG, PROG_WRAPPER, true, LS_KIND_FD},
};

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
    .leak_at_exit = 2, /* one fd kept to the end (a directory for openat, a log) is no leak */
    .programs = programs,
    .functions = functions,
    .nfunctions = sizeof(functions) / sizeof(functions[0]),
    .configure = configure,
    .describe = describe,
    .forget = forget,
};
