/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the outstanding fds of a row are (files, sockets, pipes, ...) and what
 * its live threads and goroutines are doing (running, futex wait, in read,
 * chan send, ...), read from
 * /proc while the target lives and from the creating call after it exited.
 */
#ifndef DETAILS_H
#define DETAILS_H

#include <stddef.h>
#include <stdint.h>

#include "leakscope.h"

enum detail {
	/* fds */
	DETAIL_FILE,
	DETAIL_SOCKET,
	DETAIL_PIPE,
	DETAIL_EVENTFD,
	DETAIL_TIMERFD,
	DETAIL_SIGNALFD,
	DETAIL_EPOLL,
	DETAIL_INOTIFY,
	DETAIL_MEMFD,
	DETAIL_PIDFD,
	DETAIL_OTHER_FD,
	/* threads */
	DETAIL_RUNNING,
	DETAIL_SLEEPING,
	DETAIL_FUTEX,
	DETAIL_READ,
	DETAIL_POLL,
	DETAIL_NANOSLEEP,
	DETAIL_OTHER_SYSCALL,
	DETAIL_STOPPED,
	/* goroutines (src/go_runtime.c) */
	DETAIL_GO_RUNNING,
	DETAIL_GO_RUNNABLE,
	DETAIL_GO_SYSCALL,
	DETAIL_CHAN_SEND,
	DETAIL_CHAN_RECEIVE,
	DETAIL_GO_SELECT,
	DETAIL_GO_IO_WAIT,
	DETAIL_GO_SLEEP,
	DETAIL_GO_WAITING,
	DETAIL_MAX,
};

struct details {
	uint32_t counts[DETAIL_MAX];
	char path[64]; /* the directory of the first file, as a hint */
};

/* What fd `fd` of `pid` is; the creating call `api` when /proc cannot say. */
enum detail details__classify_fd(int pid, uint64_t fd, enum ls_api api, char *path, size_t len);
/* What thread `tid` of `pid` is doing; DETAIL_MAX when it cannot be read. */
enum detail details__classify_thread(int pid, uint64_t tid);
/* What a thread blocked in system call `nr` is doing; -1: running. */
enum detail details__thread_in_syscall(long nr);
/* Folds `from` into `into`. */
void details__merge(struct details *into, const struct details *from);
/* "7 files /tmp/x/", "2 sockets, 1 pipe", "6 futex wait"; "" when empty. */
void details__format(const struct details *d, char *buf, size_t len);

#endif /* DETAILS_H */
