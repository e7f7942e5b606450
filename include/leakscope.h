/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF programs and userspace: the one definition of every
 * map key and value. The BPF side includes vmlinux.h first, userspace gets the
 * same fixed-width types from <linux/types.h>.
 */
#ifndef LEAKSCOPE_H
#define LEAKSCOPE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Frames kept per stack; the walk stops earlier at the outermost frame. */
#define MAX_STACK_DEPTH 64

/* Outstanding objects are bucketed by age in "generations" of 2^30 ns (~1.07 s)
 * of CLOCK_MONOTONIC, so a report gets ages from the per-stack map alone. */
#define GEN_SHIFT 30

/* What kind of resource an outstanding object is. */
enum ls_kind {
	LS_KIND_HEAP = 0,  /* heap blocks, by address */
	LS_KIND_FD,	   /* file descriptors, by number */
	LS_KIND_THREAD,	   /* threads, by tid */
	LS_KIND_GOROUTINE, /* goroutines, by g pointer */
	LS_KIND_GO_HEAP,   /* sampled Go heap objects, by address */
	LS_KIND_TIMER,	   /* live Go runtime timers, by *runtime.timer */
	LS_KIND_KMEM,	   /* kernel allocations, by address (pages: struct page) */
	LS_KIND_MMAP,	   /* memory mappings, by range (userspace keeps them) */
	LS_KIND_GROWTH,	   /* -a: anonymous memory first touched, sampled page faults */
	LS_KIND_MAX,
};

/* The function a program called to acquire the object: the leaf frame of a
 * report. Names in src/names.c. For fds and threads it is the probed libc
 * wrapper the program called, or else the system call. */
enum ls_api {
	LS_API_MALLOC = 0,
	LS_API_CALLOC,
	LS_API_REALLOC,
	LS_API_REALLOCARRAY,
	LS_API_ALIGNED_ALLOC,
	LS_API_POSIX_MEMALIGN,
	LS_API_MEMALIGN,
	LS_API_VALLOC,
	LS_API_PVALLOC,
	LS_API_STRDUP,
	LS_API_STRNDUP,
	LS_API_NEW,
	LS_API_NEW_ARRAY,
	LS_API_FREE,
	LS_API_DELETE,
	LS_API_DELETE_ARRAY,
	/* file descriptors */
	LS_API_OPEN,
	LS_API_OPENAT,
	LS_API_OPENAT2,
	LS_API_CREAT,
	LS_API_OPEN_BY_HANDLE_AT,
	LS_API_FOPEN,
	LS_API_FREOPEN,
	LS_API_OPENDIR,
	LS_API_TMPFILE,
	LS_API_POPEN,
	LS_API_SOCKET,
	LS_API_SOCKETPAIR,
	LS_API_ACCEPT,
	LS_API_ACCEPT4,
	LS_API_PIPE,
	LS_API_PIPE2,
	LS_API_DUP,
	LS_API_DUP2,
	LS_API_DUP3,
	LS_API_FCNTL_DUPFD,
	LS_API_EVENTFD,
	LS_API_TIMERFD_CREATE,
	LS_API_SIGNALFD,
	LS_API_EPOLL_CREATE,
	LS_API_MEMFD_CREATE,
	LS_API_INOTIFY_INIT,
	LS_API_FANOTIFY_INIT,
	LS_API_PIDFD_OPEN,
	LS_API_PIDFD_GETFD,
	LS_API_USERFAULTFD,
	LS_API_IO_URING_SETUP,
	LS_API_PERF_EVENT_OPEN,
	LS_API_RECVMSG, /* fds received with SCM_RIGHTS */
	/* threads */
	LS_API_PTHREAD_CREATE,
	LS_API_CLONE,
	/* Go: the `go` statement calls runtime.newproc; sampled Go heap
	 * allocations are made by runtime.mallocgc */
	LS_API_GO_NEWPROC,
	LS_API_GO_MALLOC,
	/* Go timers: started (time.NewTimer...), restarted (Reset, time.Sleep) */
	LS_API_GO_ADDTIMER,
	LS_API_GO_MODTIMER,
	/* kernel allocations: the tracepoint's allocator */
	LS_API_KMALLOC,
	LS_API_KMEM_CACHE_ALLOC,
	LS_API_PAGE_ALLOC,
	LS_API_PERCPU_ALLOC,
	/* memory mappings; _ALLOCATOR: made inside a probed allocator call */
	LS_API_MMAP,
	LS_API_MREMAP,
	LS_API_BRK,
	LS_API_MMAP_ALLOCATOR,
	LS_API_BRK_ALLOCATOR,
	LS_API_PAGE_FAULT, /* growth: the fault that touched new memory */
	LS_API_MAX,
};

