// SPDX-License-Identifier: GPL-2.0
/*
 * What the probes of one planned function must see (probe_point.h): its
 * returns, whether it allocates, whether it calls no other probed function.
 */
#include <string.h>

#include "load_order.h"
#include "probe_point.h"
#include "util.h"

bool probe_point__returns(const struct probe_point *p)
{
	return p->fn->prog != PROG_FREE;
}

bool probe_point__allocates(const struct probe_point *p)
{
	return probe_point__returns(p) && p->fn->prog != PROG_WRAPPER;
}

/*
 * Only allocators whose insides we know: glibc's and jemalloc's malloc and
 * calloc allocate on their own. Not realloc (glibc's realloc(NULL, n) calls
 * malloc), memalign and its kin (glibc passes a small alignment on to
 * malloc), reallocarray (calls realloc), operator new (calls malloc), nor
 * any function of another allocator.
 */
bool probe_point__leaf(const struct probe_point *p)
{
	if (strcmp(p->symbol, "malloc") && strcmp(p->symbol, "calloc"))
		return false;
	return load_order__default_rank(p->binary) == 2 ||
	       !strncmp(path_base(p->binary), "libjemalloc.so", 14);
}
