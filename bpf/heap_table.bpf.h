/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The outstanding heap blocks (struct ls_heap_bucket in leakscope.h): a
 * table of fixed buckets in an array map, updated in place. Lookups are
 * inlined array accesses and a slot is claimed with one compare-and-swap,
 * where a hash map would take a bucket lock and allocate or free an element
 * for every block. Per-stack totals are not kept here: userspace adds the
 * table up when it reports (src/heap_table.c).
 */
#ifndef HEAP_TABLE_BPF_H
#define HEAP_TABLE_BPF_H

#include "common.bpf.h"

/* Buckets - 1, a power of two minus one; set by userspace before load. */
const volatile __u32 heap_bucket_mask = 0;

/* tgid -> the image (ls_heap_block.image) of a traced process that exec'd:
 * its blocks of other images are gone, and userspace drops them from the
 * table when it next reads it (a walk of the table at each exec would cost
 * ~10 ms). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u16);
} heap_images SEC(".maps");

/* The image `task` runs: bumped by every exec, and shared by the threads it
 * then starts. */
static __always_inline __u16 task_image(struct task_struct *task)
{
	return task->self_exec_id;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* scanned by userspace a window at a time */
	__uint(max_entries, 1);		   /* set by userspace */
	__type(key, __u32);
	__type(value, struct ls_heap_bucket);
} heap_blocks SEC(".maps");

static __always_inline struct ls_heap_bucket *heap_bucket(__u64 h)
{
	__u32 i = h & heap_bucket_mask;

	return bpf_map_lookup_elem(&heap_blocks, &i);
}

/*
 * --sample: how many recorded blocks each home bucket has, 16 bits each, two
 * to a word. Most frees are then of blocks never recorded, and a random
 * bucket of a table of many MiB is a cache and TLB miss (~0.2 us here): this
 * map, 1/300th of the table, tells them apart without touching it. Blocks
 * dropped with their process (exec, exit) leave their homes counted: a free
 * there reads the bucket, as without the counts.
 */
const volatile bool heap_count_homes = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* buckets / 2, set by userspace */
	__type(key, __u32);
	__type(value, __u32);
} heap_homes SEC(".maps");

/* The word holding home `h`'s count, and the count's shift in it. */
static __always_inline __u32 *home_count(__u64 h, __u32 *shift)
{
	__u32 i = h & heap_bucket_mask;

	*shift = (i & 1) * 16;
	i >>= 1;
	return bpf_map_lookup_elem(&heap_homes, &i);
}

/* Adds `delta` (+1 or -1) to home `h`'s count, when homes are counted. */
static __always_inline void home_count_add(__u64 h, int delta)
{
	__u32 shift, *w;

	if (!heap_count_homes)
		return;
	w = home_count(h, &shift);
	/* mod 2^32: the other half is left alone while this one is >= 1 */
	if (w)
		__sync_fetch_and_add(w, (__u32)delta << shift);
}

/* The slot of block `addr` of `tgid` in bucket `b`, or -1. */
static __always_inline int bucket_find(struct ls_heap_bucket *b, __u64 addr, __u32 tgid)
{
	int i;

	for (i = 0; i < HEAP_BUCKET_SLOTS; i++)
		if (b->addr[i] == addr && b->blocks[i].tgid == tgid)
			return i;
	return -1;
}

/* Claims a free slot of bucket `b`: its index, or -1 when all are taken. */
static __always_inline int bucket_claim(struct ls_heap_bucket *b)
{
	int i;

	for (i = 0; i < HEAP_BUCKET_SLOTS; i++)
		if (b->addr[i] == HEAP_SLOT_FREE &&
		    __sync_val_compare_and_swap(&b->addr[i], HEAP_SLOT_FREE, HEAP_SLOT_CLAIMED) ==
			HEAP_SLOT_FREE)
			return i;
	return -1;
}

/* Frees slot `i` of `b` if it still holds `addr`: whoever frees it accounts
 * for it, so a racing double free counts once. */
static __always_inline bool slot_free(struct ls_heap_bucket *b, int i, __u64 addr)
{
	if (i < 0 || i >= HEAP_BUCKET_SLOTS)
		return false;
	return __sync_val_compare_and_swap(&b->addr[i], addr, HEAP_SLOT_FREE) == addr;
}

/* True when the home counts say home `h` holds no recorded block. */
static __always_inline bool home_empty(__u64 h)
{
	__u32 shift, *w;

	if (!heap_count_homes)
		return false;
	w = home_count(h, &shift);
	return w && !((*w >> shift) & 0xffff);
}

/* True when the home counts say block `addr` of `tgid` is not in the
 * table: nothing recorded from its home bucket. */
static __always_inline bool heap_block_surely_absent(__u64 addr, __u32 tgid)
{
	return home_empty(ls_heap_hash(addr, tgid));
}

/* Block `addr` of `tgid` is freed: true when it was in the table. */
static __always_inline bool heap_block_remove(__u64 addr, __u32 tgid)
{
	__u64 h = ls_heap_hash(addr, tgid);
	int j;

	if (home_empty(h))
		return false;
	for (j = 0; j <= HEAP_SPILL_BUCKETS; j++) {
		struct ls_heap_bucket *b = heap_bucket(h + j);
		int i;

		if (!b)
			return false;
		i = bucket_find(b, addr, tgid);
		if (i >= 0) {
			if (!slot_free(b, i, addr))
				return false;
			home_count_add(h, -1);
			return true;
		}
		if (!b->spilled) /* nothing passed it by */
			return false;
	}
	return false;
}

/* Records block `addr`: false when its buckets are all full. */
static __always_inline bool heap_block_add(__u64 addr, const struct ls_heap_block *block)
{
	__u64 h = ls_heap_hash(addr, block->tgid);
	int j;

	for (j = 0; j <= HEAP_SPILL_BUCKETS; j++) {
		struct ls_heap_bucket *b = heap_bucket(h + j);
		int i;

		if (!b)
			return false;
		i = bucket_claim(b);
		if (i < 0 || i >= HEAP_BUCKET_SLOTS) {
			if (!b->spilled)
				b->spilled = 1;
			continue;
		}
		b->blocks[i] = *block;
		/* The address last: a reader that sees it sees the rest (x86
		 * keeps stores in order; the barrier keeps the compiler from
		 * moving them). */
		asm volatile("" ::: "memory");
		b->addr[i] = addr;
		home_count_add(h, 1);
		return true;
	}
	return false;
}

#endif /* HEAP_TABLE_BPF_H */
