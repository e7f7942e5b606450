// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of proc_maps, elf_symtab and symbolizer.
 *
 * Build and run (from the repository root):
 *   tests/unit/build_fixtures.sh build/fixtures
 *   gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -Iinclude -Isrc -o build/test_symbolize \
 *       tests/unit/test_symbolize.c src/proc_maps.c src/elf_file.c src/elf_symtab.c \
 *       src/symbolizer.c src/util.c -lelf -lz
 *   build/test_symbolize build/fixtures
 *
 * Expected values come from binutils (nm, readelf; see build_fixtures.sh) or,
 * for the end-to-end checks on this very process, from the compiler (&function).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "elf_symtab.h"
#include "proc_maps.h"
#include "symbolizer.h"

static const char *fx;	     /* fixture directory (argv[1]) */
static char tmp[PATH_MAX];   /* scratch directory, removed at the end */
static const char *build_id; /* of fixtures/syms, from readelf */

/* Start of this executable's image: in a PIE its vaddr is 0, so this is the load bias. */
extern const char __executable_start[];
static const char rodata_blob[64] = "not code";

__attribute__((noinline)) static int local_fn(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

/* snprintf into a PATH_MAX buffer; a test path that does not fit is a broken setup. */
__attribute__((format(printf, 2, 3))) static char *pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX) {
		fprintf(stderr, "path too long: %s\n", buf);
		exit(2);
	}
	return buf;
}

static const char *path_in(char *buf, const char *dir, const char *name)
{
	return pathf(buf, "%s/%s", dir, name);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = calloc(1, (size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static int copy_file(const char *src, const char *dst)
{
	size_t len;
	char *buf = slurp(src, &len);
	FILE *f;
	int ok;

	if (!buf)
		return -1;
	f = fopen(dst, "wb");
	ok = f && fwrite(buf, 1, len, f) == len;
	if (f && fclose(f))
		ok = 0;
	free(buf);
	return ok ? 0 : -1;
}

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

/* Address and size of a symbol in the fixture, as nm -S printed them. */
static int nm_lookup(const char *name, uint64_t *addr, uint64_t *size)
{
	char path[PATH_MAX], line[512], sym[256], type;
	FILE *f = fopen(path_in(path, fx, "syms.nm"), "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %c %255s", addr, size, &type, sym) == 4 &&
		    !strcmp(sym, name))
			found = 1;
	}
	fclose(f);
	return found;
}

static void test_parse_line(void)
{
	static const struct {
		const char *line;
		uint64_t start, end, offset, inode;
		unsigned int major, minor;
		const char *perms, *path;
	} good[] = {
	    {"7f1c2a000000-7f1c2a022000 r-xp 00001000 fe:01 1234567                    "
	     "/usr/lib/libc.so.6\n",
	     0x7f1c2a000000, 0x7f1c2a022000, 0x1000, 1234567, 0xfe, 1, "r-xp",
	     "/usr/lib/libc.so.6"},
	    {"55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]",
	     0x55d0c0a00000, 0x55d0c0a21000, 0, 0, 0, 0, "rw-p", "[heap]"},
	    {"7ffd1000-7ffd2000 ---s 00000000 00:00 0\n", 0x7ffd1000, 0x7ffd2000, 0, 0, 0, 0,
	     "---s", ""},
	    {"1000-2000 r--p ffffffffffff0000 103:0a 18446744073709551615 /tmp/a b (deleted)",
	     0x1000, 0x2000, 0xffffffffffff0000ULL, UINT64_MAX, 0x103, 0xa, "r--p",
	     "/tmp/a b (deleted)"},
	};
	static const char *const bad[] = {
	    "",
	    "\n",
	    "zzz",
	    "1000-2000",
	    "1000-2000 r-xp",
	    "2000-1000 r-xp 00000000 00:00 0",
	    "1000-1000 r-xp 00000000 00:00 0",
	    "1000-2000 rwxq 00000000 00:00 0",
	    "1000-2000 r-x 00000000 00:00 0",
	    "10000000000000000-20000000000000000 r-xp 00000000 00:00 0",
	    "1000-2000 r-xp 00000000 00:00 99999999999999999999",
	    "1000-2000 r-xp 00000000 00:00 0/path",
	    "1000-2000 r-xp 00000000 1000:00 0 /x",
	    "1000-2000 r-xp 00000000 00-00 0 /x",
	    "1000-2000 r-xp 00000000 00:00 /x",
	    "1000-2000 r-xp 00000000 00:00 0 /a\n/b",
	};
	struct map_entry e;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(proc_maps__parse_line(good[i].line, &e) == 0);
		CHECK_U64(e.start, good[i].start);
		CHECK_U64(e.end, good[i].end);
		CHECK_U64(e.offset, good[i].offset);
		CHECK_U64(e.inode, good[i].inode);
		CHECK_U64(e.dev_major, good[i].major);
		CHECK_U64(e.dev_minor, good[i].minor);
		CHECK_STR(e.perms, good[i].perms);
		CHECK_STR(e.path, good[i].path);
		free(e.path);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!CHECK(proc_maps__parse_line(bad[i], &e) == -EINVAL))
			fprintf(stderr, "\tline: \"%s\"\n", bad[i]);
		CHECK(e.path == NULL);
	}
}

