// SPDX-License-Identifier: GPL-2.0
/*
 * Probe placement on the machine code of known prologues, byte for byte as
 * the libraries on Debian 12 have them, and on made-up ones that must make
 * placement fall back to the entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "placement.h"

#define RDI PLACE_KEEP_RDI
#define RSI PLACE_KEEP_RSI
#define RDX PLACE_KEEP_RDX

/* A whole function: the prologue, then `ret`s up to `len` bytes (so that the
 * branches in the prologue land inside it). */
static void place(const uint8_t *prologue, size_t plen, size_t len, unsigned keep,
		  enum placement_mode mode, struct placement *out)
{
	uint8_t code[512];

	memset(code, 0xc3, sizeof(code));
	memcpy(code, prologue, plen);
	placement__choose(code, len, keep, mode, out);
}

#define PLACE(bytes, len, keep, out) place(bytes, sizeof(bytes), len, keep, PLACE_BEST, out)

static bool contains(const char *s, const char *part)
{
	bool ok = strstr(s, part) != NULL;

	if (!ok)
		fprintf(stderr, "\t\"%s\" does not contain \"%s\"\n", s, part);
	return ok;
}

/* glibc 2.36 free: test %rdi,%rdi; je +200; push %rbp; ... */
static const uint8_t glibc_free[] = {0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00,
				     0x00, 0x55, 0x48, 0x8d, 0x77, 0xf0, 0x53};

static void test_glibc_free(void)
{
	struct placement p;

	PLACE(glibc_free, 208, RDI, &p);
	CHECK_U64(p.offset, 3);
	CHECK_U64(p.sp_delta, 0);
	CHECK(p.emulated);
	CHECK_STR(p.insn, "je 0xc8");
	CHECK(contains(p.why, "je at +3: emulated; test at +0 would be single-stepped"));
}

/* glibc 2.36 malloc: push %r12; push %rbp; push %rbx; mov %rdi,%rbx */
static void test_glibc_malloc(void)
{
	static const uint8_t code[] = {0x41, 0x54, 0x55, 0x53, 0x48, 0x89, 0xfb};
	struct placement p;

	PLACE(code, 64, RDI, &p);
	CHECK_U64(p.offset, 0);
	CHECK_U64(p.sp_delta, 0);
	CHECK(p.emulated);
	CHECK_STR(p.insn, "pushq %r12");
	CHECK(contains(p.why, "push at +0: emulated"));
}

/* jemalloc 5.3 malloc: cmp $0x1000,%rdi; ja +160 */
static void test_jemalloc_malloc(void)
{
	static const uint8_t code[] = {0x48, 0x81, 0xff, 0x00, 0x10, 0x00, 0x00,
				       0x0f, 0x87, 0x93, 0x00, 0x00, 0x00};
	struct placement p;

	PLACE(code, 176, RDI, &p);
	CHECK_U64(p.offset, 7);
	CHECK(contains(p.why, "ja at +7: emulated; cmp at +0 would be single-stepped"));
	/* with its uretprobe too: the cmp leaves %rsp where it was */
	place(code, sizeof(code), 176, RDI, PLACE_RETURN, &p);
	CHECK_U64(p.offset, 7);
	CHECK_U64(p.sp_delta, 0);
	CHECK(p.emulated);
}

/* A uretprobe's breakpoint cannot move past an instruction that moves the
 * stack pointer: the return address would no longer be at [sp].
 * mov %edi,%eax; sub $8,%rsp; jne +16 */
static void test_return_stops_at_sp_move(void)
{
	static const uint8_t code[] = {0x89, 0xf8, 0x48, 0x83, 0xec, 0x08,
				       0x0f, 0x85, 0x10, 0x00, 0x00, 0x00};
	struct placement p;

	place(code, sizeof(code), 64, RDI, PLACE_RETURN, &p);
	CHECK_U64(p.offset, 0);
	CHECK(!p.emulated);
	CHECK(contains(p.why,
		       "sub at +2 moves %rsp (the uretprobe needs the return address at [sp])"));
	/* without a uretprobe the jne is probed, 8 bytes down the stack */
	PLACE(code, 64, RDI, &p);
	CHECK_U64(p.offset, 6);
	CHECK_U64(p.sp_delta, 8);
}

/* jemalloc 5.3 free: eleven instructions that only read %rdi, then jne */
static const uint8_t jemalloc_free[] = {
    0x48, 0x89, 0xf8,					  /* mov %rdi,%rax */
    0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00,		  /* mov x(%rip),%rdx */
    0x48, 0x89, 0xf9,					  /* mov %rdi,%rcx */
    0x48, 0xc1, 0xe8, 0x1a,				  /* shr $0x1a,%rax */
    0x48, 0x81, 0xe1, 0x00, 0x00, 0x00, 0xc0,		  /* and $..,%rcx */
    0x25, 0xf0, 0x00, 0x00, 0x00,			  /* and $0xf0,%eax */
    0x64, 0x48, 0x03, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, /* add %fs:0,%rax */
    0x48, 0x01, 0xd0,					  /* add %rdx,%rax */
    0x48, 0x3b, 0x88, 0xb0, 0x01, 0x00, 0x00,		  /* cmp 0x1b0(%rax),%rcx */
    0x0f, 0x85, 0x8a, 0x00, 0x00, 0x00,			  /* jne +192 */
};