/* What a heap probe's program does, and for an allocating function where
 * its arguments are (the order of the registers they are passed in). */
enum heap_prog {
	PROG_ALLOC,	     /* (size) */
	PROG_ALLOC_ALIGNED,  /* (alignment, size) */
	PROG_CALLOC,	     /* (nmemb, size) */
	PROG_REALLOC,	     /* (ptr, size) */
	PROG_REALLOCARRAY,   /* (ptr, nmemb, size) */
	PROG_POSIX_MEMALIGN, /* (memptr, alignment, size) */
	PROG_WRAPPER,	     /* allocates through malloc: stack only */
	PROG_FREE,	     /* (ptr, ...) */
};

/*
 * The attach cookie of every heap uprobe: which API it is, how far the
 * probed instruction's stack pointer sits below the one at function entry
 * (non-zero when placement moved the probe past pushes), its heap_prog, and
 * whether it is a leaf: a function known to call no other probed function,
 * whose return need not be seen when it records nothing.
 */
#define COOKIE_API_MASK	  0xffULL
#define COOKIE_SP_SHIFT	  8
#define COOKIE_SP_MASK	  0xffULL
#define COOKIE_PROG_SHIFT 16
#define COOKIE_PROG_MASK  0xffULL
#define COOKIE_LEAF	  (1ULL << 24)
#define COOKIE(api, sp_delta, prog, leaf)                                                          \
	((__u64)(api) | ((__u64)(sp_delta) << COOKIE_SP_SHIFT) |                                   \
	 ((__u64)(prog) << COOKIE_PROG_SHIFT) | ((leaf) ? COOKIE_LEAF : 0))

/* Counters of everything that can go wrong or be dropped, one set per kind:
 * the counters map holds LS_KIND_MAX * CNT_MAX of them, kind-major. */
enum ls_counter {
	CNT_ACQUIRED = 0,     /* acquisitions recorded */
	CNT_RELEASED,	      /* releases of recorded objects */
	CNT_UNKNOWN_RELEASES, /* releases of objects never seen acquired */
	CNT_OBJECTS_FULL,     /* acquisitions dropped: object map full */
	CNT_TOTALS_FULL,      /* acquisitions dropped: per-stack map full */
	CNT_STACKS_FULL,      /* stacks lost: stack map full */
	CNT_STACKS_EMPTY,     /* stacks lost: not even one frame readable */
	CNT_STACKS_TRUNCATED, /* stacks cut at MAX_STACK_DEPTH */
	CNT_STATE_FULL,	      /* per-thread state unavailable */
	CNT_NESTED,	      /* inner allocator calls folded into their caller */
	CNT_UNSAMPLED,	      /* --sample: acquisitions passed over */
	CNT_STACKS_COMPLETE,  /* stacks walked to the thread's first frame */
	CNT_STACKS_CUT,	      /* stacks cut short: no rule, no frame pointer, bad read */
	CNT_STACKS_RECALLED,  /* of the stacks above, those not walked again: the
			       * words an earlier walk read were unchanged */
	CNT_MAX,
};

/* Identity of one row of a report, without its age. */
struct ls_site {
	__u64 stack_id; /* key into the stacks map; 0 = stack lost */
	__u32 tgid;
	__u16 kind; /* enum ls_kind */
	__u16 api;  /* enum ls_api */
};

/* Key of the per-stack totals map: a site and the generation of its objects. */
struct ls_totals_key {
	struct ls_site site;
	__u32 gen; /* allocation time >> GEN_SHIFT */
	__u32 pad;
};

struct ls_totals {
	__s64 bytes;
	__s64 count;
};

/* Key of the outstanding-objects map, shared by all kinds. */
struct ls_object_key {
	__u64 id; /* heap, go-heap: address; fd: number; thread: tid; goroutine: g */
	__u32 tgid;
	__u32 kind; /* enum ls_kind */
};

struct ls_object {
	struct ls_totals_key where; /* the totals entry this object is counted in */
	__u64 size;		    /* bytes it holds, 0 when it holds none */
};