static void test_parse_and_find(void)
{
	static const char text[] = "3000-4000 r-xp 00001000 08:01 7 /bin/b\n"
				   "\n"
				   "1000-2000 r--p 00000000 08:01 7 /bin/b\n"
				   "4000-5000 rw-p 00000000 00:00 0 ";
	struct proc_maps m;

	CHECK(proc_maps__parse(text, sizeof(text) - 1, &m) == 0);
	CHECK_U64(m.count, 3);
	if (m.count == 3) {
		CHECK_U64(m.entries[0].start, 0x1000);
		CHECK(proc_maps__find(&m, 0xfff) == NULL);
		CHECK(proc_maps__find(&m, 0x1000) == &m.entries[0]);
		CHECK(proc_maps__find(&m, 0x1fff) == &m.entries[0]);
		CHECK(proc_maps__find(&m, 0x2000) == NULL);
		CHECK(proc_maps__find(&m, 0x3000) == &m.entries[1]);
		CHECK(proc_maps__find(&m, 0x4fff) == &m.entries[2]);
		CHECK(proc_maps__find(&m, 0x5000) == NULL);
	}
	proc_maps__free(&m);
	CHECK(proc_maps__parse("1000-2000 r--p 0 0:0 0\nbroken\n", 30, &m) == -EINVAL);
	CHECK(m.count == 0 && m.entries == NULL);
	CHECK(proc_maps__parse("1000-2000 r--p 0 0:0 0 /a\0b\n", 27, &m) == -EINVAL);
	CHECK(proc_maps__parse("1000-3000 r--p 0 0:0 0\n2000-2100 r--p 0 0:0 0\n", 46, &m) ==
	      -EINVAL);
}

/* alpha, beta, zeta and delta (a weak alias of __delta_impl) resolve as nm
 * says; NULL tab means "could not open". */
static void check_fixture_symbols(const struct elf_symtab *s, const char *what)
{
	static const char *const names[] = {"alpha", "beta", "zeta", "delta"};
	uint64_t addr, size, off = 0;

	if (!CHECK(s != NULL)) {
		fprintf(stderr, "\t%s: %s\n", what, strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!CHECK(nm_lookup(names[i], &addr, &size)))
			continue;
		if (!CHECK(elf_symtab__lookup(s, addr, &off) != NULL))
			fprintf(stderr, "\t%s: %s not found\n", what, names[i]);
		CHECK_STR(elf_symtab__lookup(s, addr, &off), names[i]);
		CHECK_U64(off, 0);
		CHECK_STR(elf_symtab__lookup(s, addr + size - 1, &off), names[i]);
		CHECK_U64(off, size - 1);
	}
	CHECK_STR(elf_symtab__build_id(s), build_id);
}

static void test_full_elf(void)
{
	char path[PATH_MAX], line[256];
	struct elf_symtab *s = elf_symtab__open(path_in(path, fx, "syms"));
	uint64_t off, vaddr, filesz, v;
	FILE *f;
	int segs = 0;

	check_fixture_symbols(s, "syms");
	if (!s)
		return;
	CHECK(elf_symtab__lookup(s, 0, NULL) == NULL);
	/* Every PT_LOAD maps file offsets linearly; beyond the file nothing does. */
	f = fopen(path_in(path, fx, "syms.load"), "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &off, &vaddr, &filesz) != 3)
			continue;
		segs++;
		CHECK(elf_symtab__offset_to_vaddr(s, off + filesz / 2, &v) == 0);
		CHECK_U64(v, vaddr + filesz / 2);
		CHECK(elf_symtab__offset_to_vaddr(s, off + filesz - 1, &v) == 0);
		CHECK_U64(v, vaddr + filesz - 1);
	}
	if (f)
		fclose(f);
	CHECK(segs >= 2);
	CHECK(elf_symtab__offset_to_vaddr(s, 1ULL << 40, &v) == -ENOENT);
	elf_symtab__close(s);

	errno = 0;
	CHECK(elf_symtab__open(path_in(path, fx, "syms.nm")) == NULL && errno == ENOEXEC);
	CHECK(elf_symtab__open(path_in(path, fx, "missing")) == NULL && errno == ENOENT);
}

