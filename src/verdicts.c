// SPDX-License-Identifier: GPL-2.0
/* The history of each stack across reports, and its verdict. */
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "report.h"
#include "util.h"
#include "verdicts.h"

/* One (process, kind, stack): the values of the last `window` reports. */
struct track {
	uint64_t hash; /* of the frames */
	uint32_t tgid;
	uint16_t kind;
	bool seen; /* in the report being added */
	unsigned n, absent;
	struct verdict last;
	int64_t *values;
	uint64_t *times;
};

struct verdicts {
	unsigned window;
	struct track *tracks; /* sorted by (hash, tgid, kind) */
	size_t count;
	unsigned long reports;
};

static uint64_t hash_bytes(uint64_t h, const void *s, size_t n)
{
	const unsigned char *p = s;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* FNV-1a over the frames, each with its terminating NUL, and file:line
 * where known (Go code): rows report.c did not merge stay apart. */
static uint64_t hash_frames(const struct report_entry *e)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < e->nframes; i++) {
		const struct report_loc *loc = report_entry__loc(e, i);

		h = hash_bytes(h, e->frames[i], strlen(e->frames[i]) + 1);
		if (loc->file) {
			h = hash_bytes(h, loc->file, strlen(loc->file) + 1);
			h = hash_bytes(h, &loc->line, sizeof(loc->line));
		}
	}
	return h;
}

static int track_compare(const void *pa, const void *pb)
{
	const struct track *a = pa, *b = pb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->tgid != b->tgid)
		return a->tgid < b->tgid ? -1 : 1;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

struct verdicts *verdicts__new(unsigned window)
{
	struct verdicts *v = xcalloc(1, sizeof(*v));

	v->window = window < 2 ? 2 : window > VERDICT_WINDOW_MAX ? VERDICT_WINDOW_MAX : window;
	return v;
}

static void track_push(struct track *tr, unsigned window, int64_t value, uint64_t now)
{
	if (tr->n == window) {
		memmove(tr->values, tr->values + 1, (window - 1) * sizeof(*tr->values));
		memmove(tr->times, tr->times + 1, (window - 1) * sizeof(*tr->times));
		tr->n--;
	}
	tr->values[tr->n] = value;
	tr->times[tr->n++] = now;
}

static struct track *track_find(struct verdicts *v, const struct track *key)
{
	return v->count ? bsearch(key, v->tracks, v->count, sizeof(*key), track_compare) : NULL;
}

static void track_free(struct track *tr)
{
	free(tr->values);
	free(tr->times);
}

/* Drops the tracks `gone` says to, keeping the order. */
static void compact(struct verdicts *v, bool (*gone)(const struct track *, const void *),
		    const void *arg)
{
	size_t i, k = 0;

	for (i = 0; i < v->count; i++) {
		if (gone(&v->tracks[i], arg))
			track_free(&v->tracks[i]);
		else
			v->tracks[k++] = v->tracks[i];
	}
	v->count = k;
}

static bool absent_too_long(const struct track *tr, const void *arg)
{
	return tr->absent >= *(const unsigned *)arg;
}

static bool of_process(const struct track *tr, const void *arg)
{
	return tr->tgid == *(const uint32_t *)arg;
}

void verdicts__update(struct verdicts *v, struct report *r)
{
	size_t i, old = v->count;

	v->reports++;
	for (i = 0; i < v->count; i++)
		v->tracks[i].seen = false;
	for (i = 0; i < r->count; i++) {
		struct report_entry *e = &r->entries[i];
		struct track key = {.hash = hash_frames(e),
				    .tgid = e->row.site.tgid,
				    .kind = e->row.site.kind},
			     *tr = track_find(v, &key);
		int64_t value = kind__has_bytes(e->row.site.kind) ? e->row.bytes : e->row.count;

		if (!tr) { /* appended: found by the next report, after the sort */
			v->tracks = xrealloc(v->tracks, v->count + 1, sizeof(*v->tracks));
			tr = &v->tracks[v->count++];
			*tr = key;
			tr->values = xcalloc(v->window, sizeof(*tr->values));
			tr->times = xcalloc(v->window, sizeof(*tr->times));
		}
		if (tr->seen) { /* two entries alike (merged elsewhere): one value */
			tr->values[tr->n - 1] += value;
		} else {
			tr->seen = true;
			tr->absent = 0;
			track_push(tr, v->window, value, r->now_ns);
		}
	}
	/* Stacks no longer outstanding went to zero. */
	for (i = 0; i < old; i++) {
		if (!v->tracks[i].seen) {
			v->tracks[i].absent++;
			track_push(&v->tracks[i], v->window, 0, r->now_ns);
		}
	}
	compact(v, absent_too_long, &v->window);
	if (v->count) /* qsort(NULL, 0) is undefined behaviour */
		qsort(v->tracks, v->count, sizeof(*v->tracks), track_compare);
	for (i = 0; i < r->count; i++) {
		struct report_entry *e = &r->entries[i];
		struct track key = {.hash = hash_frames(e),
				    .tgid = e->row.site.tgid,
				    .kind = e->row.site.kind},
			     *tr = track_find(v, &key);
		struct verdict now;

		if (!tr)
			continue;
		now = verdict__classify(tr->values, tr->times, tr->n);
		if (v->reports == 1)
			now.kind = VERDICT_FIRST;
		/* a trend older than the window began where it was first seen */
		if (now.kind == tr->last.kind && tr->last.since_ns < now.since_ns)
			now.since_ns = tr->last.since_ns;
		tr->last = now;
		e->verdict = now;
	}
}

void verdicts__forget_process(struct verdicts *v, uint32_t tgid)
{
	compact(v, of_process, &tgid);
}

void verdicts__free(struct verdicts *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->count; i++)
		track_free(&v->tracks[i]);
	free(v->tracks);
	free(v);
}

bool verdict__entry_growing(const struct report_entry *e)
{
	return e->verdict.kind == VERDICT_GROWING;
}
