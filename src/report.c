// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "collect.h"
#include "demangle.h"
#include "report.h"
#include "symbolizer.h"
#include "util.h"

static int by_site(const void *a, const void *b)
{
	return site__compare(&((const struct site_row *)a)->site,
			     &((const struct site_row *)b)->site);
}

static void symbolize_entry(struct report_entry *e, const struct report_sources *src)
{
	struct ls_stack stack;
	char buf[512];
	size_t i, depth = 0;

	if (collect__stack(src->stacks_fd, e->row.site.stack_id, &stack) == 0)
		while (depth < MAX_STACK_DEPTH && stack.ips[depth])
			depth++;
	e->frames = xcalloc(depth + 2, sizeof(*e->frames));
	e->frames[e->nframes++] = xstrdup(api__name(e->row.site.api));
	if (depth == 0)
		e->frames[e->nframes++] = xstrdup("[stack lost]");
	for (i = 0; i < depth; i++) {
		struct frame f;

		symbolizer__resolve(src->symbolizer, stack.ips[i], &f);
		if (f.function) {
			e->frames[e->nframes++] = demangle(f.function);
		} else {
			frame__format(&f, buf, sizeof(buf));
			e->frames[e->nframes++] = xstrdup(buf);
		}
	}
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

/* Rows whose stacks symbolize alike (an unrolled loop has two call sites in
 * one function) are one row to a reader: merge them. */
static int by_frames(const void *pa, const void *pb)
{
	const struct report_entry *a = pa, *b = pb;
	size_t i;

	for (i = 0; i < a->nframes && i < b->nframes; i++) {
		int c = strcmp(a->frames[i], b->frames[i]);

		if (c)
			return c;
	}
	return a->nframes < b->nframes ? -1 : a->nframes > b->nframes;
}

static int by_size_desc(const void *pa, const void *pb)
{
	const struct report_entry *a = pa, *b = pb;

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
}

static size_t merge_alike(struct report_entry *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), by_frames);
	for (i = 0; i < n; i++) {
		struct report_entry *last = k ? &v[k - 1] : NULL;

		if (last && v[i].row.site.tgid == last->row.site.tgid && !by_frames(last, &v[i])) {
			last->row.bytes += v[i].row.bytes;
			last->row.count += v[i].row.count;
			if (v[i].row.oldest_gen < last->row.oldest_gen)
				last->row.oldest_gen = v[i].row.oldest_gen;
			last->delta_bytes += v[i].delta_bytes;
			last->delta_count += v[i].delta_count;
			last->is_new = last->is_new && v[i].is_new;
			free_frames(&v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	qsort(v, k, sizeof(*v), by_size_desc);
	return k;
}

void report__gather(struct report *r, const struct report_sources *src,
		    struct report_history *history)
{
	struct totals_entry *totals;
	struct site_row *rows;
	size_t n, i;

	r->now_ns = monotonic_ns();
	collect__counters(src->counters_fd, r->counters);
	collect__totals(src->totals_fd, r->now_ns >> GEN_SHIFT, &totals, &n);
	n = aggregate__rows(totals, n, r->now_ns, src->min_age_ns, &rows);
	free(totals);

	r->entries = xcalloc(n, sizeof(*r->entries));
	r->count = n;
	r->since_prev_ns = history->now_ns ? r->now_ns - history->now_ns : 0;
	for (i = 0; i < n; i++) {
		struct report_entry *e = &r->entries[i];

		e->row = rows[i];
		r->total_bytes += e->row.bytes;
		r->total_count += e->row.count;
		compute_growth(e, history);
		symbolize_entry(e, src);
	}
	r->count = merge_alike(r->entries, n);
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