/* Put a debug file where the build-id says, under a fresh debug root. */
static void install_by_build_id(const char *root, const char *src)
{
	char dir[PATH_MAX], dst[PATH_MAX];

	pathf(dir, "%s/.build-id/%.2s", root, build_id);
	mkdirs(dir);
	pathf(dst, "%s/%s.debug", dir, build_id + 2);
	CHECK(copy_file(src, dst) == 0);
}

/* Compress .symtab and .strtab with libelf: binutils only ever compresses .debug_*. */
static int compress_symtab(const char *path)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, n = 0;
	Elf *e;

	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_RDWR, NULL);
	if (e && !elf_getshdrstrndx(e, &shstrndx)) {
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(e, shstrndx, sh.sh_name);
			if (sh.sh_type == SHT_SYMTAB || (name && !strcmp(name, ".strtab")))
				n += elf_compress(scn, ELFCOMPRESS_ZLIB, 0) == 1;
		}
		if (elf_update(e, ELF_C_WRITE) < 0)
			n = 0;
	}
	elf_end(e);
	close(fd);
	return n == 2 ? 0 : -1;
}

static void test_debug_files(void)
{
	char path[PATH_MAX], root[PATH_MAX], dir[PATH_MAX], dst[PATH_MAX];
	struct elf_symtab *s;
	uint64_t addr, size;

	CHECK(nm_lookup("alpha", &addr, &size));
	/* No debug file anywhere: only .dynsym, which has no alpha. */
	elf_symtab__set_debug_root(path_in(root, tmp, "empty"));
	s = elf_symtab__open(path_in(path, fx, "syms.stripped"));
	CHECK(s && elf_symtab__lookup(s, addr, NULL) == NULL);
	CHECK_STR(s ? elf_symtab__build_id(s) : NULL, build_id);
	elf_symtab__close(s);

	/* By build-id. */
	path_in(root, tmp, "byid");
	install_by_build_id(root, path_in(path, fx, "syms.debug"));
	elf_symtab__set_debug_root(root);
	s = elf_symtab__open(path_in(path, fx, "syms.stripped"));
	check_fixture_symbols(s, "build-id");
	elf_symtab__close(s);

	/* By build-id, with compressed .debug_* sections. */
	path_in(root, tmp, "zbyid");
	install_by_build_id(root, path_in(path, fx, "syms.zdebug"));
	elf_symtab__set_debug_root(root);
	s = elf_symtab__open(path_in(path, fx, "syms.stripped"));
	check_fixture_symbols(s, "compressed debug sections");
	elf_symtab__close(s);

	/* By build-id, with .symtab and .strtab themselves compressed. */
	path_in(root, tmp, "zsymtab");
	install_by_build_id(root, path_in(path, fx, "syms.debug"));
	pathf(dst, "%s/.build-id/%.2s/%s.debug", root, build_id, build_id + 2);
	CHECK(compress_symtab(dst) == 0);
	elf_symtab__set_debug_root(root);
	s = elf_symtab__open(path_in(path, fx, "syms.stripped"));
	check_fixture_symbols(s, "compressed symtab");
	elf_symtab__close(s);

	/* By .gnu_debuglink: next to the file, in .debug/, under the debug root. */
	elf_symtab__set_debug_root(path_in(root, tmp, "empty"));
	s = elf_symtab__open(path_in(path, fx, "syms.linked"));
	check_fixture_symbols(s, "debuglink, same dir");
	elf_symtab__close(s);

	mkdirs(path_in(dir, tmp, "d1/.debug"));
	CHECK(copy_file(path_in(path, fx, "syms.debug"), path_in(dst, dir, "syms.debug")) == 0);
	path_in(dir, tmp, "d1");
	CHECK(copy_file(path_in(path, fx, "syms.linked"), path_in(dst, dir, "syms.linked")) == 0);
	s = elf_symtab__open(dst);
	check_fixture_symbols(s, "debuglink, .debug dir");
	elf_symtab__close(s);

	path_in(dir, tmp, "d2");
	mkdirs(dir);
	CHECK(copy_file(path_in(path, fx, "syms.linked"), path_in(dst, dir, "syms.linked")) == 0);
	mkdirs(pathf(path, "%s/libroot%s", tmp, dir));
	pathf(path, "%s/libroot%s/syms.debug", tmp, dir);
	CHECK(copy_file(path_in(root, fx, "syms.debug"), path) == 0);
	elf_symtab__set_debug_root(path_in(root, tmp, "libroot"));
	s = elf_symtab__open(dst);
	check_fixture_symbols(s, "debuglink, debug root");
	elf_symtab__close(s);

	/* A debuglink whose CRC does not match is ignored. */
	elf_symtab__set_debug_root(path_in(root, tmp, "empty"));
	s = elf_symtab__open(path_in(path, fx, "syms.badcrc"));
	CHECK(s && elf_symtab__lookup(s, addr, NULL) == NULL);
	elf_symtab__close(s);
	elf_symtab__set_debug_root(NULL);
}

