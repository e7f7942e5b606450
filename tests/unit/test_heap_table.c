// SPDX-License-Identifier: GPL-2.0
/*
 * The heap blocks table as userspace reads it (src/heap_table.c): a real BPF
 * array map filled the way bpf/heap_table.bpf.h fills it, added up into
 * per-site totals across mapping windows and pages, and processes
 * forgotten. Needs root (it creates a map).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "check.h"
#include "heap_table.h"
#include "util.h"

#define BUCKETS 8192 /* two scan windows; buckets straddle pages */

static void put(int fd, uint32_t bucket, int slot, uint64_t addr, const struct ls_heap_block *block)
{
	struct ls_heap_bucket b;

	CHECK(bpf_map_lookup_elem(fd, &bucket, &b) == 0);
	b.addr[slot] = addr;
	b.blocks[slot] = *block;
	CHECK(bpf_map_update_elem(fd, &bucket, &b, BPF_ANY) == 0);
}

static const struct totals_entry *find(const struct totals_entry *v, size_t n, uint32_t tgid,
				       uint64_t stack_id, uint32_t gen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].key.site.tgid == tgid && v[i].key.site.stack_id == stack_id &&
		    v[i].key.gen == gen)
			return &v[i];
	return NULL;
}

static void test_buckets(void)
{
	CHECK_U64(heap_table__buckets(1), 1);
	CHECK_U64(heap_table__buckets(20), 4);
	CHECK_U64(heap_table__buckets(1 << 20), 131072);
	CHECK_U64(heap_table__buckets((1 << 20) + 1), 262144);
}

static void test_totals_and_forget(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	/* no name: libbpf would probe for map names with a program load, whose
	 * unused attribute bytes Valgrind reports */
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, sizeof(uint32_t),
				sizeof(struct ls_heap_bucket), BUCKETS, &opts);
	struct heap_table t = {.fd = fd, .buckets = BUCKETS, .images_fd = -1};
	struct ls_heap_block a = {
	    .stack_id = 7, .size = 100, .tgid = 10, .gen = 5, .count = 1, .api = LS_API_MALLOC};
	struct ls_heap_block b = a, c = a, d = a;
	const struct totals_entry *e;
	struct totals_entry *v;
	struct ls_heap_bucket back;
	uint32_t gone = 11, last = BUCKETS - 1;
	size_t n;

	if (!CHECK(fd >= 0)) {
		fprintf(stderr, "\tbpf_map_create: %s\n", strerror(errno));
		return;
	}
	b.size = 50;				  /* same site and age as a */
	c.gen = 6, c.size = 4096, c.count = 8;	  /* a sample of 8 */
	d.tgid = 11, d.stack_id = 9, d.size = 24; /* another process, a's address */
	put(fd, 0, 0, 0x1000, &a);
	put(fd, 4095, 14, 0x2000, &b); /* the last slot of the first window */
	put(fd, 4096, 3, 0x3000, &c);  /* the first bucket of the second */
	put(fd, 6000, 7, 0x1000, &d);
	put(fd, last, 2, HEAP_SLOT_CLAIMED, &a); /* being filled: not a block yet */

	CHECK(heap_table__totals(&t, &v, &n, NULL) == 0);
	CHECK_U64(n, 3);
	e = find(v, n, 10, 7, 5);
	if (CHECK(e)) {
		CHECK_U64(e->val.bytes, 150);
		CHECK_U64(e->val.count, 2);
		CHECK_U64(e->key.site.kind, LS_KIND_HEAP);
		CHECK_U64(e->key.site.api, LS_API_MALLOC);
	}
	e = find(v, n, 10, 7, 6);
	if (CHECK(e)) {
		CHECK_U64(e->val.bytes, 4096);
		CHECK_U64(e->val.count, 8);
	}
	e = find(v, n, 11, 9, 5);
	if (CHECK(e))
		CHECK_U64(e->val.bytes, 24);
	free(v);

	heap_table__forget(&t, &gone, 1);
	CHECK(heap_table__totals(&t, &v, &n, NULL) == 0);
	CHECK_U64(n, 2);
	CHECK(!find(v, n, 11, 9, 5));
	free(v);
	CHECK(bpf_map_lookup_elem(fd, &(uint32_t){6000}, &back) == 0);
	CHECK_U64(back.addr[7], HEAP_SLOT_FREE);
	CHECK(bpf_map_lookup_elem(fd, &last, &back) == 0);
	CHECK_U64(back.addr[2], HEAP_SLOT_CLAIMED); /* left to its writer */

	/* Process 10 exec'd into image 3: its blocks of image 0 (a, b) are
	 * gone, c (allocated under image 3) stays. */
	{
		int images = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, sizeof(uint32_t),
					    sizeof(uint16_t), 16, NULL);
		uint32_t tgid = 10;
		uint16_t image = 3;
		size_t stale = 0;

		c.image = 3;
		put(fd, 4096, 3, 0x3000, &c);
		t.images_fd = images;
		CHECK(images >= 0 && bpf_map_update_elem(images, &tgid, &image, BPF_ANY) == 0);
		CHECK(heap_table__totals(&t, &v, &n, &stale) == 0);
		CHECK_U64(n, 1);
		CHECK_U64(stale, 2);
		e = find(v, n, 10, 7, 6);
		if (CHECK(e))
			CHECK_U64(e->val.bytes, 4096);
		free(v);
		/* reading changed nothing: the prune frees them */
		CHECK(bpf_map_lookup_elem(fd, &(uint32_t){0}, &back) == 0);
		CHECK(back.addr[0] == 0x1000);
		CHECK_U64(heap_table__prune(&t), 2);
		CHECK(bpf_map_lookup_elem(fd, &(uint32_t){0}, &back) == 0);
		CHECK_U64(back.addr[0], HEAP_SLOT_FREE); /* dropped from the table */
		CHECK_U64(heap_table__prune(&t), 0);
		close(images);
	}
	close(fd);
}

int main(void)
{
	test_buckets();
	test_totals_and_forget();
	return check_report("test_heap_table");
}
