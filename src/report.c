// SPDX-License-Identifier: GPL-2.0
/*
 * From a snapshot to a report: one row per stack as a reader sees it
 * (symbolized, rows whose stacks read alike merged), with growth since the
 * previous report and the details of the objects. No I/O but the
 * symbolizers' reading of the traced files.
 */
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "kallsyms.h"
#include "kind.h"
#include "names.h"
#include "report.h"
#include "snapshot.h"
#include "symbolizer.h"
#include "util.h"

static int by_site(const void *a, const void *b)
{
	return site__compare(&((const struct site_row *)a)->site,
			     &((const struct site_row *)b)->site);
}

/* Appends a frame named `name` (taken over) at `loc` to e, growing it. */
static void push_frame(struct report_entry *e, size_t *cap, char *name,
		       const struct report_loc *loc)
{
	if (e->nframes == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		e->frames = xrealloc(e->frames, *cap, sizeof(*e->frames));
		e->locs = xrealloc(e->locs, *cap, sizeof(*e->locs));
	}
	e->frames[e->nframes] = name;
	e->locs[e->nframes++] = *loc;
}

/* The frames of one return address: Go code gives the calls inlined there
 * first, each its own frame, as Go's tracebacks show them. */
static void push_address(struct report_entry *e, size_t *cap, uint64_t addr,
			 struct symbolizer *symbolizer)
{
	struct frame f[SYMBOLIZER_MAX_INLINE] = {{.module = "[unknown]", .offset = addr}};
	struct report_loc loc = {0};
	struct frame_mapping m;
	char buf[512];
	size_t i, n = 1;

	/* a kernel frame (kernel stacks go on with the user stack) */
	if (kallsyms__is_kernel(addr))
		kallsyms__resolve(addr, f);
	else if (symbolizer)
		n = symbolizer__resolve(symbolizer, addr, f, SYMBOLIZER_MAX_INLINE);
	if (!kallsyms__is_kernel(addr) && symbolizer && symbolizer__mapping(symbolizer, addr, &m))
		loc = (struct report_loc){.addr = addr,
					  .path = m.path,
					  .build_id = m.build_id,
					  .start = m.start,
					  .limit = m.limit,
					  .offset = m.offset};
	for (i = 0; i < n; i++) {
		loc.file = f[i].file;
		loc.line = f[i].line;
		loc.inlined = i + 1 < n;
		if (!f[i].function)
			frame__format(&f[i], buf, sizeof(buf));
		push_frame(e, cap, f[i].function ? demangle(f[i].function) : xstrdup(buf), &loc);
	}
}

/* A sample the runtime of a garbage-collected language takes inside its
 * allocator: the code that allocated is the first frame outside it (the
 * last frame always stays). */
static void drop_allocator_frames(struct report_entry *e)
{
	size_t k = 1;

	while (k + 1 < e->nframes && !strncmp(e->frames[k], "runtime.", 8))
		free(e->frames[k++]);
	memmove(e->frames + 1, e->frames + k, (e->nframes - k) * sizeof(*e->frames));
	memmove(e->locs + 1, e->locs + k, (e->nframes - k) * sizeof(*e->locs));
	e->nframes -= k - 1;
}

static void symbolize_entry(struct report_entry *e, const struct snapshot *snap,
			    struct symbolizer *symbolizer)
{
	static const struct report_loc none;
	const struct ls_stack *stack = snapshot__stack(snap, e->row.site.stack_id);
	size_t i, depth = 0, cap = 0;

	while (stack && depth < MAX_STACK_DEPTH && stack->ips[depth])
		depth++;
	push_frame(e, &cap, xstrdup(api__name(e->row.site.api)), &none);
	if (depth == 0)
		push_frame(e, &cap, xstrdup("[stack lost]"), &none);
	for (i = 0; i < depth; i++)
		push_address(e, &cap, stack->ips[i], symbolizer);
	if (kind__get(e->row.site.kind) && kind__get(e->row.site.kind)->inside_runtime)
		drop_allocator_frames(e);
}

static void compute_growth(struct report_entry *e, const struct report_history *h)
{
	const struct site_row *prev = NULL;

	if (h->rows)
		prev = bsearch(&e->row, h->rows, h->count, sizeof(*h->rows), by_site);
	e->is_new = !prev;
	e->delta_bytes = e->row.bytes - (prev ? prev->bytes : 0);
	e->delta_count = e->row.count - (prev ? prev->count : 0);
}

/* Frame i of a and b by name, then (Go code) by file:line. */
static int frame_compare(const struct report_entry *a, const struct report_entry *b, size_t i)
{
	const struct report_loc *la = report_entry__loc(a, i), *lb = report_entry__loc(b, i);
	int c = strcmp(a->frames[i], b->frames[i]);

	if (c || la->line != lb->line)
		return c ? c : la->line < lb->line ? -1 : 1;
	if (!la->file || !lb->file)
		return !!la->file - !!lb->file;
	return strcmp(la->file, lb->file);
}

/* Rows whose stacks symbolize alike (an unrolled loop has two call sites on
 * one line) are one row to a reader: merge them. */
static int by_frames(const void *pa, const void *pb)
{
	const struct report_entry *a = pa, *b = pb;
	size_t i;

	for (i = 0; i < a->nframes && i < b->nframes; i++) {
		int c = frame_compare(a, b, i);

		if (c)
			return c;
	}
	return a->nframes < b->nframes ? -1 : a->nframes > b->nframes;
}

