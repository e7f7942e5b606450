/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A protocol buffers encoder, just what pprof profiles need: varints,
 * length-delimited fields (strings, bytes, nested messages) and packed
 * repeated varints, appended to a growing buffer.
 */
#ifndef PROTOBUF_H
#define PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb {
	uint8_t *buf;
	size_t len, cap;
};

/* A varint field (int64 values are their two's complement, as protobuf
 * encodes int64); nothing is written for 0, as proto3 omits defaults. */
void pb__uint(struct pb *pb, unsigned field, uint64_t v);
/* A length-delimited field: bytes, a string or an encoded message. Written
 * even when empty (a repeated string must keep its place). */
void pb__bytes(struct pb *pb, unsigned field, const void *data, size_t len);
void pb__string(struct pb *pb, unsigned field, const char *s);
/* A nested message: pb__bytes of sub's contents, and sub emptied. */
void pb__message(struct pb *pb, unsigned field, struct pb *sub);
/* Packed repeated varints (uint64, or int64 as two's complement). */
void pb__packed(struct pb *pb, unsigned field, const uint64_t *v, size_t n);
void pb__free(struct pb *pb);

/* gzip (RFC 1952) of data, into *out (malloc'd); 0 or -ENOMEM. */
int pb__gzip(const void *data, size_t len, uint8_t **out, size_t *out_len);

#endif /* PROTOBUF_H */
