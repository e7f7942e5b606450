// SPDX-License-Identifier: GPL-2.0
/*
 * Golden tests of the report printers: a hand-made struct report goes through
 * report_folded__write() and report_text__print(), and the output must equal
 * the files in tests/unit/golden byte for byte. The text header's wall-clock
 * time is replaced by "HH:MM:SS" before comparing.
 *
 * Build and run (from the repository root, where tests/unit/golden is found):
 *   gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc \
 *       -o build/unit/test_report tests/unit/test_report.c src/report_text.c \
 *       src/report_folded.c src/aggregate.c src/util.c
 *   build/unit/test_report FIXTURES [--update]
 *
 * --update rewrites the golden files from the current printers: read the
 * diff before committing it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "util.h"

#define GOLDEN_DIR "tests/unit/golden"
#define GEN_NS	   (1ULL << GEN_SHIFT)
#define N(a)	   (sizeof(a) / sizeof((a)[0]))

static bool update;
static char tmpdir[] = "/tmp/test_report.XXXXXX";

/* Frames innermost first, as report__build() builds them: the API, then
 * the stack; unresolved frames as module+offset, a lost stack as one frame. */
static char *frames0[] = {
    "operator new(unsigned long)",
    "Cache::grow(unsigned long)",
    "Cache::insert(int, std::string const&)",
    "main",
    "libc.so.6+0x29d90",
    "_start",
};
static char *frames1[] = {"malloc", "leak_a", "main"};
static char *frames2[] = {"strdup", "odd;name", "main"};
static char *frames3[] = {"realloc", "[stack lost]"};
static char *frames4[] = {"valloc", "[unknown]+0x1000"};

#define KENTRY(kind_, stack, api_, b, c, gen, db, dc, new_, f)                                     \
	{                                                                                          \
		.row =                                                                             \
		    {.site = {.stack_id = (stack), .tgid = 4242, .kind = (kind_), .api = (api_)},  \
		     .bytes = (b),                                                                 \
		     .count = (c),                                                                 \
		     .oldest_gen = (gen)},                                                         \
		.delta_bytes = (db), .delta_count = (dc), .is_new = (new_), .frames = (f),         \
		.nframes = N(f),                                                                   \
	}

#define ENTRY(...) KENTRY(LS_KIND_HEAP, __VA_ARGS__)

static char *frames5[] = {"open", "open_leak", "main"};
static char *frames6[] = {"pthread_create", "spawn_stuck", "main"};

/* By kind, then largest first, as report__build() sorts them. */
static struct report_entry entries[] = {
    ENTRY(11, LS_API_NEW, 3145728, 3, 10, 1048576, 1, false, frames0),
    ENTRY(12, LS_API_MALLOC, 1000, 10, 95, 0, 0, false, frames1),
    ENTRY(13, LS_API_STRDUP, 64, 1, 0, -32, -1, false, frames2),
    ENTRY(0, LS_API_REALLOC, 16, 2, 99, 16, 2, true, frames3),
    ENTRY(14, LS_API_VALLOC, 4, 1, 50, 0, 0, false, frames4),
    KENTRY(LS_KIND_FD, 15, LS_API_OPEN, 0, 7, 90, 0, 3, false, frames5),
    KENTRY(LS_KIND_THREAD, 16, LS_API_PTHREAD_CREATE, 0, 6, 91, 0, 0, false, frames6),
};

static struct report_process procs[1];

/* What /proc said of the fds and threads. */
static void set_details(void)
{
	struct details *fd = &entries[5].details, *thread = &entries[6].details;

	memset(fd, 0, sizeof(*fd));
	memset(thread, 0, sizeof(*thread));
	fd->counts[DETAIL_FILE] = 5;
	fd->counts[DETAIL_SOCKET] = 2;
	snprintf(fd->path, sizeof(fd->path), "/tmp/x/");
	thread->counts[DETAIL_FUTEX] = 6;
}

