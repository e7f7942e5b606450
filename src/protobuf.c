// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "protobuf.h"
#include "util.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

static void put(struct pb *pb, const void *data, size_t len)
{
	if (pb->len + len > pb->cap) {
		pb->cap = (pb->len + len) * 2 + 64;
		pb->buf = xrealloc(pb->buf, pb->cap, 1);
	}
	if (len)
		memcpy(pb->buf + pb->len, data, len);
	pb->len += len;
}

static void varint(struct pb *pb, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		v >>= 7;
	} while (v);
	put(pb, b, n);
}

void pb__uint(struct pb *pb, unsigned field, uint64_t v)
{
	if (!v)
		return;
	varint(pb, (uint64_t)field << 3 | WIRE_VARINT);
	varint(pb, v);
}

void pb__bytes(struct pb *pb, unsigned field, const void *data, size_t len)
{
	varint(pb, (uint64_t)field << 3 | WIRE_LEN);
	varint(pb, len);
	put(pb, data, len);
}

void pb__string(struct pb *pb, unsigned field, const char *s)
{
	pb__bytes(pb, field, s, strlen(s));
}

void pb__message(struct pb *pb, unsigned field, struct pb *sub)
{
	pb__bytes(pb, field, sub->buf, sub->len);
	sub->len = 0;
}

void pb__packed(struct pb *pb, unsigned field, const uint64_t *v, size_t n)
{
	struct pb sub = {0};
	size_t i;

	for (i = 0; i < n; i++)
		varint(&sub, v[i]);
	pb__message(pb, field, &sub);
	pb__free(&sub);
}

void pb__free(struct pb *pb)
{
	free(pb->buf);
	memset(pb, 0, sizeof(*pb));
}

int pb__gzip(const void *data, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream z = {0};
	uLong cap;
	int rc;

	/* 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len);
	*out = xcalloc(cap ? cap : 1, 1);
	z.next_in = (Bytef *)data;
	z.avail_in = len;
	z.next_out = *out;
	z.avail_out = cap;
	rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
