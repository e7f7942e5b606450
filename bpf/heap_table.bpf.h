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

/* The slot of block `addr` of `tgid` in bucket `b`, or -1. */
static __always_inline int bucket_find(struct ls_heap_bucket *b, __u64 addr, __u32 tgid)
{
	int i;

	for (i = 0; i < HEAP_BUCKET_SLOTS; i++)
		if (b->slots[i].addr == addr && b->slots[i].tgid == tgid)
			return i;
	return -1;
}

/* Claims a free slot of bucket `b`: its index, or -1 when all are taken. */
static __always_inline int bucket_claim(struct ls_heap_bucket *b)
{
	int i;

	for (i = 0; i < HEAP_BUCKET_SLOTS; i++)
		if (b->slots[i].addr == HEAP_SLOT_FREE &&
		    __sync_val_compare_and_swap(&b->slots[i].addr, HEAP_SLOT_FREE,
						HEAP_SLOT_CLAIMED) == HEAP_SLOT_FREE)
			return i;
	return -1;
}

/* Frees slot `i` of `b` if it still holds `addr`: whoever frees it accounts
 * for it, so a racing double free counts once. */
static __always_inline bool slot_free(struct ls_heap_bucket *b, int i, __u64 addr)
{
	if (i < 0 || i >= HEAP_BUCKET_SLOTS)
		return false;
	return __sync_val_compare_and_swap(&b->slots[i].addr, addr, HEAP_SLOT_FREE) == addr;
}

/* Block `addr` of `tgid` is freed: true when it was in the table. */
static __always_inline bool heap_block_remove(__u64 addr, __u32 tgid)
{
	__u64 h = ls_heap_hash(addr, tgid);
	int j;

	for (j = 0; j <= HEAP_SPILL_BUCKETS; j++) {
		struct ls_heap_bucket *b = heap_bucket(h + j);
		int i;

		if (!b)
			return false;
		i = bucket_find(b, addr, tgid);
		if (i >= 0)
			return slot_free(b, i, addr);
		if (!b->spilled) /* nothing passed it by */
			return false;
	}
	return false;
}

/* Records `block` (its addr set): false when its buckets are all full. */
static __always_inline bool heap_block_add(const struct ls_heap_block *block)
{
	__u64 h = ls_heap_hash(block->addr, block->tgid);
	struct ls_heap_block *slot;
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
		slot = &b->slots[i];
		slot->stack_id = block->stack_id;
		slot->size = block->size;
		slot->tgid = block->tgid;
		slot->gen = block->gen;
		slot->count = block->count;
		slot->api = block->api;
		/* The address last: a reader that sees it sees the rest (x86
		 * keeps stores in order; the barrier keeps the compiler from
		 * moving them). */
		asm volatile("" ::: "memory");
		slot->addr = block->addr;
		return true;
	}
	return false;
}

#endif /* HEAP_TABLE_BPF_H */