/* A periodic report in the middle of a run, with drops and lost stacks. */
static void make_report(struct report *r)
{
	memset(r, 0, sizeof(*r));
	procs[0] = (struct report_process){
	    .pid = 4242, .comm = "demo", .exit_status = 3 << 8, .preexisting = {[LS_KIND_FD] = 3}};
	r->procs = procs;
	r->nprocs = 1;
	r->kinds = (1u << LS_KIND_HEAP) | (1u << LS_KIND_FD) | (1u << LS_KIND_THREAD);
	set_details();
	r->seq = 2;
	r->now_ns = 100 * GEN_NS;
	r->traced_ns = 95000000000ULL;
	r->since_prev_ns = 10000000000ULL;
	r->entries = entries;
	r->count = N(entries);
	r->kind[LS_KIND_HEAP].bytes = 3145728 + 1000 + 64 + 16 + 4;
	r->kind[LS_KIND_HEAP].count = 3 + 10 + 1 + 2 + 1;
	r->kind[LS_KIND_HEAP].stacks = 5;
	r->kind[LS_KIND_FD].count = 7;
	r->kind[LS_KIND_FD].stacks = 1;
	r->kind[LS_KIND_THREAD].count = 6;
	r->kind[LS_KIND_THREAD].stacks = 1;
	r->kind[LS_KIND_HEAP].counters[CNT_ACQUIRED] = 1000;
	r->kind[LS_KIND_HEAP].counters[CNT_RELEASED] = 900;
	r->kind[LS_KIND_HEAP].counters[CNT_UNKNOWN_RELEASES] = 5;
	r->kind[LS_KIND_HEAP].counters[CNT_OBJECTS_FULL] = 10;
	r->kind[LS_KIND_HEAP].counters[CNT_STACKS_FULL] = 2;
	r->kind[LS_KIND_HEAP].counters[CNT_STACKS_EMPTY] = 1;
	r->kind[LS_KIND_HEAP].counters[CNT_STACKS_TRUNCATED] = 3;
	r->kind[LS_KIND_HEAP].counters[CNT_NESTED] = 7; /* shown only with -v */
	r->kind[LS_KIND_FD].counters[CNT_ACQUIRED] = 40;
	r->kind[LS_KIND_FD].counters[CNT_RELEASED] = 33;
	r->kind[LS_KIND_THREAD].counters[CNT_ACQUIRED] = 11;
	r->kind[LS_KIND_THREAD].counters[CNT_RELEASED] = 5;
}

static char *path_in(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
		fprintf(stderr, "path too long: %s/%s\n", dir, name);
		exit(2);
	}
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		buf = xrealloc(buf, cap + 4096 + 1, 1);
		cap += 4096;
		*len += fread(buf + *len, 1, cap - *len, f);
		if (*len < cap)
			break;
	}
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* The first line that differs, so a failure says where without a diff tool. */
static void show_difference(const char *got, size_t got_len, const char *want, size_t want_len)
{
	size_t i = 0, line = 1, start = 0;

	while (i < got_len && i < want_len && got[i] == want[i]) {
		if (got[i++] == '\n') {
			line++;
			start = i;
		}
	}
	fprintf(stderr, "\tfirst difference at line %zu:\n\tgot:  \"%.*s\"\n\twant: \"%.*s\"\n",
		line, (int)strcspn(got + start, "\n"), got + start,
		(int)strcspn(want + start, "\n"), want + start);
}

/* Compares `got` with golden file `name`, or rewrites it with --update. */
static void check_golden(const char *name, const char *got, size_t got_len)
{
	char path[PATH_MAX];
	size_t want_len;
	char *want;

	path_in(path, GOLDEN_DIR, name);
	if (update) {
		FILE *f = fopen(path, "wb");

		if (!f || fwrite(got, 1, got_len, f) != got_len || fclose(f)) {
			perror(path);
			exit(2);
		}
		printf("updated %s\n", path);
		return;
	}
	want = slurp(path, &want_len);
	if (!check_result(want != NULL, __FILE__, __LINE__, path)) {
		fprintf(stderr, "\tcannot read %s (run from the repository root): %s\n", path,
			strerror(errno));
		return;
	}
	if (!check_result(got_len == want_len && !memcmp(got, want, got_len), __FILE__, __LINE__,
			  name))
		show_difference(got, got_len, want, want_len);
	free(want);
}

/* The files in tmpdir, to see that no "<path>.tmp" is left behind. */
static int count_files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void check_folded(const struct report *r, enum folded_value value, const char *golden)
{
	char path[PATH_MAX];
	size_t len;
	char *got;

	path_in(path, tmpdir, "out.folded");
	CHECK_U64(report_folded__write(path, r, value), 0);
	CHECK_U64(count_files(), 1);
	got = slurp(path, &len);
	if (CHECK(got != NULL))
		check_golden(golden, got, len);
	free(got);
}

static void test_folded(void)
{
	struct report r;
	char path[PATH_MAX], *got;
	size_t len;

	make_report(&r);
	check_folded(&r, FOLDED_BYTES, "report.folded");
	/* Written over the previous file, not appended. */
	check_folded(&r, FOLDED_COUNT, "report_count.folded");

	/* Neither ';' nor a line break may split a frame. */
	{
		static char *odd[] = {"malloc", "a\nb;c"};
		struct report_entry e = {
		    .row = {.bytes = 5, .count = 1}, .frames = odd, .nframes = 2};

		r.entries = &e;
		r.count = 1;
		path_in(path, tmpdir, "out.folded");
		CHECK_U64(report_folded__write(path, &r, FOLDED_BYTES), 0);
		got = slurp(path, &len);
		CHECK_STR(got, "[heap];a b:c;malloc 5\n");
		free(got);
	}

	/* No rows: an empty file, so a stale flame graph does not survive. */
	r.entries = NULL;
	r.count = 0;
	CHECK_U64(report_folded__write(path, &r, FOLDED_BYTES), 0);
	got = slurp(path, &len);
	CHECK_STR(got, "");
	free(got);
	unlink(path);

	/* A directory that does not exist: -ENOENT and nothing written. */
	path_in(path, tmpdir, "missing/out.folded");
	CHECK_U64((uint64_t)(int64_t)report_folded__write(path, &r, FOLDED_BYTES),
		  (uint64_t)(int64_t)-ENOENT);
	CHECK_U64(count_files(), 0);
}

