// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "heap_table.h"
#include "util.h"

/* Buckets mapped at once: ~2.4 MiB */
#define WINDOW_BUCKETS 4096

uint32_t heap_table__buckets(uint64_t max_objects)
{
	uint64_t want = (max_objects + 7) / 8; /* 15 slots each: ~2x max_objects in all */
	uint32_t n = 1;

	while (n < want && n < (1u << 31))
		n <<= 1;
	return n;
}

/* Reads slot `i` as BPF leaves it between its stores: the address is stored
 * last, so a copy taken between two equal reads of it is whole. Its address,
 * or 0 when the slot holds no block. */
static uint64_t read_block(struct ls_heap_bucket *b, int i, struct ls_heap_block *copy)
{
	uint64_t addr = __atomic_load_n(&b->addr[i], __ATOMIC_ACQUIRE);

	if (addr <= HEAP_SLOT_CLAIMED)
		return 0;
	memcpy(copy, &b->blocks[i], sizeof(*copy));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&b->addr[i], __ATOMIC_RELAXED) == addr ? addr : 0;
}

/* The image each process that exec'd while traced runs now, by tgid. */
struct images {
	struct image_of {
		uint32_t tgid;
		uint16_t image;
	} * v;
	size_t n;
};

static void load_images(int fd, struct images *im)
{
	uint32_t key, next;
	size_t cap = 0;
	bool first = true;

	im->v = NULL;
	im->n = 0;
	while (fd >= 0 && bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (im->n == cap) {
			cap = cap ? 2 * cap : 64;
			im->v = xrealloc(im->v, cap, sizeof(*im->v));
		}
		im->v[im->n].tgid = next;
		if (bpf_map_lookup_elem(fd, &next, &im->v[im->n].image) == 0)
			im->n++;
	}
	/* the first member is the tgid: ordered as cmp_u32 orders them */
	if (im->n)
		qsort(im->v, im->n, sizeof(*im->v), cmp_u32);
}

/* A block of an image its process has left by exec. */
static bool is_stale(const struct images *im, const struct ls_heap_block *b)
{
	const struct image_of *now;

	if (!im->n)
		return false;
	now = bsearch(&b->tgid, im->v, im->n, sizeof(*im->v), cmp_u32);
	return now && now->image != b->image;
}

/* What a scan does with each block: `fn` is called for the live ones;
 * blocks of images left by exec are counted, or freed when `free_stale`. */
struct scan {
	heap_block_fn fn;
	void *arg;
	bool free_stale;
	size_t stale;
};

static void free_slot(struct ls_heap_bucket *b, int i, uint64_t addr)
{
	/* only if it still holds that block: BPF may have reused it */
	__atomic_compare_exchange_n(&b->addr[i], &addr, HEAP_SLOT_FREE, false, __ATOMIC_RELEASE,
				    __ATOMIC_RELAXED);
}

static void scan_bucket(struct ls_heap_bucket *b, const struct images *im, struct scan *sc)
{
	struct ls_heap_block copy;
	int i;

	for (i = 0; i < HEAP_BUCKET_SLOTS; i++) {
		uint64_t addr = read_block(b, i, &copy);

		if (!addr)
			continue;
		if (is_stale(im, &copy)) {
			sc->stale++;
			if (sc->free_stale)
				free_slot(b, i, addr);
		} else if (sc->fn && sc->fn(addr, &copy, sc->arg)) {
			free_slot(b, i, addr);
		}
	}
}

