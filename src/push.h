/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --push URL: at every report, the folded stacks of each process and kind
 * are sent to a Pyroscope server's /ingest endpoint (format=folded, with
 * name, from, until and units), over plain HTTP/1.0.
 */
#ifndef PUSH_H
#define PUSH_H

#include "report.h"

struct pusher;

/* "http://HOST[:PORT][/PREFIX]"; NULL after a message on stderr. */
struct pusher *push__new(const char *url);
/* Sends r: one request per process and kind with outstanding objects.
 * Failures are counted and said once until a push succeeds again. */
void push__report(struct pusher *p, const struct report *r);
void push__free(struct pusher *p);

#endif /* PUSH_H */
