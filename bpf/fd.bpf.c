// SPDX-License-Identifier: GPL-2.0
/*
 * File descriptors: every system call that creates or closes one, seen at
 * its exit (so only successful calls count, and the fd is the result).
 * At sys_exit the saved user registers still hold the call's number
 * (orig_ax) and arguments, so no sys_enter program is needed.
 *
 * The stack is the one captured by the libc wrapper the program called
 * (open, socket, fopen, ... are probed like allocator functions, because
 * libc keeps no frame pointers) or, without one, a frame-pointer walk from
 * the system call's user registers.
 */
#include "call_state.bpf.h"
#include "goroutine.bpf.h"

/* x86_64 system call numbers */
enum {
	NR_open = 2,
	NR_close = 3,
	NR_pipe = 22,
	NR_dup = 32,
	NR_dup2 = 33,
	NR_socket = 41,
	NR_accept = 43,
	NR_recvmsg = 47,
	NR_socketpair = 53,
	NR_fcntl = 72,
	NR_creat = 85,
	NR_epoll_create = 213,
	NR_inotify_init = 253,
	NR_openat = 257,
	NR_signalfd = 282,
	NR_timerfd_create = 283,
	NR_eventfd = 284,
	NR_accept4 = 288,
	NR_signalfd4 = 289,
	NR_eventfd2 = 290,
	NR_epoll_create1 = 291,
	NR_dup3 = 292,
	NR_pipe2 = 293,
	NR_inotify_init1 = 294,
	NR_perf_event_open = 298,
	NR_fanotify_init = 300,
	NR_open_by_handle_at = 304,
	NR_memfd_create = 319,
	NR_userfaultfd = 323,
	NR_io_uring_setup = 425,
	NR_pidfd_open = 434,
	NR_close_range = 436,
	NR_openat2 = 437,
	NR_pidfd_getfd = 438,
};

#define F_DUPFD		    0
#define F_DUPFD_CLOEXEC	    1030
#define CLOSE_RANGE_CLOEXEC 4
#define SOL_SOCKET	    1
#define SCM_RIGHTS	    1
/* fds taken from one SCM_RIGHTS message; more are counted as dropped */
#define MAX_RIGHTS 32

/* The fd-creating call a system call number stands for, or LS_API_MAX. */
static __always_inline __u32 acquiring_api(long nr, long cmd)
{
	switch (nr) {
	case NR_open:
		return LS_API_OPEN;
	case NR_openat:
		return LS_API_OPENAT;
	case NR_openat2:
		return LS_API_OPENAT2;
	case NR_creat:
		return LS_API_CREAT;
	case NR_open_by_handle_at:
		return LS_API_OPEN_BY_HANDLE_AT;
	case NR_socket:
		return LS_API_SOCKET;
	case NR_accept:
		return LS_API_ACCEPT;
	case NR_accept4:
		return LS_API_ACCEPT4;
	case NR_dup:
		return LS_API_DUP;
	case NR_fcntl:
		return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? LS_API_FCNTL_DUPFD : LS_API_MAX;
	case NR_eventfd:
	case NR_eventfd2:
		return LS_API_EVENTFD;
	case NR_timerfd_create:
		return LS_API_TIMERFD_CREATE;
	case NR_signalfd:
	case NR_signalfd4:
		return LS_API_SIGNALFD;
	case NR_epoll_create:
	case NR_epoll_create1:
		return LS_API_EPOLL_CREATE;
	case NR_memfd_create:
		return LS_API_MEMFD_CREATE;
	case NR_inotify_init:
	case NR_inotify_init1:
		return LS_API_INOTIFY_INIT;
	case NR_fanotify_init:
		return LS_API_FANOTIFY_INIT;
	case NR_pidfd_open:
		return LS_API_PIDFD_OPEN;
	case NR_pidfd_getfd:
		return LS_API_PIDFD_GETFD;
	case NR_userfaultfd:
		return LS_API_USERFAULTFD;
	case NR_io_uring_setup:
		return LS_API_IO_URING_SETUP;
	case NR_perf_event_open:
		return LS_API_PERF_EVENT_OPEN;
	}
	return LS_API_MAX;
}

