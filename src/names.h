/* SPDX-License-Identifier: GPL-2.0 */
/* What the APIs of include/leakscope.h are called in reports (kinds: kind.h). */
#ifndef NAMES_H
#define NAMES_H

#include "leakscope.h"

/* The function a program called: the leaf frame of a report. */
const char *api__name(enum ls_api api);

#endif /* NAMES_H */