/* The text report with the header's "%H:%M:%S" replaced, as the only part
 * that depends on the clock. */
static char *print_text(const struct report *r, const struct options *opt, size_t *len)
{
	char *buf = NULL, *nl, *p;
	FILE *out = open_memstream(&buf, len);

	if (!out) {
		perror("open_memstream");
		exit(2);
	}
	report_text__print(out, r, opt);
	fclose(out);
	nl = strchr(buf, '\n');
	for (p = buf; nl && p + 8 <= nl; p++) {
		if (strspn(p, "0123456789") == 2 && p[2] == ':' &&
		    strspn(p + 3, "0123456789") == 2 && p[5] == ':' &&
		    strspn(p + 6, "0123456789") == 2) {
			memcpy(p, "HH:MM:SS", 8);
			break;
		}
	}
	return buf;
}

static void test_text(void)
{
	struct options opt = {.top = 4};
	struct report r;
	size_t len;
	char *got;

	/* Short stacks, top 4 of 5, growth since the previous report. */
	make_report(&r);
	ls_verbose = 0;
	got = print_text(&r, &opt, &len);
	check_golden("report.txt", got, len);
	free(got);

	/* The final report of a first interval: full stacks, no trend yet, an
	 * age filter, a size filter, -v counters. */
	opt.top = 10;
	opt.full_stacks = true;
	opt.min_age = 30;
	r.seq = 1;
	r.final = true;
	r.procs[0].exited = true;
	r.traced_ns = 600000000000ULL;
	r.size_filtered = 1;
	memset(r.kind[LS_KIND_HEAP].counters, 0, sizeof(r.kind[LS_KIND_HEAP].counters));
	r.kind[LS_KIND_HEAP].counters[CNT_ACQUIRED] = 20;
	r.kind[LS_KIND_HEAP].counters[CNT_STATE_FULL] = 4;
	r.kind[LS_KIND_HEAP].counters[CNT_NESTED] = 7;
	ls_verbose = 1;
	got = print_text(&r, &opt, &len);
	ls_verbose = 0;
	check_golden("report_full.txt", got, len);
	free(got);

	/* Nothing outstanding: no table at all. */
	make_report(&r);
	r.entries = NULL;
	r.count = 0;
	r.kinds = 1u << LS_KIND_HEAP;
	memset(r.kind, 0, sizeof(r.kind));
	opt = (struct options){.top = 10};
	got = print_text(&r, &opt, &len);
	CHECK_STR(got, "leakscope: pid 4242 (demo), report 2, traced 95 s, HH:MM:SS\n"
		       "heap: 0 B in 0 blocks at 0 stacks\n"
		       "counters heap: 0 allocations, 0 frees, 0 unknown frees, 0 dropped, "
		       "0 stacks lost\n"
		       "\n");
	free(got);
}

/* Go frames: file:line, and a call the compiler inlined a frame of its own
 * (src/report.c), in one-line and full stacks; folded stacks name them. */
static void test_go_frames(void)
{
	static char *frames[] = {"runtime.newproc", "main.spawn", "main.run", "main.main"};
	static struct report_loc locs[] = {
	    {0},
	    {.addr = 0x401234, .file = "/src/app/main.go", .line = 12, .inlined = true},
	    {.addr = 0x401234, .file = "/src/app/main.go", .line = 30},
	    {.addr = 0x401300, .file = "/src/app/main.go", .line = 41},
	};
	struct report_entry e = {
	    .row = {.site = {.tgid = 4242, .kind = LS_KIND_GOROUTINE, .api = LS_API_GO_NEWPROC},
		    .count = 3,
		    .oldest_gen = 90},
	    .frames = frames,
	    .nframes = N(frames),
	    .locs = locs};
	struct options opt = {.top = 4};
	struct report r;
	char *got, *full;
	size_t len, full_len;
	FILE *out;

	make_report(&r);
	r.kinds = 1u << LS_KIND_GOROUTINE;
	memset(r.kind, 0, sizeof(r.kind));
	r.kind[LS_KIND_GOROUTINE].count = 3;
	r.kind[LS_KIND_GOROUTINE].stacks = 1;
	r.entries = &e;
	r.count = 1;
	got = print_text(&r, &opt, &len);
	opt.full_stacks = true;
	full = print_text(&r, &opt, &full_len);
	got = xrealloc(got, len + full_len + 1, 1);
	memcpy(got + len, full, full_len + 1);
	check_golden("report_go.txt", got, len + full_len);
	free(got);
	free(full);
	got = NULL;
	out = open_memstream(&got, &len);
	report_folded__print(out, &r, FOLDED_COUNT);
	fclose(out);
	CHECK_STR(got, "[goroutine];main.main;main.run;main.spawn;runtime.newproc 3\n");
	free(got);
}

int main(int argc, char **argv)
{
	update = argc > 2 && !strcmp(argv[2], "--update");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_folded();
	test_text();
	test_go_frames();
	rmdir(tmpdir);
	return check_report("test_report");
}
