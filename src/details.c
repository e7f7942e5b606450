// SPDX-License-Identifier: GPL-2.0
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "details.h"
#include "util.h"

static const char *const detail_names[DETAIL_MAX][2] = {
    /* singular, plural */
    [DETAIL_FILE] = {"file", "files"},
    [DETAIL_SOCKET] = {"socket", "sockets"},
    [DETAIL_PIPE] = {"pipe", "pipes"},
    [DETAIL_EVENTFD] = {"eventfd", "eventfds"},
    [DETAIL_TIMERFD] = {"timerfd", "timerfds"},
    [DETAIL_SIGNALFD] = {"signalfd", "signalfds"},
    [DETAIL_EPOLL] = {"epoll", "epolls"},
    [DETAIL_INOTIFY] = {"inotify", "inotifys"},
    [DETAIL_MEMFD] = {"memfd", "memfds"},
    [DETAIL_PIDFD] = {"pidfd", "pidfds"},
    [DETAIL_OTHER_FD] = {"other", "other"},
    [DETAIL_RUNNING] = {"running", "running"},
    [DETAIL_SLEEPING] = {"sleeping", "sleeping"},
    [DETAIL_FUTEX] = {"futex wait", "futex wait"},
    [DETAIL_READ] = {"in read", "in read"},
    [DETAIL_POLL] = {"in poll", "in poll"},
    [DETAIL_NANOSLEEP] = {"in sleep", "in sleep"},
    [DETAIL_OTHER_SYSCALL] = {"in a syscall", "in a syscall"},
    [DETAIL_STOPPED] = {"stopped", "stopped"},
    [DETAIL_GO_RUNNING] = {"running", "running"},
    [DETAIL_GO_RUNNABLE] = {"runnable", "runnable"},
    [DETAIL_GO_SYSCALL] = {"in syscall", "in syscall"},
    [DETAIL_CHAN_SEND] = {"chan send", "chan send"},
    [DETAIL_CHAN_RECEIVE] = {"chan receive", "chan receive"},
    [DETAIL_GO_SELECT] = {"select", "select"},
    [DETAIL_GO_IO_WAIT] = {"IO wait", "IO wait"},
    [DETAIL_GO_SLEEP] = {"sleep", "sleep"},
    [DETAIL_GO_WAITING] = {"waiting", "waiting"},
};

/* When the process is gone: what the creating call makes. */
static enum detail fd_detail_of_api(enum ls_api api)
{
	switch (api) {
	case LS_API_OPEN:
	case LS_API_OPENAT:
	case LS_API_OPENAT2:
	case LS_API_CREAT:
	case LS_API_OPEN_BY_HANDLE_AT:
	case LS_API_FOPEN:
	case LS_API_FREOPEN:
	case LS_API_OPENDIR:
	case LS_API_TMPFILE:
		return DETAIL_FILE;
	case LS_API_SOCKET:
	case LS_API_SOCKETPAIR:
	case LS_API_ACCEPT:
	case LS_API_ACCEPT4:
		return DETAIL_SOCKET;
	case LS_API_PIPE:
	case LS_API_PIPE2:
	case LS_API_POPEN:
		return DETAIL_PIPE;
	case LS_API_EVENTFD:
		return DETAIL_EVENTFD;
	case LS_API_TIMERFD_CREATE:
		return DETAIL_TIMERFD;
	case LS_API_SIGNALFD:
		return DETAIL_SIGNALFD;
	case LS_API_EPOLL_CREATE:
		return DETAIL_EPOLL;
	case LS_API_INOTIFY_INIT:
		return DETAIL_INOTIFY;
	case LS_API_MEMFD_CREATE:
		return DETAIL_MEMFD;
	case LS_API_PIDFD_OPEN:
		return DETAIL_PIDFD;
	default:
		return DETAIL_OTHER_FD;
	}
}

/* Link targets: "/path", "socket:[123]", "pipe:[45]", "anon_inode:[eventfd]",
 * "anon_inode:inotify", "/memfd:name (deleted)". */
