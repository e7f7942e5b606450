/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --listen: a small HTTP/1.0 server on its own thread, serving what the
 * last report gathered: /metrics (Prometheus), /pprof?pid=N (gzipped
 * pprof) and /folded?pid=N (folded stacks). The session renders each report
 * once with http_server__publish(); requests only copy the rendering.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include "report.h"

struct http_server;

/* Listens on ADDR ("127.0.0.1:9464", "[::1]:9464", ":9464" for every
 * address); NULL after a message on stderr. */
struct http_server *http_server__start(const char *addr);
/* What the next requests get: r rendered in every format. */
void http_server__publish(struct http_server *s, const struct report *r,
			  enum folded_value folded_value);
/* Stops the thread, closes the socket, frees everything. */
void http_server__stop(struct http_server *s);

#endif /* HTTP_SERVER_H */
