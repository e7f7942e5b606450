// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect.h"
#include "util.h"

int collect__totals(int map_fd, uint32_t current_gen, struct totals_entry **out, size_t *count,
		    struct ls_totals_key **stale, size_t *nstale)
{
	struct ls_totals_key key, last;
	struct totals_entry *v = NULL;
	size_t n = 0, cap = 0, i, kept = 0;
	bool first = true;

	*stale = NULL;
	*nstale = 0;
	while (bpf_map_get_next_key(map_fd, first ? NULL : &last, &key) == 0) {
		first = false;
		last = key;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = xrealloc(v, cap, sizeof(*v));
		}
		v[n].key = key;
		if (bpf_map_lookup_elem(map_fd, &key, &v[n].val) == 0)
			n++;
	}
	for (i = 0; i < n; i++) {
		if (v[i].val.count == 0) {
			if (v[i].key.gen + 2 <= current_gen) {
				*stale = xrealloc(*stale, *nstale + 1, sizeof(**stale));
				(*stale)[(*nstale)++] = v[i].key;
			}
			continue;
		}
		v[kept++] = v[i];
	}
	*out = v;
	*count = kept;
	return 0;
}

void collect__prune_totals(int map_fd, const struct ls_totals_key *stale, size_t n)
{
	struct ls_totals val;
	size_t i;

	/* emptied entries stay empty: BPF creates entries of the current
	 * generation only; one filled again since is left */
	for (i = 0; i < n; i++)
		if (bpf_map_lookup_elem(map_fd, &stale[i], &val) == 0 && val.count == 0)
			bpf_map_delete_elem(map_fd, &stale[i]);
}

int collect__counters(int map_fd, uint64_t out[LS_KIND_MAX][CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	__u32 i;
	int c;

	if (ncpu <= 0)
		return ncpu;
	vals = xcalloc(ncpu, sizeof(*vals));
	for (i = 0; i < LS_KIND_MAX * CNT_MAX; i++) {
		uint64_t *sum = &out[i / CNT_MAX][i % CNT_MAX];

		*sum = 0;
		if (bpf_map_lookup_elem(map_fd, &i, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			*sum += vals[c];
	}
	free(vals);
	return 0;
}

int collect__stack(int map_fd, uint64_t stack_id, struct ls_stack *out)
{
	if (!stack_id || bpf_map_lookup_elem(map_fd, &stack_id, out)) {
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	}
	return 0;
}
