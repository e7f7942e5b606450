// SPDX-License-Identifier: GPL-2.0
/*
 * The mmap kind: the memory a process maps itself (mmap, mremap, brk),
 * outstanding per user stack in bytes. BPF (bpf/mmap.bpf.c) sends each
 * change as an event; this module keeps each process's ranges, sorted and
 * disjoint: a partial munmap shrinks or splits a range, mremap moves it
 * with the site that made it, a new image drops them all. gather() adds
 * them up per site and generation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "collect.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "mmap.h"
#include "probe_point.h"
#include "snapshot.h"
#include "util.h"

struct range {
	uint64_t start, end;
	struct ls_totals_key where;
};

struct space {
	uint32_t tgid;
	bool seen_exec;	 /* its image began while traced: its break starts at start_brk */
	uint64_t brk;	 /* the break, 0: not known yet */
	struct range *v; /* sorted by start, disjoint */
	size_t n, cap;
};

static struct {
	struct ring_buffer *events;
	struct space *spaces;
	size_t nspaces;
	uint64_t mapped, unmapped, unknown; /* counters kept here, not in BPF */
} mm;

static struct space *space_of(uint32_t tgid)
{
	size_t i;

	for (i = 0; i < mm.nspaces; i++)
		if (mm.spaces[i].tgid == tgid)
			return &mm.spaces[i];
	mm.spaces = xrealloc(mm.spaces, mm.nspaces + 1, sizeof(*mm.spaces));
	memset(&mm.spaces[mm.nspaces], 0, sizeof(*mm.spaces));
	mm.spaces[mm.nspaces].tgid = tgid;
	return &mm.spaces[mm.nspaces++];
}

static void insert_at(struct space *s, size_t i, const struct range *r)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap, sizeof(*s->v));
	}
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
	s->v[i] = *r;
	s->n++;
}

/* The first range ending after `addr`. */
static size_t first_after(const struct space *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Takes [start, end) out of s's ranges, cutting those it overlaps; the
 * bytes taken. `site`: the site of the first range it touched (NULL: not
 * wanted). */
static uint64_t cut(struct space *s, uint64_t start, uint64_t end, struct ls_totals_key *site)
{
	size_t i = first_after(s, start);
	uint64_t taken = 0;
	bool found = false;

	while (i < s->n && s->v[i].start < end) {
		struct range *r = &s->v[i];

		if (site && !found)
			*site = r->where;
		found = true;
		if (r->start < start && r->end > end) { /* a hole in the middle: split */
			struct range right = *r;

			right.start = end;
			r->end = start;
			insert_at(s, i + 1, &right);
			return taken + (end - start);
		}
		if (r->start < start) { /* its tail */
			taken += r->end - start;
			r->end = start;
			i++;
		} else if (r->end > end) { /* its head */
			taken += end - r->start;
			r->start = end;
			return taken;
		} else { /* all of it */
			taken += r->end - r->start;
			memmove(r, r + 1, (s->n - i - 1) * sizeof(*r));
			s->n--;
		}
	}
	return taken;
}

static void add(struct space *s, uint64_t start, uint64_t end, const struct ls_totals_key *where)
{
	struct range r = {.start = start, .end = end, .where = *where};

	if (end <= start)
		return;
	cut(s, start, end, NULL); /* MAP_FIXED replaces what was there */
	insert_at(s, first_after(s, start), &r);
	mm.mapped++;
}

static void remove_range(struct space *s, uint64_t start, uint64_t end)
{
	if (end <= start)
		return;
	if (cut(s, start, end, NULL))
		mm.unmapped++;
	else
		mm.unknown++;
}

static uint64_t page_up(uint64_t len)
{
	return (len + 4095) & ~4095ULL;
}

static void apply(const struct ls_mmap_event *e)
{
	struct space *s = space_of(e->tgid);
	struct ls_totals_key where = {
	    .site = {.stack_id = e->stack_id, .tgid = e->tgid, .kind = LS_KIND_MMAP, .api = e->api},
	    .gen = e->gen};

	switch (e->op) {
	case LS_MMAP_MAP:
		add(s, e->addr, e->addr + page_up(e->len), &where);
		break;
	case LS_MMAP_UNMAP:
		remove_range(s, e->addr, e->addr + page_up(e->len));
		break;
	case LS_MMAP_REMAP: {
		struct ls_totals_key old = where;

		/* the moved range keeps the site that mapped it */
		if (!(e->flags & LS_MREMAP_DONTUNMAP) && e->len)
			cut(s, e->addr, e->addr + page_up(e->len), &old);
		add(s, e->new_addr, e->new_addr + page_up(e->new_len), &old);
		break;
	}
	case LS_MMAP_BRK:
		if (!s->brk && s->seen_exec)
			s->brk = e->new_addr; /* the first look at it: it starts empty */
		if (s->brk && e->addr > s->brk)
			add(s, s->brk, e->addr, &where);
		else if (s->brk && e->addr < s->brk)
			remove_range(s, e->addr, s->brk);
		s->brk = e->addr;
		break;
	case LS_MMAP_EXEC:
		s->n = 0;
		s->brk = 0;
		s->seen_exec = true;
		break;
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(struct ls_mmap_event))
		apply(data);
	return 0;
}

static void configure(const struct kind_source *src, bool traced)
{
	kind__autoload(src, &kind_mmap, traced);
	if (!traced) /* the ring buffer is made all the same: keep it small */
		bpf_map__set_max_entries(src->skel->maps.mmap_events, 4096);
}

static int start(const struct kind_source *src)
{
	mm.events =
	    ring_buffer__new(bpf_map__fd(src->skel->maps.mmap_events), on_event, NULL, NULL);
	if (!mm.events) {
		ls_error("cannot read the mmap events: %s", strerror(errno));
		return LS_EXIT_KERNEL;
	}
	return 0;
}

static void tick(const struct kind_source *src)
{
	(void)src;
	if (mm.events)
		ring_buffer__consume(mm.events);
}

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct totals_entry *)a)->key,
		      &((const struct totals_entry *)b)->key, sizeof(struct ls_totals_key));
}

