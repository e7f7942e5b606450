/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and helpers that every kind's programs share: per-stack totals, the
 * counters, the outstanding objects, the traced processes. Stacks are taken
 * with stack.bpf.h. The maps are __weak so that each .bpf.c file can include
 * this header and `bpftool gen object` links them into one.
 */
#ifndef COMMON_BPF_H
#define COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leakscope.h"

/* errno values the map helpers return (no libc headers in BPF) */
#define E2BIG  7
#define EEXIST 17
#define EBUSY  16

/* Sizes are defaults: userspace sets them with bpf_map__set_max_entries(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct ls_totals_key);
	__type(value, struct ls_totals);
} totals SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_KIND_MAX *CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps") __weak;

/* Outstanding objects of the kinds other than heap blocks (those are in
 * heap_table.bpf.h), one map per kind so that a report can list a
 * process's fds without walking its threads. */
#define OBJECT_MAP(name, size)                                                                     \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__uint(max_entries, size);                                                         \
		__type(key, struct ls_object_key);                                                 \
		__type(value, struct ls_object);                                                   \
	} name SEC(".maps") __weak

OBJECT_MAP(fd_objects, 65536);
OBJECT_MAP(thread_objects, 65536);
/* Live goroutines (bpf/go.bpf.c; goroutine.bpf.h reads their stacks) */
OBJECT_MAP(goroutine_objects, 65536);
/* Sampled Go heap objects (bpf/go.bpf.c) */
OBJECT_MAP(go_heap_objects, 1 << 20);
/* Live Go runtime timers (bpf/timer.bpf.c) */
OBJECT_MAP(timer_objects, 65536);

/* Processes traced by the tracepoint programs (which see every process):
 * tgid -> 1. Userspace adds the target; --follow-forks adds its children. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps") __weak;

/* One value per CPU to work in: what is too big for the 512-byte BPF stack. */
#define SCRATCH_MAP(name, value_type)                                                              \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, value_type);                                                         \
	} name SEC(".maps") __weak

/* The top of user space with 5-level page tables; anything above is not a
 * user address whatever the paging mode. */
#define MAX_USER_ADDR 0x00ffffffffffffffULL

