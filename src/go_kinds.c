// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "go_kinds.h"
#include "go_runtime.h"
#include "kind.h"
#include "util.h"

unsigned int go_kinds__all(void)
{
	unsigned int bits = (1u << LS_KIND_GOROUTINE) | (1u << LS_KIND_GO_HEAP);

	for (int k = 0; k < LS_KIND_MAX; k++)
		if (kind__get(k)->go_missing)
			bits |= 1u << k;
	return bits;
}

/* The Go kinds of their own modules that this runtime cannot have: off,
 * each said in one line. */
static bool drop_missing(const struct go_runtime *g, unsigned int *kinds)
{
	bool dropped = false;

	for (int k = 0; k < LS_KIND_MAX && g->is_go && g->layout; k++) {
		const struct kind *kd = kind__get(k);
		const char *why = kd->go_missing && (*kinds & (1u << k)) ? kd->go_missing(g) : NULL;

		if (why) {
			*kinds &= ~(1u << k);
			dropped = true;
			ls_error("Go %s: %s: %s not traced", g->version, why, kd->words.objects);
		}
	}
	return dropped;
}

/* "goroutine,timer": the kinds of `bits`, for a message */
static const char *kind_list(unsigned int bits)
{
	static char list[128];
	size_t at = 0;

	list[0] = '\0';
	for (int k = 0; k < LS_KIND_MAX; k++)
		if ((bits & (1u << k)) && at < sizeof(list))
			at += snprintf(list + at, sizeof(list) - at, "%s%s", at ? "," : "",
				       kind__name(k));
	return list;
}

int go_kinds__select(const struct go_runtime *g, bool host, unsigned int *kinds)
{
	unsigned int asked = *kinds;
	bool dropped;

	/* -a: each Go process found has its own runtime (src/go_host.c) */
	if (host)
		*kinds &= ~(go_kinds__all() & ~GO_HOST_KINDS);
	else if (!g->is_go || !g->layout)
		*kinds &= ~go_kinds__all();
	if (g->is_go && !g->has_libc)
		*kinds &= ~(1u << LS_KIND_HEAP); /* no C allocator in a static Go program */
	dropped = drop_missing(g, kinds);
	if (*kinds && g->is_go && !g->layout && (asked & go_kinds__all()))
		ls_error("Go %s: %s: goroutines and the Go heap not traced", g->version,
			 g->unknown);
	if (*kinds)
		return 0;
	if (g->is_go && !g->layout && (asked & go_kinds__all()))
		ls_error("nothing to trace: Go %s: %s", g->version, g->unknown);
	else if (dropped)
		ls_error("nothing to trace in this Go %s program", g->version);
	else
		ls_error("nothing to trace: --kinds %s%s", kind_list(asked),
			 g->is_go ? " in a Go program without cgo"
				  : " in a program that is not Go");
	return LS_EXIT_USAGE;
}
