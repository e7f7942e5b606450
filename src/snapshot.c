// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "snapshot.h"
#include "util.h"

void snapshot__add_totals(struct snapshot *snap, const struct totals_entry *v, size_t n)
{
	if (!n)
		return; /* v may be NULL */
	if (snap->ntotals + n > snap->totals_cap) {
		snap->totals_cap = 2 * (snap->ntotals + n);
		snap->totals = xrealloc(snap->totals, snap->totals_cap, sizeof(*snap->totals));
	}
	memcpy(snap->totals + snap->ntotals, v, n * sizeof(*v));
	snap->ntotals += n;
}

struct snapshot_object *snapshot__add_object(struct snapshot *snap)
{
	if (snap->nobjects == snap->objects_cap) {
		snap->objects_cap = snap->objects_cap ? 2 * snap->objects_cap : 64;
		snap->objects = xrealloc(snap->objects, snap->objects_cap, sizeof(*snap->objects));
	}
	memset(&snap->objects[snap->nobjects], 0, sizeof(*snap->objects));
	return &snap->objects[snap->nobjects++];
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

const struct ls_stack *snapshot__stack(const struct snapshot *snap, uint64_t id)
{
	const struct snapshot_stack *s;

	if (!id)
		return NULL;
	s = bsearch(&id, snap->stacks, snap->nstacks, sizeof(*snap->stacks), by_id);
	return s ? &s->stack : NULL;
}

/* Each stack the totals name, read once. */
static void read_stacks(int map_fd, struct snapshot *snap)
{
	uint64_t *ids = xcalloc(snap->ntotals + 1, sizeof(*ids));
	size_t i, n = 0;

	for (i = 0; i < snap->ntotals; i++)
		if (snap->totals[i].key.site.stack_id)
			ids[n++] = snap->totals[i].key.site.stack_id;
	qsort(ids, n, sizeof(*ids), by_id);
	snap->stacks = xcalloc(n + 1, sizeof(*snap->stacks));
	for (i = 0; i < n; i++) {
		struct snapshot_stack *s = &snap->stacks[snap->nstacks];

		if (snap->nstacks && s[-1].id == ids[i])
			continue;
		s->id = ids[i];
		if (collect__stack(map_fd, ids[i], &s->stack) == 0)
			snap->nstacks++;
	}
	free(ids);
}

int snapshot__gather(const struct kind_source *src, struct snapshot *snap)
{
	struct leakscope_bpf *skel = src->skel;
	unsigned int traced = src->opt->kinds;
	struct totals_entry *shared;
	size_t n;
	int k, err;

	memset(snap, 0, sizeof(*snap));
	snap->now_ns = monotonic_ns();
	collect__counters(bpf_map__fd(skel->maps.counters), snap->counters);
	collect__totals(bpf_map__fd(skel->maps.totals), snap->now_ns >> GEN_SHIFT, &shared, &n,
			&snap->stale, &snap->nstale);
	snapshot__add_totals(snap, shared, n);
	free(shared);
	for (k = 0; k < LS_KIND_MAX; k++) {
		const struct kind *kind = kind__get(k);

		if (!(traced & (1u << k)) || !kind->gather)
			continue;
		err = kind->gather(src, snap);
		if (err)
			ls_error("cannot read what %s holds: %s", kind->name, strerror(-err));
	}
	read_stacks(bpf_map__fd(skel->maps.stacks), snap);
	return 0;
}

int snapshot__describe(const struct kind_source *src, struct snapshot *snap)
{
	unsigned int traced = src->opt->kinds;
	size_t i;
	int k;

	free(snap->preexisting);
	snap->preexisting = xcalloc(src->nprocs + 1, sizeof(*snap->preexisting));
	for (i = 0; i < src->nprocs; i++)
		for (k = 0; k < LS_KIND_MAX; k++)
			snap->preexisting[i][k] = -1;
	snap->nprocs = src->nprocs;
	for (k = 0; k < LS_KIND_MAX; k++) {
		const struct kind *kind = kind__get(k);

		if ((traced & (1u << k)) && kind->describe)
			kind->describe(src, snap);
	}
	return 0;
}

void snapshot__prune(const struct kind_source *src, const struct snapshot *snap)
{
	int k;

	collect__prune_totals(bpf_map__fd(src->skel->maps.totals), snap->stale, snap->nstale);
	for (k = 0; k < LS_KIND_MAX; k++) {
		const struct kind *kind = kind__get(k);

		if ((src->opt->kinds & (1u << k)) && kind->prune)
			kind->prune(src, snap);
	}
}

void snapshot__free(struct snapshot *snap)
{
	free(snap->totals);
	free(snap->stale);
	free(snap->objects);
	free(snap->stacks);
	free(snap->preexisting);
	memset(snap, 0, sizeof(*snap));
}
