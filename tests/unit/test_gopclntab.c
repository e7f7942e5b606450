// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of gopclntab and go_elf on the Go fixture (tests/fixtures/go,
 * built with and without a symbol table): names from .gopclntab match the
 * .symtab ones, file:line match the source, main.openDevNull is seen inlined
 * in main.openFiles (also in a PIE), the version comes from .go.buildinfo, the
 * stripped file is symbolized through elf_symtab's fallback, and broken
 * tables are refused.
 *
 *   build/unit/test_gopclntab build/unit/fixtures   (Go fixtures in ../../fixtures)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "elf_file.h"
#include "elf_symtab.h"
#include "go_elf.h"
#include "gopclntab.h"
#include "symbolizer.h"

static char full[4096], stripped[4096], pie[4096];

static struct gopclntab *pclntab_of(const char *path)
{
	struct gopclntab *t = NULL;
	size_t size;
	int fd = open(path, O_RDONLY);
	Elf *e = fd >= 0 ? elf_file__begin(fd, &size) : NULL;

	if (e)
		t = go_elf__pclntab(e, size);
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return t;
}

/* The line of the first line of `file` that contains `text`, 0 when none. */
static int line_of(const char *file, const char *text)
{
	char buf[512];
	int n = 0;
	FILE *f = fopen(file, "r");

	while (f && fgets(buf, sizeof(buf), f)) {
		n++;
		if (strstr(buf, text)) {
			fclose(f);
			return n;
		}
	}
	if (f)
		fclose(f);
	return 0;
}

static void test_names_match_symtab(void)
{
	struct elf_symtab *tab = elf_symtab__open(full);
	struct gopclntab *t = pclntab_of(full);
	struct go_binary *b = go_binary__open(full);
	uint64_t text, size, off, compared = 0;

	if (!CHECK(tab && t && b))
		goto out;
	CHECK(go_binary__has_symtab(b));
	CHECK(!go_binary__function(b, "runtime.main", &text, &size));
	/* every 97th byte of the first 2 MiB of text: same function */
	for (uint64_t pc = text & ~0xfffULL; pc < (text & ~0xfffULL) + (2 << 20); pc += 97) {
		const char *a = elf_symtab__lookup(tab, pc, NULL),
			   *g = gopclntab__lookup(t, pc, &off);
		size_t n = a ? strlen(a) : 0;

		/* .symtab spells out what .gopclntab abbreviates: assembly
		 * functions are "x.abi0" there, "x" here; type arguments of
		 * generic functions "[...]" here; "·" is "." there */
		if (!a || !g || (n > 5 && !strcmp(a + n - 5, ".abi0")) || strchr(a, '[') ||
		    strstr(g, "\xc2\xb7"))
			continue;
		compared++;
		CHECK_STR(g, a);
	}
	CHECK(compared > 10000);
out:
	elf_symtab__close(tab);
	gopclntab__free(t);
	go_binary__close(b);
}

/* `path` has no symbol table: `stripped`, or a PIE (-buildmode=pie keeps
 * the table in .data.rel.ro.gopclntab) */
static void test_lines_and_inlining(const char *path, bool has_symtab)
{
	struct gopclntab *t = pclntab_of(path);
	struct go_binary *b = go_binary__open(path);
	struct go_frame f[8];
	uint64_t entry, size;
	size_t n;
	bool inlined = false;

	if (!CHECK(t && b))
		goto out;
	CHECK(go_binary__has_symtab(b) == has_symtab);
	CHECK(!go_binary__loads_libraries(b)); /* pure Go, PIE or not */
	CHECK(go_binary__entry(b) != 0);
	CHECK(!strncmp(go_binary__version(b), "go1.19", 6));
	CHECK_U64(go_elf__minor(go_binary__version(b)), 19);
	CHECK_U64(gopclntab__format(t), 18);
	if (!CHECK(!go_binary__function(b, "main.blockedSenders", &entry, &size)))
		goto out;
	n = gopclntab__frames(t, entry, f, 8);
	CHECK_U64(n, 1);
	CHECK_STR(f[0].function, "main.blockedSenders");
	CHECK(strstr(f[0].file, "tests/fixtures/go/main.go") != NULL);
	CHECK_U64(f[0].line, line_of(f[0].file, "func blockedSenders("));
	/* the call to os.OpenFile in main.openFiles is main.openDevNull's,
	 * inlined */
	if (!CHECK(!go_binary__function(b, "main.openFiles", &entry, &size)))
		goto out;
	for (uint64_t pc = entry; pc < entry + size && !inlined; pc++) {
		n = gopclntab__frames(t, pc, f, 8);
		if (n == 2 && !strcmp(f[0].function, "main.openDevNull")) {
			inlined = true;
			CHECK_U64(f[0].line, line_of(f[0].file, "leakscope: open\n"));
			CHECK_STR(f[1].function, "main.openFiles");
			CHECK_STR(f[1].file, f[0].file);
			CHECK_U64(f[1].line, line_of(f[1].file, "leakscope: openDevNull call"));
		}
	}
	CHECK(inlined);
out:
	gopclntab__free(t);
	go_binary__close(b);
}