static void test_jemalloc_free(void)
{
	struct placement p;

	PLACE(jemalloc_free, 200, RDI, &p);
	CHECK_U64(p.offset, 48);
	CHECK(contains(p.why, "jne at +48: emulated; mov at +0 would be single-stepped"));
	/* a program that read %rdx could not skip the load into it */
	PLACE(jemalloc_free, 200, RDI | RDX, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "entry: mov at +0 is single-stepped; mov at +3 writes %rdx"));
}

/* libstdc++ with CET: endbr64 first; the sp changes are tracked */
static void test_endbr_and_sub(void)
{
	static const uint8_t code[] = {0xf3, 0x0f, 0x1e, 0xfa, /* endbr64 */
				       0x48, 0x83, 0xec, 0x18, /* sub $0x18,%rsp */
				       0x48, 0x85, 0xff,       /* test %rdi,%rdi */
				       0x74, 0x10};	       /* je +29 */
	struct placement p;

	PLACE(code, 40, RDI, &p);
	CHECK_U64(p.offset, 11);
	CHECK_U64(p.sp_delta, 0x18);
	CHECK(contains(p.why, "je at +11: emulated; endbr64 at +0 would be single-stepped"));
}

/* The classic frame setup: push %rbp is emulated where it stands. */
static void test_frame_pointer_prologue(void)
{
	static const uint8_t push_first[] = {0x55, 0x48, 0x89, 0xe5, 0x74, 0x00};
	static const uint8_t mov_first[] = {0x48, 0x89, 0xe5, 0x74, 0x00}; /* mov %rsp,%rbp */
	struct placement p;

	PLACE(push_first, 16, RDI, &p);
	CHECK_U64(p.offset, 0);
	CHECK(p.emulated);
	PLACE(mov_first, 16, RDI, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "entry: mov at +0 is single-stepped and writes %rbp"));
}

/* Everything that must make placement fall back to the entry. */
static void test_fallbacks(void)
{
	/* test; mov %rdi,%rax; je +11; ...; jmp back to +3 */
	static const uint8_t branch_back[] = {0x48, 0x85, 0xc0, 0x48, 0x89, 0xf8,
					      0x74, 0x03, 0xeb, 0xf9, 0xc3, 0xc3};
	static const uint8_t clobbers_rdi[] = {0x48, 0x31, 0xff, 0x74, 0x00}; /* xor %rdi,%rdi */
	static const uint8_t big_frame[] = {0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00, 0x74, 0x00};
	static const uint8_t pop_first[] = {0x5b, 0x74, 0x00}; /* pop %rbx */
	static const uint8_t stores_ret[] = {0x48, 0x89, 0x3c,
					     0x24, 0x74, 0x00}; /* mov %rdi,(%rsp) */
	static const uint8_t ret_first[] = {0x48, 0x85, 0xff, 0xc3, 0x74, 0x00};
	static const uint8_t bad_tail[] = {0x48, 0x85, 0xff, 0x74, 0x00, 0x06};
	struct placement p;

	place(branch_back, sizeof(branch_back), sizeof(branch_back), RDI, PLACE_BEST, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "a branch jumps to +3"));
	PLACE(clobbers_rdi, 8, RDI, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "xor at +0 is single-stepped and writes %rdi"));
	PLACE(clobbers_rdi, 8, 0, &p); /* a wrapper reads no argument */
	CHECK_U64(p.offset, 3);
	PLACE(big_frame, 16, RDI, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "moves %rsp by an amount not tracked"));
	PLACE(pop_first, 8, RDI, &p);
	CHECK_U64(p.offset, 0);
	PLACE(stores_ret, 8, RDI, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "stores to the caller's frame"));
	PLACE(ret_first, 8, RDI, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "ret at +3 changes control flow"));
	place(bad_tail, sizeof(bad_tail), sizeof(bad_tail), RDI, PLACE_BEST, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "does not decode to its end"));
	place(glibc_free, sizeof(glibc_free), 208, RDI, PLACE_ENTRY_FORCED, &p);
	CHECK_U64(p.offset, 0);
	CHECK(!p.emulated);
	CHECK(contains(p.why, "test at +0: single-stepped (--probe-at-entry)"));
	placement__choose(glibc_free, 0, RDI, PLACE_BEST, &p);
	CHECK_U64(p.offset, 0);
}

/* The file reader: a function read from a file is placed like its bytes. */
static void test_from_file(void)
{
	char path[] = "/tmp/test_placement.XXXXXX";
	uint8_t code[256];
	struct placement p;
	int fd = mkstemp(path);

	memset(code, 0xc3, sizeof(code));
	memcpy(code + 32, glibc_free, sizeof(glibc_free));
	CHECK(fd >= 0 && write(fd, code, sizeof(code)) == (ssize_t)sizeof(code));
	placement__for_function(path, 32, 208, RDI, PLACE_BEST, &p);
	CHECK_U64(p.offset, 3);
	placement__for_function(path, 32, 0, RDI, PLACE_BEST, &p);
	CHECK_U64(p.offset, 0);
	CHECK(contains(p.why, "its symbol has no size"));
	close(fd);
	unlink(path);
}

int main(void)
{
	test_glibc_free();
	test_glibc_malloc();
	test_jemalloc_malloc();
	test_return_stops_at_sp_move();
	test_jemalloc_free();
	test_endbr_and_sub();
	test_frame_pointer_prologue();
	test_fallbacks();
	test_from_file();
	return check_report("placement");
}