/* The ranges added up per site and generation. */
static int gather(const struct kind_source *src, struct snapshot *snap)
{
	struct totals_entry *v = NULL;
	size_t n = 0, k = 0, i, j;
	uint64_t *c = snap->counters[LS_KIND_MMAP];

	tick(src);
	for (i = 0; i < mm.nspaces; i++)
		n += mm.spaces[i].n;
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < mm.nspaces; i++)
		for (j = 0; j < mm.spaces[i].n; j++) {
			const struct range *r = &mm.spaces[i].v[j];

			v[k].key = r->where;
			v[k].val.bytes = r->end - r->start;
			v[k++].val.count = 1;
		}
	qsort(v, n, sizeof(*v), by_key);
	for (i = 0, k = 0; i < n; i++) {
		if (k && !by_key(&v[k - 1], &v[i])) {
			v[k - 1].val.bytes += v[i].val.bytes;
			v[k - 1].val.count += v[i].val.count;
		} else {
			v[k++] = v[i];
		}
	}
	snapshot__add_totals(snap, v, k);
	free(v);
	c[CNT_ACQUIRED] += mm.mapped;
	c[CNT_RELEASED] += mm.unmapped;
	c[CNT_UNKNOWN_RELEASES] += mm.unknown;
	return 0;
}

static void forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	size_t i, k = 0;

	(void)src;
	for (i = 0; i < mm.nspaces; i++) {
		if (bsearch(&mm.spaces[i].tgid, gone, n, sizeof(*gone), cmp_u32))
			free(mm.spaces[i].v);
		else
			mm.spaces[k++] = mm.spaces[i];
	}
	mm.nspaces = k;
}

static void stop(void)
{
	size_t i;

	ring_buffer__free(mm.events);
	for (i = 0; i < mm.nspaces; i++)
		free(mm.spaces[i].v);
	free(mm.spaces);
	memset(&mm, 0, sizeof(mm));
}

/* The allocator's own mappings hold its heap blocks: not counted twice. */
static bool counted(uint16_t api)
{
	return api != LS_API_MMAP_ALLOCATOR && api != LS_API_BRK_ALLOCATOR;
}

/* libc's wrappers: a mapping made inside a probed malloc is the
 * allocator's own */
static const struct api_function functions[] = {
    {"mmap", LS_API_MMAP, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"mmap64", LS_API_MMAP, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"mremap", LS_API_MREMAP, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"brk", LS_API_BRK, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"sbrk", LS_API_BRK, PROG_WRAPPER, true, LS_KIND_MMAP},
};

static const char *const programs[] = {"mmap_", NULL};

const struct kind kind_mmap = {
    .id = LS_KIND_MMAP,
    .name = "mmap",
    .has_bytes = true,
    .words = {.objects = "mappings",
	      .acquired = "mapped",
	      .released = "unmapped",
	      .unknown = "unmaps of ranges mapped before tracing"},
    .opt_in = true,
    .programs = programs,
    .functions = functions,
    .nfunctions = sizeof(functions) / sizeof(functions[0]),
    .configure = configure,
    .gather = gather,
    .forget = forget,
    .counted = counted,
    .start = start,
    .tick = tick,
    .stop = stop,
};