/* A file without .symtab is symbolized from .gopclntab by elf_symtab. */
static void test_symtab_fallback(void)
{
	struct elf_symtab *tab = elf_symtab__open(stripped);
	struct go_binary *b = go_binary__open(stripped);
	uint64_t entry, size, off = 0;

	if (!CHECK(tab && b) || !CHECK(!go_binary__function(b, "main.leakBodies", &entry, &size)))
		goto out;
	CHECK_STR(elf_symtab__lookup(tab, entry + 5, &off), "main.leakBodies");
	CHECK_U64(off, 5);
out:
	elf_symtab__close(tab);
	go_binary__close(b);
}

/* A pc of main.openFiles in main.openDevNull's inlined body, 0 when none. */
static uint64_t inlined_pc(const char *path)
{
	struct gopclntab *t = pclntab_of(path);
	struct go_binary *b = go_binary__open(path);
	uint64_t entry, size, found = 0;
	struct go_frame f[4];

	if (t && b && !go_binary__function(b, "main.openFiles", &entry, &size))
		for (uint64_t pc = entry; pc < entry + size && !found; pc++)
			if (gopclntab__frames(t, pc, f, 4) == 2 &&
			    !strcmp(f[0].function, "main.openDevNull"))
				found = pc;
	gopclntab__free(t);
	go_binary__close(b);
	return found;
}

/*
 * The symbolizer on a running Go program (not PIE: its vaddrs are its
 * addresses), with and without a symbol table: the same names from
 * .gopclntab (runtime.goexit, which .symtab calls runtime.goexit.abi0), and
 * the inlined call a frame of its own, each with its file:line.
 */
static void test_symbolizer(const char *path)
{
	struct symbolizer *s = NULL;
	struct go_binary *b = go_binary__open(path);
	uint64_t pc = inlined_pc(path), goexit = 0, size;
	struct frame f[SYMBOLIZER_MAX_INLINE];
	int out[2] = {-1, -1};
	char ready[8] = "";
	pid_t pid = -1;

	if (!CHECK(b && pc) || !CHECK(pipe(out) == 0) ||
	    !CHECK(!go_binary__function(b, "runtime.goexit", &goexit, &size)))
		goto out;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		execl(path, path, "wait", (char *)NULL);
		_exit(127);
	}
	/* "ready": the runtime runs main.main, the executable is mapped */
	if (!CHECK(read(out[0], ready, 6) == 6 && !strcmp(ready, "ready\n")))
		goto out;
	s = symbolizer__new(pid);
	if (!CHECK(s && symbolizer__refresh(s) == 0))
		goto out;
	CHECK_U64(symbolizer__resolve(s, pc + 1, f, SYMBOLIZER_MAX_INLINE), 2);
	CHECK_STR(f[0].function, "main.openDevNull");
	CHECK(f[0].file && strstr(f[0].file, "tests/fixtures/go/main.go"));
	CHECK_U64(f[0].line, line_of(f[0].file, "leakscope: open\n"));
	CHECK_STR(f[1].function, "main.openFiles");
	CHECK_STR(f[1].file, f[0].file);
	CHECK_U64(f[1].line, line_of(f[0].file, "leakscope: openDevNull call"));
	CHECK_STR(f[1].module, strrchr(path, '/') + 1);
	/* no room for the inlined call: the function at the call's line */
	CHECK_U64(symbolizer__resolve(s, pc + 1, f, 1), 1);
	CHECK_STR(f[0].function, "main.openFiles");
	CHECK_U64(f[0].line, line_of(f[0].file, "leakscope: openDevNull call"));
	CHECK_U64(symbolizer__resolve(s, goexit + 2, f, SYMBOLIZER_MAX_INLINE), 1);
	CHECK_STR(f[0].function, "runtime.goexit");
	CHECK(f[0].file && strstr(f[0].file, "runtime/asm_amd64.s"));
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (out[0] >= 0) {
		close(out[0]);
		close(out[1]);
	}
	symbolizer__free(s);
	go_binary__close(b);
}

static void test_broken_tables(void)
{
	static const uint8_t magic[8] = {0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8};
	uint8_t buf[128] = {0};

	CHECK(!gopclntab__new(magic, sizeof(magic), NULL, 0)); /* truncated */
	memcpy(buf, magic, sizeof(magic));
	CHECK(!gopclntab__new(buf, sizeof(buf), NULL, 0)); /* no functions */
	buf[8] = 200;					   /* functab past the end */
	CHECK(!gopclntab__new(buf, sizeof(buf), NULL, 0));
	buf[0] = 0xfb; /* Go 1.16's magic: not this format */
	CHECK(!gopclntab__new(buf, sizeof(buf), NULL, 0));
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/unit/fixtures";

	snprintf(full, sizeof(full), "%s/../../fixtures/goleaks", dir);
	snprintf(stripped, sizeof(stripped), "%s/../../fixtures/goleaks_stripped", dir);
	snprintf(pie, sizeof(pie), "%s/../../fixtures/goleaks_pie", dir);
	test_names_match_symtab();
	test_lines_and_inlining(stripped, false);
	test_lines_and_inlining(pie, true);
	test_symtab_fallback();
	test_symbolizer(full);
	test_symbolizer(stripped);
	test_broken_tables();
	return check_report("test_gopclntab");
}