/* The calls handled below by number rather than through acquiring_api(). */
static __always_inline bool releasing_or_special(long nr)
{
	switch (nr) {
	case NR_close:
	case NR_close_range:
	case NR_pipe:
	case NR_pipe2:
	case NR_socketpair:
	case NR_recvmsg:
	case NR_dup2:
	case NR_dup3:
		return true;
	}
	return false;
}

/* Where the fds of this system call were created: the probed wrapper's
 * stack and name, or the call's own (Go code makes its system calls itself,
 * and its stack goes on with its goroutine's creator). */
static __always_inline void fd_site(struct pt_regs *regs, __u32 tgid, __u32 api,
				    struct ls_site *site)
{
	site->tgid = tgid;
	site->kind = LS_KIND_FD;
	site->stack_id = boundary_stack(LS_KIND_FD, regs->sp, &api);
	if (!site->stack_id)
		site->stack_id = capture_regs_stack(LS_KIND_FD, tgid, regs->ip, regs->sp, regs->bp,
						    goroutine_creator(regs->r14));
	site->api = api;
}

static __always_inline void fd_release(__u32 tgid, long fd)
{
	object_release(LS_KIND_FD, tgid, fd);
}

static __always_inline void acquire_one(struct pt_regs *regs, __u32 tgid, __u32 api, long fd)
{
	struct ls_site site;

	fd_site(regs, tgid, api, &site);
	object_acquire(fd, 0, &site);
}

/* dup2 and dup3 close newfd if it was open; about one leakscope did not see
 * opened it cannot tell whether one was open there at all, so it is not
 * counted as an unknown close. */
static __always_inline void fd_release_if_known(__u32 tgid, long fd)
{
	struct ls_object_key key = {.id = fd, .tgid = tgid, .kind = LS_KIND_FD};

	if (bpf_map_lookup_elem(&fd_objects, &key))
		fd_release(tgid, fd);
}

/* pipe, pipe2, socketpair: two fds written to user memory at `fds_ptr`. */
static __always_inline void acquire_pair(struct pt_regs *regs, __u32 tgid, __u32 api, __u64 fds_ptr)
{
	struct ls_site site;
	int fds[2];

	if (bpf_probe_read_user(fds, sizeof(fds), (void *)fds_ptr))
		return;
	fd_site(regs, tgid, api, &site);
	object_acquire(fds[0], 0, &site);
	object_acquire(fds[1], 0, &site);
}

/* A received message's control data, walked a control message at a time.
 * In a per-CPU map: the fds alone would take a quarter of the stack. */
struct rights_walk {
	struct ls_site site;
	__u64 control, len, off;
	struct user_msghdr msg;
	struct cmsghdr cm;
	int fds[MAX_RIGHTS];
};

SCRATCH_MAP(rights_scratch, struct rights_walk);

static __always_inline struct rights_walk *rights_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rights_scratch, &zero);
}

/* The k-th fd of the current SCM_RIGHTS message. One object_acquire()
 * for the verifier to check, not one per fd of an unrolled loop. */
static long acquire_right(__u64 k, void *unused)
{
	struct rights_walk *w = rights_state();

	if (!w)
		return 1;
	object_acquire(w->fds[k & (MAX_RIGHTS - 1)], 0, &w->site);
	return 0;
}

/* One control message of a received msghdr; 1 to stop. */
static long take_rights(__u64 i, void *unused)
{
	struct rights_walk *w = rights_state();
	__u64 n, bytes;

	if (!w || w->off + sizeof(w->cm) > w->len ||
	    bpf_probe_read_user(&w->cm, sizeof(w->cm), (void *)(w->control + w->off)))
		return 1;
	if (w->cm.cmsg_len < sizeof(w->cm) || w->off + w->cm.cmsg_len > w->len)
		return 1;
	if (w->cm.cmsg_level == SOL_SOCKET && w->cm.cmsg_type == SCM_RIGHTS) {
		n = (w->cm.cmsg_len - sizeof(w->cm)) / sizeof(int);
		if (n > MAX_RIGHTS) {
			count(LS_KIND_FD, CNT_OBJECTS_FULL);
			n = MAX_RIGHTS;
		}
		/* the mask only tells the verifier what the clamp above did */
		bytes = (n * sizeof(int)) & (sizeof(w->fds) - 1);
		if (n == MAX_RIGHTS)
			bytes = sizeof(w->fds);
		if (bpf_probe_read_user(w->fds, bytes,
					(void *)(w->control + w->off + sizeof(w->cm))))
			return 1;
		bpf_loop(n, acquire_right, NULL, 0);
	}
	w->off += (w->cm.cmsg_len + 7) & ~7ULL; /* CMSG_ALIGN */
	return 0;
}