static int scan(const struct heap_table *t, struct scan *sc)
{
	size_t page = sysconf(_SC_PAGESIZE), size = sizeof(struct ls_heap_bucket);
	size_t end = (size_t)t->buckets * size, first;
	struct images im;

	load_images(t->images_fd, &im);
	for (first = 0; first < t->buckets; first += WINDOW_BUCKETS) {
		size_t last =
		    first + WINDOW_BUCKETS < t->buckets ? first + WINDOW_BUCKETS : t->buckets;
		/* the window in whole pages, over whole buckets */
		size_t lo = first * size / page * page;
		size_t hi = (last * size + page - 1) / page * page;
		char *w;
		size_t k;

		if (hi > (end + page - 1) / page * page)
			hi = (end + page - 1) / page * page;
		w = mmap(NULL, hi - lo, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, lo);
		if (w == MAP_FAILED) {
			free(im.v);
			return -errno;
		}
		for (k = first; k < last; k++)
			scan_bucket((struct ls_heap_bucket *)(w + k * size - lo), &im, sc);
		munmap(w, hi - lo);
	}
	free(im.v);
	return 0;
}

int heap_table__scan(const struct heap_table *t, heap_block_fn fn, void *arg)
{
	struct scan sc = {.fn = fn, .arg = arg};

	return scan(t, &sc);
}

size_t heap_table__prune(const struct heap_table *t)
{
	struct scan sc = {.free_stale = true};

	scan(t, &sc);
	return sc.stale;
}

/* Per (site, generation) totals, in an open-addressing index over the
 * entries. */
struct adder {
	struct totals_entry *v;
	size_t n, cap;
	uint32_t *index; /* entry + 1, 0 = empty */
	size_t slots;	 /* a power of two, over twice n */
};

static uint64_t key_hash(const struct ls_totals_key *k)
{
	uint64_t h = k->site.stack_id * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)k->site.tgid << 32 | k->site.api) * 0xc2b2ae3d27d4eb4fULL;
	h ^= (uint64_t)k->gen * 0x165667b19e3779f9ULL;
	return h ^ (h >> 29);
}

static void reindex(struct adder *a)
{
	size_t i;

	a->slots = a->slots ? a->slots * 2 : 256;
	free(a->index);
	a->index = xcalloc(a->slots, sizeof(*a->index));
	for (i = 0; i < a->n; i++) {
		size_t s = key_hash(&a->v[i].key) & (a->slots - 1);

		while (a->index[s])
			s = (s + 1) & (a->slots - 1);
		a->index[s] = i + 1;
	}
}

static int add_block(uint64_t addr, const struct ls_heap_block *b, void *arg)
{
	struct adder *a = arg;
	(void)addr;
	struct ls_totals_key key = {
	    .site = {.stack_id = b->stack_id, .tgid = b->tgid, .kind = LS_KIND_HEAP, .api = b->api},
	    .gen = b->gen,
	};
	size_t s;

	if (2 * (a->n + 1) > a->slots)
		reindex(a);
	for (s = key_hash(&key) & (a->slots - 1); a->index[s]; s = (s + 1) & (a->slots - 1)) {
		struct totals_entry *e = &a->v[a->index[s] - 1];

		if (!memcmp(&e->key, &key, sizeof(key))) {
			e->val.bytes += b->size;
			e->val.count += b->count;
			return 0;
		}
	}
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->v = xrealloc(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n].key = key;
	a->v[a->n].val.bytes = b->size;
	a->v[a->n].val.count = b->count;
	a->index[s] = ++a->n;
	return 0;
}

int heap_table__totals(const struct heap_table *t, struct totals_entry **out, size_t *count,
		       size_t *stale)
{
	struct adder a = {0};
	struct scan sc = {.fn = add_block, .arg = &a};
	int err = scan(t, &sc);

	free(a.index);
	*out = a.v;
	*count = a.n;
	if (stale)
		*stale = sc.stale;
	return err;
}

struct gone_list {
	const uint32_t *tgids;
	size_t n;
};

static int of_gone(uint64_t addr, const struct ls_heap_block *b, void *arg)
{
	(void)addr;
	const struct gone_list *g = arg;

	return bsearch(&b->tgid, g->tgids, g->n, sizeof(*g->tgids), cmp_u32) != NULL;
}

void heap_table__forget(const struct heap_table *t, const uint32_t *gone, size_t n)
{
	struct gone_list g = {gone, n};

	heap_table__scan(t, of_gone, &g);
}
