/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One moment of what the BPF programs hold, read once: the per-(site,
 * generation) totals of every kind, the counters, each stack the totals
 * name, and the described objects of the kinds that have details. Reading
 * changes nothing; stale entries are removed by snapshot__prune, a step of
 * its own. A report (src/report.c) is computed from a snapshot alone.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "collect.h"
#include "details.h"
#include "leakscope.h"

struct kind_source;

/* An outstanding object of a kind that describes its objects. */
struct snapshot_object {
	struct ls_totals_key where; /* the site and generation it is counted in */
	enum detail what;	    /* DETAIL_MAX: cannot say */
	char path[64];		    /* a file's directory, as a hint; "" */
};

struct snapshot_stack {
	uint64_t id;
	struct ls_stack stack; /* all zeros: lost */
};

struct snapshot {
	uint64_t now_ns;
	uint64_t counters[LS_KIND_MAX][CNT_MAX];
	int64_t rate[LS_KIND_MAX]; /* sampled kinds: their sampling rate; 0: exact */

	struct totals_entry *totals; /* non-empty, every kind */
	size_t ntotals, totals_cap;
	/* emptied entries at least two generations old: BPF only creates
	 * entries of the current one, nothing points at them */
	struct ls_totals_key *stale;
	size_t nstale;
	size_t stale_objects; /* objects a kind skipped as stale (prune frees them) */

	struct snapshot_object *objects; /* by kind's order of gathering */
	size_t nobjects, objects_cap;
	struct snapshot_stack *stacks; /* sorted by id */
	size_t nstacks;

	/* per process (parallel to the source's procs, nprocs of them) and
	 * kind: objects held but never seen acquired (fds open before
	 * tracing); -1: unknown */
	int (*preexisting)[LS_KIND_MAX];
	size_t nprocs;
};

/* Reads the counters and the totals of every traced kind, and their
 * stacks, into *snap. */
int snapshot__gather(const struct kind_source *src, struct snapshot *snap);
/* Adds the objects of the kinds that describe theirs, for the processes
 * of `src` (known by now: -a adopts those the totals name first). */
int snapshot__describe(const struct kind_source *src, struct snapshot *snap);
/* Removes what the snapshot found stale: emptied totals, kinds' leftovers. */
void snapshot__prune(const struct kind_source *src, const struct snapshot *snap);
void snapshot__free(struct snapshot *snap);

/* Appends totals entries (a kind's own gather). */
void snapshot__add_totals(struct snapshot *snap, const struct totals_entry *v, size_t n);
/* Appends a described object; returns it. */
struct snapshot_object *snapshot__add_object(struct snapshot *snap);
/* The stack of `id`, NULL when it was not read (lost, or id 0). */
const struct ls_stack *snapshot__stack(const struct snapshot *snap, uint64_t id);

#endif /* SNAPSHOT_H */
