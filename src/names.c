// SPDX-License-Identifier: GPL-2.0
#include "names.h"

const char *kind__name(enum ls_kind kind)
{
	static const char *const names[LS_KIND_MAX] = {
	    [LS_KIND_HEAP] = "heap",	   [LS_KIND_FD] = "fd",
	    [LS_KIND_THREAD] = "thread",   [LS_KIND_GOROUTINE] = "goroutine",
	    [LS_KIND_GO_HEAP] = "go-heap",
	};

	return kind < LS_KIND_MAX ? names[kind] : "?";
}

const char *api__name(enum ls_api api)
{
	static const char *const names[LS_API_MAX] = {
	    [LS_API_MALLOC] = "malloc",
	    [LS_API_CALLOC] = "calloc",
	    [LS_API_REALLOC] = "realloc",
	    [LS_API_REALLOCARRAY] = "reallocarray",
	    [LS_API_ALIGNED_ALLOC] = "aligned_alloc",
	    [LS_API_POSIX_MEMALIGN] = "posix_memalign",
	    [LS_API_MEMALIGN] = "memalign",
	    [LS_API_VALLOC] = "valloc",
	    [LS_API_PVALLOC] = "pvalloc",
	    [LS_API_STRDUP] = "strdup",
	    [LS_API_STRNDUP] = "strndup",
	    [LS_API_NEW] = "operator new",
	    [LS_API_NEW_ARRAY] = "operator new[]",
	    [LS_API_FREE] = "free",
	    [LS_API_DELETE] = "operator delete",
	    [LS_API_DELETE_ARRAY] = "operator delete[]",
	    [LS_API_OPEN] = "open",
	    [LS_API_OPENAT] = "openat",
	    [LS_API_OPENAT2] = "openat2",
	    [LS_API_CREAT] = "creat",
	    [LS_API_OPEN_BY_HANDLE_AT] = "open_by_handle_at",
	    [LS_API_FOPEN] = "fopen",
	    [LS_API_FREOPEN] = "freopen",
	    [LS_API_OPENDIR] = "opendir",
	    [LS_API_TMPFILE] = "tmpfile",
	    [LS_API_POPEN] = "popen",
	    [LS_API_SOCKET] = "socket",
	    [LS_API_SOCKETPAIR] = "socketpair",
	    [LS_API_ACCEPT] = "accept",
	    [LS_API_ACCEPT4] = "accept4",
	    [LS_API_PIPE] = "pipe",
	    [LS_API_PIPE2] = "pipe2",
	    [LS_API_DUP] = "dup",
	    [LS_API_DUP2] = "dup2",
	    [LS_API_DUP3] = "dup3",
	    [LS_API_FCNTL_DUPFD] = "fcntl(F_DUPFD)",
	    [LS_API_EVENTFD] = "eventfd",
	    [LS_API_TIMERFD_CREATE] = "timerfd_create",
	    [LS_API_SIGNALFD] = "signalfd",
	    [LS_API_EPOLL_CREATE] = "epoll_create",
	    [LS_API_MEMFD_CREATE] = "memfd_create",
	    [LS_API_INOTIFY_INIT] = "inotify_init",
	    [LS_API_FANOTIFY_INIT] = "fanotify_init",
	    [LS_API_PIDFD_OPEN] = "pidfd_open",
	    [LS_API_PIDFD_GETFD] = "pidfd_getfd",
	    [LS_API_USERFAULTFD] = "userfaultfd",
	    [LS_API_IO_URING_SETUP] = "io_uring_setup",
	    [LS_API_PERF_EVENT_OPEN] = "perf_event_open",
	    [LS_API_RECVMSG] = "recvmsg(SCM_RIGHTS)",
	    [LS_API_PTHREAD_CREATE] = "pthread_create",
	    [LS_API_CLONE] = "clone",
	    [LS_API_GO_NEWPROC] = "runtime.newproc",
	    [LS_API_GO_MALLOC] = "runtime.mallocgc",
	};

	return api < LS_API_MAX && names[api] ? names[api] : "?";
}
