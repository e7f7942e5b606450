/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Verdicts across reports: a short history per (process, kind, stack) of
 * what it held, kept from report to report, and each entry's verdict
 * (src/verdict.h) from it.
 */
#ifndef VERDICTS_H
#define VERDICTS_H

#include <stdbool.h>
#include <stdint.h>

struct report;
struct report_entry;
struct verdicts;

struct verdicts *verdicts__new(unsigned window);
/*
 * Adds r's values to the histories and sets each entry's verdict; stacks
 * absent from r count as 0 and are forgotten after a whole window.
 */
void verdicts__update(struct verdicts *v, struct report *r);
/* Forgets every history of process `tgid` (it exited and was reported). */
void verdicts__forget_process(struct verdicts *v, uint32_t tgid);
void verdicts__free(struct verdicts *v);

/* --leaks-only keeps these (report__keep). */
bool verdict__entry_growing(const struct report_entry *e);

#endif /* VERDICTS_H */
