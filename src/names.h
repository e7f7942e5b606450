/* SPDX-License-Identifier: GPL-2.0 */
/* What the enums of include/leakscope.h are called in reports. */
#ifndef NAMES_H
#define NAMES_H

#include "leakscope.h"

const char *kind__name(enum ls_kind kind);
/* Whether a kind's objects have sizes (heap, go-heap): reported in bytes. */
static inline int kind__has_bytes(enum ls_kind kind)
{
	return kind == LS_KIND_HEAP || kind == LS_KIND_GO_HEAP;
}
/* The function a program called: the leaf frame of a report. */
const char *api__name(enum ls_api api);

#endif /* NAMES_H */
