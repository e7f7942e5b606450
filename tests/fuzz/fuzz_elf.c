// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any file handed to elf_symtab__open_fd(), as a mapped file
 * of a traced process could be.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       -o build/fuzz_elf tests/fuzz/fuzz_elf.c src/elf_file.c src/elf_symtab.c -lelf -lz
 *   mkdir -p build/corpus/elf
 *   build/fuzz_elf -max_total_time=60 -rss_limit_mb=2048 build/corpus/elf tests/fuzz/corpus/elf
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_symtab.h"

static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* Debug-file lookups must not wander into the host's real debug files. */
	elf_symtab__set_debug_root("/nonexistent-debug-root");
	fd = memfd_create("fuzz_elf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	return 0;
}

static uint64_t word(const uint8_t *data, size_t size, size_t at)
{
	uint64_t v = 0;

	if (at + sizeof(v) <= size)
		memcpy(&v, data + at, sizeof(v));
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_symtab *s;
	struct go_frame frames[4];
	uint64_t probes[8], off, vaddr;

	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	s = elf_symtab__open_fd(fd, "/nonexistent-dir/fuzz.elf");
	if (!s)
		return 0;

	probes[0] = 0;
	probes[1] = 0x1000;
	probes[2] = UINT64_MAX;
	probes[3] = size;
	for (size_t i = 4; i < 8; i++)
		probes[i] = word(data, size, 24 + 8 * (i - 4)); /* e_entry, e_phoff, ... */
	for (size_t i = 0; i < 8; i++) {
		const char *name = elf_symtab__lookup(s, probes[i], &off);

		if (name && strlen(name) == 0)
			abort(); /* empty names are filtered out */
		if (!elf_symtab__offset_to_vaddr(s, probes[i], &vaddr))
			elf_symtab__lookup(s, vaddr, NULL);
		if (elf_symtab__source(s, probes[i], frames, 4) > 4)
			abort();
	}
	{
		const char *id = elf_symtab__build_id(s);

		if (id && strspn(id, "0123456789abcdef") != strlen(id))
			abort();
	}
	elf_symtab__symbol_count(s);
	elf_symtab__close(s);
	return 0;
}
