// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "util.h"

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

int site__compare(const struct ls_site *a, const struct ls_site *b)
{
	if (a->tgid != b->tgid)
		return CMP(a->tgid, b->tgid);
	if (a->kind != b->kind)
		return CMP(a->kind, b->kind);
	if (a->stack_id != b->stack_id)
		return CMP(a->stack_id, b->stack_id);
	return CMP(a->api, b->api);
}

static int by_site(const void *a, const void *b)
{
	return site__compare(&((const struct totals_entry *)a)->key.site,
			     &((const struct totals_entry *)b)->key.site);
}

static int by_size_desc(const void *pa, const void *pb)
{
	const struct site_row *a = pa, *b = pb;

	if (a->bytes != b->bytes)
		return CMP(b->bytes, a->bytes);
	if (a->count != b->count)
		return CMP(b->count, a->count);
	return site__compare(&a->site, &b->site); /* stable output */
}

/* All objects of generation `gen` were acquired before (gen + 1) << GEN_SHIFT. */
bool aggregate__old_enough(uint32_t gen, uint64_t now_ns, uint64_t min_age_ns)
{
	uint64_t newest = ((uint64_t)gen + 1) << GEN_SHIFT;

	return min_age_ns == 0 || newest + min_age_ns <= now_ns;
}

size_t aggregate__rows(const struct totals_entry *entries, size_t n, uint64_t now_ns,
		       uint64_t min_age_ns, struct site_row **rows)
{
	struct totals_entry *sorted = xcalloc(n, sizeof(*sorted));
	struct site_row *out = xcalloc(n, sizeof(*out));
	size_t i, k = 0;

	if (n) /* memcpy from NULL is undefined even for 0 bytes; an empty map gives NULL */
		memcpy(sorted, entries, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), by_site);
	for (i = 0; i < n; i++) {
		const struct totals_entry *e = &sorted[i];

		if (e->val.count <= 0 || !aggregate__old_enough(e->key.gen, now_ns, min_age_ns))
			continue;
		if (k == 0 || site__compare(&out[k - 1].site, &e->key.site)) {
			out[k].site = e->key.site;
			out[k].oldest_gen = e->key.gen;
			k++;
		}
		out[k - 1].bytes += e->val.bytes;
		out[k - 1].count += e->val.count;
		if (e->key.gen < out[k - 1].oldest_gen)
			out[k - 1].oldest_gen = e->key.gen;
	}
	free(sorted);
	qsort(out, k, sizeof(*out), by_size_desc);
	*rows = out;
	return k;
}

uint64_t aggregate__age_ns(const struct site_row *row, uint64_t now_ns)
{
	uint64_t born = (uint64_t)row->oldest_gen << GEN_SHIFT;

	return now_ns > born ? now_ns - born : 0;
}