static enum detail fd_detail_of_link(const char *link)
{
	static const struct {
		const char *prefix;
		enum detail detail;
	} kinds[] = {
	    {"socket:", DETAIL_SOCKET},
	    {"pipe:", DETAIL_PIPE},
	    {"/memfd:", DETAIL_MEMFD},
	    {"anon_inode:[eventfd", DETAIL_EVENTFD},
	    {"anon_inode:[timerfd", DETAIL_TIMERFD},
	    {"anon_inode:[signalfd", DETAIL_SIGNALFD},
	    {"anon_inode:[eventpoll", DETAIL_EPOLL},
	    {"anon_inode:inotify", DETAIL_INOTIFY},
	    {"anon_inode:[pidfd", DETAIL_PIDFD},
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(link, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].detail;
	return link[0] == '/' ? DETAIL_FILE : DETAIL_OTHER_FD;
}

enum detail details__classify_fd(int pid, uint64_t fd, enum ls_api api, char *path, size_t len)
{
	char proc[64], link[PATH_MAX];
	enum detail d;
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/%d/fd/%llu", pid, (unsigned long long)fd);
	n = readlink(proc, link, sizeof(link) - 1);
	if (n < 0)
		return fd_detail_of_api(api);
	link[n] = '\0';
	d = fd_detail_of_link(link);
	if (d == DETAIL_FILE && path && len) {
		char *slash = strrchr(link, '/');

		if (slash)
			slash[1] = '\0';
		snprintf(path, len, "%s", link);
	}
	return d;
}

/* x86_64 numbers of the calls threads are usually found blocked in */
enum detail details__thread_in_syscall(long nr)
{
	switch (nr) {
	case -1: /* in user code */
		return DETAIL_RUNNING;
	case 202: /* futex */
		return DETAIL_FUTEX;
	case 0:	  /* read */
	case 17:  /* pread64 */
	case 19:  /* readv */
	case 43:  /* accept */
	case 45:  /* recvfrom */
	case 47:  /* recvmsg */
	case 288: /* accept4 */
		return DETAIL_READ;
	case 7:	  /* poll */
	case 23:  /* select */
	case 232: /* epoll_wait */
	case 270: /* pselect6 */
	case 271: /* ppoll */
	case 281: /* epoll_pwait */
	case 441: /* epoll_pwait2 */
		return DETAIL_POLL;
	case 35:  /* nanosleep */
	case 230: /* clock_nanosleep */
	case 34:  /* pause */
		return DETAIL_NANOSLEEP;
	default:
		return DETAIL_OTHER_SYSCALL;
	}
}

enum detail details__classify_thread(int pid, uint64_t tid)
{
	char path[96], *text, *p, state = 0;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/task/%llu/stat", pid, (unsigned long long)tid);
	text = read_file(path, NULL);
	if (!text)
		return DETAIL_MAX;
	p = strrchr(text, ')');
	if (p)
		state = p[2];
	free(text);
	if (state == 'R')
		return DETAIL_RUNNING;
	if (state == 'T' || state == 't')
		return DETAIL_STOPPED;
	/* Blocked: in which call. /proc/PID/task/TID/syscall starts with its
	 * number, or "running". */
	snprintf(path, sizeof(path), "/proc/%d/task/%llu/syscall", pid, (unsigned long long)tid);
	text = read_file(path, NULL);
	if (!text)
		return DETAIL_SLEEPING;
	nr = strtol(text, &p, 10);
	free(text);
	return p == text ? DETAIL_SLEEPING : details__thread_in_syscall(nr);
}

void details__merge(struct details *into, const struct details *from)
{
	int i;

	for (i = 0; i < DETAIL_MAX; i++)
		into->counts[i] += from->counts[i];
	if (!into->path[0])
		memcpy(into->path, from->path, sizeof(into->path));
}

void details__format(const struct details *d, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < DETAIL_MAX && used < len; i++) {
		uint32_t n = d->counts[i];

		if (!n)
			continue;
		used += snprintf(buf + used, len - used, "%s%u %s", used ? ", " : "", n,
				 detail_names[i][n != 1]);
		if (i == DETAIL_FILE && d->path[0] && used < len)
			used += snprintf(buf + used, len - used, " %s", d->path);
	}
}
