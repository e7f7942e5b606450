// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "verdict.h"

const char *verdict__name(enum verdict_kind kind)
{
	static const char *const names[] = {
	    [VERDICT_NONE] = "-",	 [VERDICT_FIRST] = "-",
	    [VERDICT_NEW] = "new",	 [VERDICT_GROWING] = "growing",
	    [VERDICT_STEADY] = "steady", [VERDICT_SHRINKING] = "shrinking",
	};

	return kind <= VERDICT_SHRINKING ? names[kind] : "?";
}

struct verdict verdict__classify(const int64_t *v, const uint64_t *t, size_t n)
{
	struct verdict out = {.kind = VERDICT_NEW, .samples = n};
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i, mid;

	if (n == 0)
		return (struct verdict){.kind = VERDICT_NONE};
	out.since_ns = t[0];
	if (n == 1)
		return out;
	mid = (n - 1) / 2;
	for (i = 0; i <= mid; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	i = n - 1;
	if (v[n - 1] > hi) {
		out.kind = VERDICT_GROWING;
		while (i > 0 && v[i - 1] <= v[i]) /* the rise that goes on now */
			i--;
	} else if (v[n - 1] < lo) {
		out.kind = VERDICT_SHRINKING;
		while (i > 0 && v[i - 1] >= v[i])
			i--;
	} else {
		out.kind = VERDICT_STEADY;
		while (i > 0 && v[i - 1] == v[i]) /* unchanged since */
			i--;
	}
	out.since_ns = t[i];
	if (out.kind != VERDICT_STEADY && t[n - 1] > t[0])
		out.rate = (double)(v[n - 1] - v[0]) * 1e9 / (double)(t[n - 1] - t[0]);
	return out;
}
