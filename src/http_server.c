// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http_server.h"
#include "util.h"

#define REQUEST_MAX 8192

struct body {
	char *data;
	size_t len;
};

/* One process of the last report, rendered. */
struct rendered {
	int pid;
	struct body pprof, folded;
};

struct http_server {
	int listen_fd, stop_pipe[2];
	pthread_t thread;
	pthread_mutex_t lock; /* guards what follows */
	bool published;
	struct body metrics;
	struct rendered *procs;
	size_t nprocs;
};

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0 && errno != EINTR)
			return; /* the client went away or timed out */
		if (n > 0) {
			p += n;
			len -= n;
		}
	}
}

static void respond(int fd, const char *status, const char *type, const struct body *b, bool head)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, b->len);

	write_all(fd, hdr, n);
	if (!head)
		write_all(fd, b->data, b->len);
}

static void respond_text(int fd, const char *status, const char *text)
{
	struct body b = {(char *)text, strlen(text)};

	respond(fd, status, "text/plain; charset=utf-8", &b, false);
}

/* ?pid=N, or the only process when there is no pid. NULL: none such. */
static const struct rendered *find_process(const struct http_server *s, const char *query)
{
	const char *p = query ? strstr(query, "pid=") : NULL;
	size_t i;
	int pid;

	if (!p)
		return s->nprocs == 1 ? &s->procs[0] : NULL;
	pid = atoi(p + 4);
	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

/* A copy of what `path` serves, taken under the lock; 0, or an HTTP status. */
static int lookup(struct http_server *s, const char *path, const char *query, struct body *out,
		  const char **type)
{
	const struct rendered *p = NULL;
	const struct body *b = NULL;
	int status = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->published) {
		status = 503;
	} else if (!strcmp(path, "/metrics")) {
		b = &s->metrics;
		*type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (!strcmp(path, "/pprof") || !strcmp(path, "/folded")) {
		p = find_process(s, query);
		if (!p)
			status = 404;
		else if (path[1] == 'p')
			b = &p->pprof;
		else
			b = &p->folded;
		*type = path[1] == 'p' ? "application/octet-stream" : "text/plain; charset=utf-8";
	} else {
		status = 404;
	}
	if (b) {
		out->data = xcalloc(b->len + 1, 1);
		if (b->len)
			memcpy(out->data, b->data, b->len);
		out->len = b->len;
	}
	pthread_mutex_unlock(&s->lock);
	return status;
}

static void serve(struct http_server *s, int fd)
{
	struct timeval tv = {.tv_sec = 2};
	char req[REQUEST_MAX + 1], *path, *query, *end;
	struct body b = {0};
	const char *type = "";
	size_t len = 0;
	bool head;
	int status;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < REQUEST_MAX) { /* the request line and headers; no body */
		ssize_t n = read(fd, req + len, REQUEST_MAX - len);

		if (n <= 0)
			break;
		len += n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[len] = '\0';
	head = !strncmp(req, "HEAD ", 5);
	if (strncmp(req, "GET ", 4) && !head) {
		respond_text(fd, "405 Method Not Allowed", "GET or HEAD only\n");
		return;
	}
	path = req + (head ? 5 : 4);
	end = path + strcspn(path, " \r\n");
	*end = '\0';
	query = strchr(path, '?');
	if (query)
		*query++ = '\0';
	if (!strcmp(path, "/")) {
		respond_text(fd, "200 OK",
			     "leakscope: /metrics (Prometheus), /pprof?pid=N (gzipped pprof), "
			     "/folded?pid=N (folded stacks)\n");
		return;
	}
	status = lookup(s, path, query, &b, &type);
	if (status == 503)
		respond_text(fd, "503 Service Unavailable", "no report yet\n");
	else if (status == 404)
		respond_text(fd, "404 Not Found", "no such path or process\n");
	else
		respond(fd, "200 OK", type, &b, head);
	free(b.data);
}

static void *server_thread(void *arg)
{
	struct http_server *s = arg;

	for (;;) {
		struct pollfd pfd[2] = {{.fd = s->listen_fd, .events = POLLIN},
					{.fd = s->stop_pipe[0], .events = POLLIN}};
		int fd;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(s, fd);
		close(fd);
	}
	return NULL;
}

/* "host:port", "[v6]:port", ":port"; the socket, or -1 after a message. */
static int listen_on(const char *addr)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
			*ai = NULL;
	char *host = xstrdup(addr), *port = strrchr(host, ':'), *h = host;
	int fd = -1, one = 1, err;

	if (!port || !port[1]) {
		ls_error("invalid --listen '%s' (expected HOST:PORT)", addr);
		free(host);
		return -1;
	}
	*port++ = '\0';
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	err = getaddrinfo(*h ? h : NULL, port, &hints, &ai);
	if (err) {
		ls_error("invalid --listen '%s': %s", addr, gai_strerror(err));
		free(host);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		ls_error("cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	free(host);
	return fd;
}

struct http_server *http_server__start(const char *addr)
{
	struct http_server *s = xcalloc(1, sizeof(*s));

	s->listen_fd = listen_on(addr);
	if (s->listen_fd < 0) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if (pipe2(s->stop_pipe, O_CLOEXEC) || pthread_create(&s->thread, NULL, server_thread, s)) {
		ls_error("cannot start the HTTP server: %s", strerror(errno));
		close(s->listen_fd);
		free(s);
		return NULL;
	}
	ls_info("serving /metrics, /pprof, /folded on %s", addr);
	return s;
}

static void free_rendered(struct body *metrics, struct rendered *procs, size_t n)
{
	size_t i;

	free(metrics->data);
	for (i = 0; i < n; i++) {
		free(procs[i].pprof.data);
		free(procs[i].folded.data);
	}
	free(procs);
}

/* r's entries of one process, in a report of their own. */
static void render_folded(const struct report *r, int pid, enum folded_value value,
			  struct body *out)
{
	struct report sub = *r;
	FILE *f = open_memstream(&out->data, &out->len);
	size_t i;

	sub.entries = xcalloc(r->count + 1, sizeof(*sub.entries));
	sub.count = 0;
	for (i = 0; i < r->count; i++)
		if ((int)r->entries[i].row.site.tgid == pid)
			sub.entries[sub.count++] = r->entries[i];
	sub.nprocs = 1; /* one process: no process frame */
	if (f) {
		report_folded__print(f, &sub, value);
		fclose(f);
	}
	free(sub.entries);
}

void http_server__publish(struct http_server *s, const struct report *r,
			  enum folded_value folded_value)
{
	struct body metrics = {0};
	struct rendered *procs = xcalloc(r->nprocs + 1, sizeof(*procs));
	FILE *f = open_memstream(&metrics.data, &metrics.len);
	size_t i, n;

	if (f) {
		report_prometheus__print(f, r);
		fclose(f);
	}
	for (i = 0; i < r->nprocs; i++) {
		procs[i].pid = r->procs[i].pid;
		if (report_pprof__encode(r, procs[i].pid, (uint8_t **)&procs[i].pprof.data,
					 &procs[i].pprof.len))
			procs[i].pprof.len = 0;
		render_folded(r, procs[i].pid, folded_value, &procs[i].folded);
	}
	pthread_mutex_lock(&s->lock);
	/* swap in the new rendering, free the old one outside the lock */
	{
		struct body old_metrics = s->metrics;
		struct rendered *old = s->procs;

		n = s->nprocs;
		s->metrics = metrics;
		s->procs = procs;
		s->nprocs = r->nprocs;
		s->published = true;
		metrics = old_metrics;
		procs = old;
	}
	pthread_mutex_unlock(&s->lock);
	free_rendered(&metrics, procs, n);
}

void http_server__stop(struct http_server *s)
{
	if (!s)
		return;
	if (write(s->stop_pipe[1], "x", 1) == 1)
		pthread_join(s->thread, NULL);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	close(s->listen_fd);
	pthread_mutex_destroy(&s->lock);
	free_rendered(&s->metrics, s->procs, s->nprocs);
	free(s);
}
