// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kind.h"
#include "push.h"
#include "util.h"

#define TIMEOUT_MS 2000

struct pusher {
	char *host, *port, *prefix; /* prefix: "" or "/path", no trailing '/' */
	time_t last;		    /* `until` of the previous push */
	unsigned long failures;
	bool failing;
};

struct pusher *push__new(const char *url)
{
	const char *p = url + 7, *slash, *colon;
	struct pusher *pu;
	size_t n;

	if (strncmp(url, "http://", 7) || !*p || *p == '/' || *p == ':') {
		ls_error("invalid --push '%s' (expected http://HOST[:PORT][/PATH])", url);
		return NULL;
	}
	pu = xcalloc(1, sizeof(*pu));
	slash = p + strcspn(p, "/?#");
	colon = memchr(p, ':', slash - p);
	pu->host = strndup(p, (colon ? colon : slash) - p);
	pu->port = colon ? strndup(colon + 1, slash - colon - 1) : xstrdup("80");
	n = strcspn(slash, "?#");
	while (n && slash[n - 1] == '/')
		n--;
	pu->prefix = strndup(slash, n);
	if (!pu->host || !pu->port || !pu->prefix || !*pu->port ||
	    strspn(pu->port, "0123456789") != strlen(pu->port)) {
		ls_error("invalid --push '%s' (expected http://HOST[:PORT][/PATH])", url);
		push__free(pu);
		return NULL;
	}
	pu->last = time(NULL);
	return pu;
}

void push__free(struct pusher *p)
{
	if (!p)
		return;
	free(p->host);
	free(p->port);
	free(p->prefix);
	free(p);
}

/* A connected socket within TIMEOUT_MS, or -errno. */
static int connect_to(const struct pusher *p)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
	struct pollfd pfd = {.events = POLLOUT};
	int fd, err = 0;
	socklen_t len = sizeof(err);

	if (getaddrinfo(p->host, p->port, &hints, &ai))
		return -EHOSTUNREACH;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return -errno;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
		err = errno;
	freeaddrinfo(ai);
	pfd.fd = fd;
	if (!err && poll(&pfd, 1, TIMEOUT_MS) != 1)
		err = ETIMEDOUT;
	if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		close(fd);
		return -err;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t n;

		if (poll(&pfd, 1, TIMEOUT_MS) != 1)
			return -ETIMEDOUT;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			buf += n;
			len -= n;
		}
	}
	return 0;
}

/* The status code of the response, or -errno. */
static int read_status(int fd)
{
	char buf[64] = "";
	size_t len = 0;
	int code;

	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, TIMEOUT_MS) != 1)
			return -ETIMEDOUT;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
	}
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
		return -EPROTO;
	return code;
}

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static void url_encode(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			fputc(c, out);
		else
			fprintf(out, "%%%02X", c);
	}
}

/* Pyroscope label values: letters, digits and "_-." only. */
static void label_value(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(strchr("_-.", *s) || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			      (*s >= '0' && *s <= '9')
			  ? *s
			  : '_',
		      out);
}

/* The folded stacks of one process and kind: "main;leak;malloc 4096\n". */
static size_t folded_body(const struct report *r, int pid, int kind, char **body)
{
	FILE *out;
	size_t len = 0, i, k, lines = 0;

	*body = NULL;
	out = open_memstream(body, &len);
	if (!out)
		return 0;
	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];

		if ((int)e->row.site.tgid != pid || e->row.site.kind != kind)
			continue;
		for (k = e->nframes; k-- > 0;) {
			const char *f;

			for (f = e->frames[k]; *f; f++) /* ';' and ' ' split folded lines */
				fputc(*f == ';' ? ':' : *f == ' ' || *f == '\n' ? '_' : *f, out);
			if (k)
				fputc(';', out);
		}
		fprintf(out, " %" PRId64 "\n", kind__has_bytes(kind) ? e->row.bytes : e->row.count);
		lines++;
	}
	fclose(out);
	if (!lines) {
		free(*body);
		*body = NULL;
		len = 0;
	}
	return len;
}

static int push_one(struct pusher *p, const struct report_process *proc, int kind, const char *body,
		    size_t body_len, time_t until)
{
	char *head = NULL, name[512];
	size_t head_len = 0;
	FILE *out = open_memstream(&head, &head_len);
	FILE *n = fmemopen(name, sizeof(name), "w");
	int fd, err;

	if (!out || !n) {
		if (out)
			fclose(out);
		free(head);
		if (n)
			fclose(n);
		return -ENOMEM;
	}
	fprintf(n, "leakscope.%s{pid=%d,comm=", kind__name(kind), proc->pid);
	label_value(n, proc->comm);
	fputc('}', n);
	fputc('\0', n);
	fclose(n);
	name[sizeof(name) - 1] = '\0';
	fprintf(out, "POST %s/ingest?name=", p->prefix);
	url_encode(out, name);
	fprintf(out,
		"&from=%lld&until=%lld&format=folded&units=%s&aggregationType=sum"
		"&spyName=leakscope HTTP/1.0\r\nHost: %s:%s\r\nContent-Type: text/plain\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n",
		(long long)p->last, (long long)until, kind__has_bytes(kind) ? "bytes" : "objects",
		p->host, p->port, body_len);
	fclose(out);
	fd = connect_to(p);
	err = fd < 0 ? fd : send_all(fd, head, head_len);
	if (!err)
		err = send_all(fd, body, body_len);
	if (!err) {
		err = read_status(fd);
		if (err >= 200 && err < 300)
			err = 0;
		else if (err > 0)
			err = -EPROTO;
	}
	if (fd >= 0)
		close(fd);
	free(head);
	return err;
}

void push__report(struct pusher *p, const struct report *r)
{
	time_t until = time(NULL);
	size_t i;
	int k, err = 0;

	if (until <= p->last)
		until = p->last + 1; /* Pyroscope wants from < until */
	for (i = 0; i < r->nprocs && !err; i++) {
		for (k = 0; k < LS_KIND_MAX && !err; k++) {
			char *body;
			size_t len;

			if (!(r->kinds & (1u << k)))
				continue;
			len = folded_body(r, r->procs[i].pid, k, &body);
			if (len)
				err = push_one(p, &r->procs[i], k, body, len, until);
			free(body);
		}
	}
	if (err) {
		p->failures++;
		if (!p->failing)
			ls_error("cannot push to http://%s:%s%s/ingest: %s (said once until it "
				 "works again)",
				 p->host, p->port, p->prefix,
				 err == -EPROTO ? "bad response" : strerror(-err));
		p->failing = true;
		return;
	}
	if (p->failing)
		ls_info("pushing to http://%s:%s%s works again after %lu failures", p->host,
			p->port, p->prefix, p->failures);
	p->failing = false;
	p->last = until;
}
