// SPDX-License-Identifier: GPL-2.0
/*
 * The protobuf encoder (src/protobuf.c) against bytes worked out from the
 * protobuf encoding rules, and its gzip against zlib's own inflate.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "check.h"
#include "protobuf.h"

static int same(const struct pb *pb, const uint8_t *want, size_t len)
{
	return pb->len == len && !memcmp(pb->buf, want, len);
}

static void test_encoding(void)
{
	static const uint8_t one[] = {0x08, 0x96, 0x01}; /* field 1 = 150 */
	static const uint8_t big[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0xff, 0x01}; /* field 2 = -1 */
	static const uint8_t str[] = {0x32, 0x03, 'a', 'b', 'c', 0x32, 0x00};
	static const uint8_t packed[] = {0x12, 0x04, 0x01, 0x00, 0xac, 0x02}; /* 1, 0, 300 */
	static const uint8_t nested[] = {0x22, 0x02, 0x08, 0x07, 0x88, 0x01, 0x05};
	uint64_t v[] = {1, 0, 300};
	struct pb pb = {0}, sub = {0};

	pb__uint(&pb, 1, 150);
	CHECK(same(&pb, one, sizeof(one)));
	pb.len = 0;
	pb__uint(&pb, 1, 0); /* a default: not written */
	CHECK_U64(pb.len, 0);
	pb__uint(&pb, 2, (uint64_t)-1);
	CHECK(same(&pb, big, sizeof(big)));
	pb.len = 0;
	pb__string(&pb, 6, "abc");
	pb__string(&pb, 6, ""); /* kept: a string table's place matters */
	CHECK(same(&pb, str, sizeof(str)));
	pb.len = 0;
	pb__packed(&pb, 2, v, 3);
	CHECK(same(&pb, packed, sizeof(packed)));
	pb.len = 0;
	pb__uint(&sub, 1, 7);
	pb__message(&pb, 4, &sub);
	CHECK_U64(sub.len, 0);
	pb__uint(&pb, 17, 5); /* a two-byte tag */
	CHECK(same(&pb, nested, sizeof(nested)));
	pb__free(&pb);
	pb__free(&sub);
}

static void test_gzip(void)
{
	char text[10000], back[10000];
	uint8_t *gz;
	size_t len, i;
	z_stream z = {0};

	for (i = 0; i < sizeof(text); i++)
		text[i] = "leak;cache;"[i % 11];
	CHECK_U64(pb__gzip(text, sizeof(text), &gz, &len), 0);
	CHECK(len > 18 && len < sizeof(text));
	CHECK(gz[0] == 0x1f && gz[1] == 0x8b);
	CHECK(inflateInit2(&z, 15 + 16) == Z_OK);
	z.next_in = gz;
	z.avail_in = len;
	z.next_out = (Bytef *)back;
	z.avail_out = sizeof(back);
	CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
	CHECK_U64(z.total_out, sizeof(text));
	CHECK(!memcmp(text, back, sizeof(text)));
	inflateEnd(&z);
	free(gz);
}

int main(void)
{
	test_encoding();
	test_gzip();
	return check_report("test_protobuf");
}