/* recvmsg: the fds passed with SCM_RIGHTS, counted at the receiving stack. */
static __always_inline void acquire_rights(struct pt_regs *regs, __u32 tgid)
{
	struct rights_walk *w = rights_state();

	if (!w || bpf_probe_read_user(&w->msg, sizeof(w->msg), (void *)regs->si) ||
	    !w->msg.msg_control || w->msg.msg_controllen < sizeof(struct cmsghdr))
		return;
	w->control = (__u64)w->msg.msg_control;
	w->len = w->msg.msg_controllen;
	w->off = 0;
	fd_site(regs, tgid, LS_API_RECVMSG, &w->site);
	bpf_loop(4, take_rights, NULL, 0);
}

struct range_walk {
	__u32 tgid;
	__u32 first, last;
	struct task_struct *task; /* set: release only fds no longer open */
};

static __always_inline bool fd_is_open(struct task_struct *task, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f != NULL;
}

static long release_in_range(void *map, struct ls_object_key *key, struct ls_object *obj,
			     struct range_walk *w)
{
	if (key->tgid != w->tgid || key->id < w->first || key->id > w->last)
		return 0;
	if (w->task && fd_is_open(w->task, key->id))
		return 0;
	fd_release(w->tgid, key->id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fd_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	__u32 tgid, api;

	/* This runs at the end of every system call on the machine, uretprobe
	 * returns included: a few compares before any helper call. */
	if (ret < 0 || (acquiring_api(nr, regs->si) == LS_API_MAX && !releasing_or_special(nr)))
		return 0;
	tgid = current_tgid();
	if (!is_target(tgid))
		return 0;
	switch (nr) {
	case NR_close:
		fd_release(tgid, regs->di);
		return 0;
	case NR_close_range:
		if (!(regs->dx & CLOSE_RANGE_CLOEXEC)) {
			struct range_walk w = {.tgid = tgid, .first = regs->di, .last = regs->si};

			bpf_for_each_map_elem(&fd_objects, release_in_range, &w, 0);
		}
		return 0;
	case NR_pipe:
	case NR_pipe2:
		acquire_pair(regs, tgid, nr == NR_pipe ? LS_API_PIPE : LS_API_PIPE2, regs->di);
		return 0;
	case NR_socketpair:
		/* socketpair(domain, type, protocol, sv): the 4th argument is in r10 */
		acquire_pair(regs, tgid, LS_API_SOCKETPAIR, regs->r10);
		return 0;
	case NR_recvmsg:
		acquire_rights(regs, tgid);
		return 0;
	case NR_dup2:
	case NR_dup3:
		if (regs->di == regs->si)
			return 0; /* dup2(fd, fd) changes nothing */
		/* an fd open at newfd was closed first */
		fd_release_if_known(tgid, regs->si);
		api = nr == NR_dup2 ? LS_API_DUP2 : LS_API_DUP3;
		break;
	default:
		api = acquiring_api(nr, regs->si);
		if (api == LS_API_MAX)
			return 0;
	}
	acquire_one(regs, tgid, api, ret);
	return 0;
}

/* exec closed the target's close-on-exec fds. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(fd_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct range_walk w = {.tgid = current_tgid(), .first = 0, .last = ~0U};

	if (!is_target(w.tgid))
		return 0;
	w.task = bpf_get_current_task_btf();
	bpf_for_each_map_elem(&fd_objects, release_in_range, &w, 0);
	return 0;
}

/* A process's exit closes its fds, but that is no release: what it held
 * when it exited is what it leaked (valgrind --track-fds, LeakSanitizer and
 * goleak all report what is left at the end). They stay outstanding; -a
 * forgets them once a report has shown them. */