static void test_frame_format(void)
{
	struct frame f = {.function = "main", .module = "app", .offset = 0x12};
	char buf[64];

	CHECK(frame__format(&f, buf, sizeof(buf)) == 4);
	CHECK_STR(buf, "main");
	f.function = NULL;
	frame__format(&f, buf, sizeof(buf));
	CHECK_STR(buf, "app+0x12");
	f.module = NULL;
	frame__format(&f, buf, sizeof(buf));
	CHECK_STR(buf, "[unknown]+0x12");
}

static void test_self(const char *exe)
{
	struct symbolizer *s = symbolizer__new(getpid());
	uint64_t fn = (uint64_t)(uintptr_t)&local_fn;
	uint64_t ro = (uint64_t)(uintptr_t)&rodata_blob[8];
	struct frame f;
	char buf[PATH_MAX], want[PATH_MAX];
	void *anon;

	CHECK(local_fn(1) == 2);
	if (!CHECK(s != NULL) || !CHECK(symbolizer__refresh(s) == 0)) {
		symbolizer__free(s);
		return;
	}
	/* A return address right after a call at the very start of local_fn: C code, one frame
	 * without a source line. */
	CHECK_U64(symbolizer__resolve(s, fn + 1, &f, 4), 1);
	CHECK_STR(f.function, "local_fn");
	CHECK_STR(f.file, NULL);
	CHECK_U64(f.line, 0);
	CHECK_STR(f.module, exe);
	CHECK_U64(f.offset, 1);
	frame__format(&f, buf, sizeof(buf));
	CHECK_STR(buf, "local_fn");
	/* A return address at local_fn's first byte belongs to a call ending whatever precedes it.
	 */
	symbolizer__resolve(s, fn, &f, 1);
	CHECK(f.function == NULL || strcmp(f.function, "local_fn"));

	symbolizer__resolve(s, (uint64_t)(uintptr_t)&malloc + 4, &f, 1);
	CHECK_STR(f.function, "malloc");
	CHECK_U64(f.offset, 4);

	/* Data of a known module but no function: module+vaddr. */
	symbolizer__resolve(s, ro, &f, 1);
	CHECK_STR(f.function, NULL);
	CHECK_STR(f.module, exe);
	CHECK_U64(f.offset, ro - (uint64_t)(uintptr_t)__executable_start);
	frame__format(&f, buf, sizeof(buf));
	pathf(want, "%s+0x%" PRIx64, exe, ro - (uint64_t)(uintptr_t)__executable_start);
	CHECK_STR(buf, want);

	symbolizer__resolve(s, 0x10, &f, 1);
	frame__format(&f, buf, sizeof(buf));
	CHECK_STR(buf, "[unknown]+0x10");

	anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(symbolizer__refresh(s) == 0);
	symbolizer__resolve(s, (uint64_t)(uintptr_t)anon + 8, &f, 1);
	CHECK_STR(f.module, "[anon]");
	CHECK_STR(f.function, NULL);
	munmap(anon, 4096);
	symbolizer__free(s);
}

/* A target that exits: the previous maps and tables stay usable. */
static void test_exited_child(void)
{
	uint64_t fn = (uint64_t)(uintptr_t)&local_fn;
	struct symbolizer *s, *self;
	struct frame f, g;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	s = symbolizer__new(pid);
	CHECK(s && symbolizer__refresh(s) == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(symbolizer__refresh(s) == -ESRCH);
	symbolizer__resolve(s, fn + 1, &f, 1);
	CHECK_STR(f.function, "local_fn");

	/* Two processes mapping one file share one symbol table. */
	self = symbolizer__new(getpid());
	CHECK(self && symbolizer__refresh(self) == 0);
	symbolizer__resolve(self, fn + 1, &g, 1);
	CHECK(f.function == g.function);
	symbolizer__free(self);
	symbolizer__free(s);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], exe[PATH_MAX], *id, *nl;
	ssize_t n;
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR (made by tests/unit/build_fixtures.sh)\n",
			argv[0]);
		return 2;
	}
	fx = argv[1];
	id = slurp(path_in(path, fx, "syms.buildid"), &len);
	if (!id) {
		fprintf(stderr, "%s: no fixtures in %s\n", argv[0], fx);
		return 2;
	}
	if ((nl = strchr(id, '\n')))
		*nl = '\0';
	build_id = id;
	snprintf(tmp, sizeof(tmp), "/tmp/test_symbolize.XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';

	test_parse_line();
	test_parse_and_find();
	test_full_elf();
	test_debug_files();
	test_frame_format();
	test_self(strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
	test_exited_child();

	symbolizer__cache_clear();
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(id);
	return check_report("test_symbolize");
}