static __always_inline void count(enum ls_kind kind, enum ls_counter c)
{
	__u32 key = kind * CNT_MAX + c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		*v += 1; /* per-CPU: no atomic needed */
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u64 hash_mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/*
 * The per-stack totals entry of `site` for objects acquired now, created if
 * needed; NULL (and counted) when the map is full.
 */
static __always_inline struct ls_totals *totals_for(struct ls_totals_key *key)
{
	struct ls_totals zero = {};
	struct ls_totals *t;

	key->gen = bpf_ktime_get_ns() >> GEN_SHIFT;
	key->pad = 0;
	t = bpf_map_lookup_elem(&totals, key);
	if (t)
		return t;
	/* -EEXIST means another CPU created it first: fine. */
	bpf_map_update_elem(&totals, key, &zero, BPF_NOEXIST);
	t = bpf_map_lookup_elem(&totals, key);
	if (!t)
		count(key->site.kind, CNT_TOTALS_FULL);
	return t;
}

static __always_inline void totals_sub(const struct ls_totals_key *key, __u64 bytes, __u64 n)
{
	struct ls_totals *t = bpf_map_lookup_elem(&totals, key);

	if (!t)
		return;
	__sync_fetch_and_sub(&t->bytes, bytes);
	__sync_fetch_and_sub(&t->count, n);
}

/*
 * -a/--all (host mode): every process but leakscope itself is traced, or
 * only those of one cgroup v2 (--cgroup) or with one comm (--comm); set by
 * userspace before load. The uprobes then fire in every process that maps
 * the probed files: this is their filter too (enter(), heap_free).
 */
const volatile bool host_mode __weak = false;
const volatile __u32 self_tgid __weak = 0;
const volatile __u64 host_cgroup __weak = 0;
const volatile char host_comm[16] __weak = {};

/* For the current task, whose process is `tgid`. */
static __always_inline bool in_host_scope(__u32 tgid)
{
	struct task_struct *leader;
	char comm[16];
	int i;

	if (tgid == self_tgid)
		return false;
	if (host_cgroup && bpf_get_current_cgroup_id() != host_cgroup)
		return false;
	if (!host_comm[0])
		return true;
	/* the process's name: its threads may have named themselves */
	leader = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), group_leader);
	if (bpf_probe_read_kernel_str(comm, sizeof(comm), &leader->comm) < 0)
		return false;
	for (i = 0; i < 16; i++) {
		if (comm[i] != host_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline bool is_target(__u32 tgid)
{
	if (host_mode)
		return in_host_scope(tgid);
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* The map of a kind's outstanding objects (heap blocks are elsewhere). */
static __always_inline void *object_map(enum ls_kind kind)
{
	switch (kind) {
	case LS_KIND_FD:
		return &fd_objects;
	case LS_KIND_THREAD:
		return &thread_objects;
	case LS_KIND_GOROUTINE:
		return &goroutine_objects;
	case LS_KIND_GO_HEAP:
		return &go_heap_objects;
	case LS_KIND_TIMER:
		return &timer_objects;
	default:
		return NULL;
	}
}

/*
 * Object `id` of process (kind_tgid & 0xffffffff), of kind (kind_tgid >>
 * 32), goes away: its totals entry gives back what it held. A global
 * function, as object_acquired(): checked once, and its frame not added to
 * the stack walk's.
 */
__noinline __weak int object_released(__u64 kind_tgid, __u64 id)
{
	enum ls_kind kind = kind_tgid >> 32;
	struct ls_object_key key = {.id = id, .tgid = (__u32)kind_tgid, .kind = kind};
	void *objects = object_map(kind);
	struct ls_object *found = objects ? bpf_map_lookup_elem(objects, &key) : NULL;
	struct ls_object obj;

	if (!found) {
		count(kind, CNT_UNKNOWN_RELEASES);
		return 0;
	}
	obj = *found;
	/* Whoever deletes it accounts for it, so a racing double release
	 * counts once. */
	if (bpf_map_delete_elem(objects, &key))
		return 0;
	totals_sub(&obj.where, obj.size, 1);
	count(kind, CNT_RELEASED);
	return 0;
}

static __always_inline void object_release(enum ls_kind kind, __u32 tgid, __u64 id)
{
	object_released((__u64)kind << 32 | tgid, id);
}

/* Object `id` of `size` bytes is acquired at the site (stack_id, and
 * tgid << 32 | kind << 16 | api, as struct ls_site), now. */
__noinline __weak int object_acquired(__u64 id, __u64 size, __u64 stack_id, __u64 who)
{
	struct ls_object obj = {.where.site = {.stack_id = stack_id,
					       .tgid = who >> 32,
					       .kind = (__u16)(who >> 16),
					       .api = (__u16)who},
				.size = size};
	struct ls_object_key key = {.id = id, .tgid = who >> 32, .kind = (__u16)(who >> 16)};
	void *objects = object_map(key.kind);
	struct ls_totals *t;
	long err;

	if (!objects)
		return 0;
	t = totals_for(&obj.where);
	if (!t)
		return 0;
	err = bpf_map_update_elem(objects, &key, &obj, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* Handed out again while we think it is live: its release was
		 * missed (an unprobed path). Retire the old one first. */
		object_release(key.kind, key.tgid, id);
		err = bpf_map_update_elem(objects, &key, &obj, BPF_NOEXIST);
	}
	if (err) {
		count(key.kind, CNT_OBJECTS_FULL);
		return 0;
	}
	__sync_fetch_and_add(&t->bytes, size);
	__sync_fetch_and_add(&t->count, 1);
	count(key.kind, CNT_ACQUIRED);
	return 0;
}

static __always_inline void object_acquire(__u64 id, __u64 size, const struct ls_site *site)
{
	object_acquired(id, size, site->stack_id,
			(__u64)site->tgid << 32 | (__u64)site->kind << 16 | site->api);
}

#endif /* COMMON_BPF_H */