static int by_size_desc(const void *pa, const void *pb)
{
	const struct report_entry *a = pa, *b = pb;

	if (a->row.site.kind != b->row.site.kind)
		return a->row.site.kind < b->row.site.kind ? -1 : 1;
	if (a->row.bytes != b->row.bytes)
		return a->row.bytes < b->row.bytes ? 1 : -1;
	if (a->row.count != b->row.count)
		return a->row.count < b->row.count ? 1 : -1;
	return by_frames(a, b);
}

static void free_frames(struct report_entry *e)
{
	size_t k;

	for (k = 0; k < e->nframes; k++)
		free(e->frames[k]);
	free(e->frames);
	free(e->locs);
}

static size_t merge_alike(struct report_entry *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), by_frames);
	for (i = 0; i < n; i++) {
		struct report_entry *last = k ? &v[k - 1] : NULL;

		if (last && v[i].row.site.tgid == last->row.site.tgid &&
		    v[i].row.site.kind == last->row.site.kind && !by_frames(last, &v[i])) {
			last->row.bytes += v[i].row.bytes;
			last->row.count += v[i].row.count;
			if (v[i].row.oldest_gen < last->row.oldest_gen)
				last->row.oldest_gen = v[i].row.oldest_gen;
			last->delta_bytes += v[i].delta_bytes;
			last->delta_count += v[i].delta_count;
			last->is_new = last->is_new && v[i].is_new;
			details__merge(&last->details, &v[i].details);
			free_frames(&v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	qsort(v, k, sizeof(*v), by_size_desc);
	return k;
}

struct site_index {
	struct ls_site site;
	struct report_entry *entry;
};

static int index_by_site(const void *a, const void *b)
{
	return site__compare(&((const struct site_index *)a)->site,
			     &((const struct site_index *)b)->site);
}

/* Counts each described object, by what it is, in the entry of its site. */
static void fill_details(struct report *r, const struct snapshot *snap, uint64_t min_age_ns)
{
	struct site_index *index = xcalloc(r->count + 1, sizeof(*index)), *hit;
	size_t i;

	for (i = 0; i < r->count; i++) {
		index[i].site = r->entries[i].row.site;
		index[i].entry = &r->entries[i];
	}
	qsort(index, r->count, sizeof(*index), index_by_site);
	for (i = 0; i < snap->nobjects; i++) {
		const struct snapshot_object *o = &snap->objects[i];
		struct details *d;

		if (!aggregate__old_enough(o->where.gen, r->now_ns, min_age_ns))
			continue;
		hit = bsearch(&o->where.site, index, r->count, sizeof(*index), index_by_site);
		if (!hit)
			continue;
		d = &hit->entry->details;
		if (!d->path[0] && o->path[0])
			snprintf(d->path, sizeof(d->path), "%s", o->path);
		if (o->what < DETAIL_MAX)
			d->counts[o->what]++;
	}
	free(index);
}

void report__build(struct report *r, const struct snapshot *snap, uint64_t min_age_ns,
		   struct report_history *history)
{
	struct site_row *rows;
	size_t n, i;
	int k;

	r->now_ns = snap->now_ns;
	for (k = 0; k < LS_KIND_MAX; k++) {
		memcpy(r->kind[k].counters, snap->counters[k], sizeof(snap->counters[k]));
		r->kind[k].rate = snap->rate[k];
	}
	for (i = 0; i < r->nprocs; i++)
		for (k = 0; k < LS_KIND_MAX; k++)
			r->procs[i].preexisting[k] =
			    i < snap->nprocs ? snap->preexisting[i][k] : -1;
	n = aggregate__rows(snap->totals, snap->ntotals, r->now_ns, min_age_ns, &rows);

	r->entries = xcalloc(n + 1, sizeof(*r->entries));
	r->count = n;
	r->since_prev_ns = history->now_ns ? r->now_ns - history->now_ns : 0;
	for (i = 0; i < n; i++) {
		struct report_entry *e = &r->entries[i];
		struct report_process *proc = report__process(r, rows[i].site.tgid);
		const struct kind *kind = kind__get(rows[i].site.kind);

		if (kind && kind->estimate && snap->rate[kind->id])
			kind->estimate(&rows[i].bytes, &rows[i].count, snap->rate[kind->id]);
		e->row = rows[i];
		compute_growth(e, history);
		symbolize_entry(e, snap, proc ? proc->symbolizer : NULL);
	}
	fill_details(r, snap, min_age_ns);
	r->count = merge_alike(r->entries, n);
	for (i = 0; i < r->count; i++) {
		struct kind_summary *ks = &r->kind[r->entries[i].row.site.kind % LS_KIND_MAX];
		if (!kind__counts(r->entries[i].row.site.kind, r->entries[i].row.site.api))
			continue;
		ks->bytes += r->entries[i].row.bytes;
		ks->count += r->entries[i].row.count;
		ks->stacks++;
	}
	/* Remember this report, by site, for the next one's growth. */
	qsort(rows, n, sizeof(*rows), by_site);
	free(history->rows);
	history->rows = rows;
	history->count = n;
	history->now_ns = r->now_ns;
}

void report__free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		free_frames(&r->entries[i]);
	free(r->entries);
	r->entries = NULL;
	r->count = 0;
}

void report_history__free(struct report_history *h)
{
	free(h->rows);
	memset(h, 0, sizeof(*h));
}

void report__keep(struct report *r, bool (*keep)(const struct report_entry *e))
{
	size_t i, k = 0;

	for (i = 0; i < r->count; i++) {
		if (keep(&r->entries[i]))
			r->entries[k++] = r->entries[i];
		else
			free_frames(&r->entries[i]);
	}
	r->count = k;
}