/*
 * Outstanding heap blocks live in a table of buckets that BPF updates in
 * place, not in a hash map: an insert and a delete there cost ~0.2 us each,
 * a slot a few ns. Userspace adds the table up into per-stack totals when it
 * reports. A block goes in its address's home bucket or, when that is full,
 * one of the next HEAP_SPILL_BUCKETS; a bucket passed over is marked, so a
 * lookup goes on past it.
 */
#define HEAP_BUCKET_SLOTS  15
#define HEAP_SPILL_BUCKETS 4
#define HEAP_SLOT_FREE	   0ULL
#define HEAP_SLOT_CLAIMED  1ULL /* being filled: no block has address 1 */

/* What a heap block is, but for its address. */
struct ls_heap_block {
	__u64 stack_id;
	__u64 size; /* bytes it stands for */
	__u32 tgid;
	__u32 gen;   /* allocation time >> GEN_SHIFT */
	__u32 count; /* blocks it stands for: 1, more with --sample */
	__u16 api;   /* enum ls_api */
	__u16 image; /* the exec it belongs to: low bits of the task's self_exec_id */
};

/* The addresses apart from the rest: a lookup reads two cache lines of
 * them, not the whole bucket (a free of an unrecorded block under --sample
 * lands in a bucket nothing else touched lately). */
struct ls_heap_bucket {
	__u32 spilled; /* a block went on to a later bucket: it was full */
	__u32 pad;
	__u64 addr[HEAP_BUCKET_SLOTS]; /* HEAP_SLOT_FREE, HEAP_SLOT_CLAIMED or the block's */
	struct ls_heap_block blocks[HEAP_BUCKET_SLOTS];
};

/* The home bucket of block `addr` of process `tgid`, masked by the table's
 * size. */
static inline __u64 ls_heap_hash(__u64 addr, __u32 tgid)
{
	__u64 h = (addr ^ ((__u64)tgid << 47)) * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 31);
}

struct ls_stack {
	__u64 ips[MAX_STACK_DEPTH]; /* return addresses, innermost first, ended
				     * by a 0 unless all are used */
};

/* Ring buffer events: rare things userspace must act on. */
enum ls_event_type {
	LS_EVENT_NEW_PROCESS = 1, /* --follow-forks: a traced process forked */
	LS_EVENT_EXEC,		  /* a traced process exec'd a new image */
	LS_EVENT_MAPPED,	  /* a traced process mapped code from a file */
};

struct ls_event {
	__u32 type;
	__u32 pid;
	__u32 parent;
	__u32 pad;
};

/* LS_EVENT_MAPPED: where a file's code went, so the mapping is known even
 * when the process exits before its maps are read. */
struct ls_map_event {
	struct ls_event head;
	__u64 start, len, offset; /* the mmap's result, length, file offset */
	__u64 ino;
	__u32 dev_major, dev_minor;
};

/*
 * A Go process's runtime layout, what bpf/go.bpf.c reads that differs by Go
 * version: in the go_layouts map, by tgid (userspace writes each traced Go
 * process's from its table, src/go_versions.c), as -a traces Go processes
 * of different versions at once.
 */
struct ls_go_layout {
	__u32 sched_sp, sched_bp; /* runtime.g: sched.sp, sched.bp */
	__u32 creator_skip;	  /* frames of runtime.systemstack's own (1.21+) */
	__u32 special_kind;	  /* runtime.special: its kind byte */
	__u32 special_profile;	  /* _KindSpecialProfile */
	__u32 malloc_mp_first;	  /* mProf_Malloc(mp, p, size) (1.23+), not (p, size) */
};

_Static_assert(sizeof(struct ls_site) == 16, "ls_site layout");
_Static_assert(sizeof(struct ls_map_event) == 56, "ls_map_event layout");
_Static_assert(sizeof(struct ls_totals_key) == 24, "ls_totals_key layout");
_Static_assert(sizeof(struct ls_totals) == 16, "ls_totals layout");
_Static_assert(sizeof(struct ls_object_key) == 16, "ls_object_key layout");
_Static_assert(sizeof(struct ls_object) == 32, "ls_object layout");
_Static_assert(sizeof(struct ls_heap_block) == 32, "ls_heap_block layout");
_Static_assert(sizeof(struct ls_heap_bucket) == 608, "ls_heap_bucket layout");
_Static_assert(sizeof(struct ls_go_layout) == 24, "ls_go_layout layout");

#endif /* LEAKSCOPE_H */
