// SPDX-License-Identifier: GPL-2.0
/*
 * --check's decision from a final report made by hand (src/check.c), and
 * the suppression rules (src/suppress.c): which stacks are leaks, which
 * rules turn them away, the exit status, the JUnit file.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <signal.h>

#include "check.h"
#include "leak_check.h"
#include "report.h"
#include "suppress.h"
#include "util.h"

static char *fd_loop[] = {"open", "open_many", "main"};
static char *fd_once[] = {"openat", "open_logs", "main"};
static char *thread_frames[] = {"pthread_create", "spawn", "main"};
static char *go_runtime[] = {"runtime.newproc", "runtime.init.6", "runtime.doInit"};
static char *heap_cache[] = {"malloc", "cache_fill", "main"};
static char *heap_leak[] = {"malloc", "leak_more", "main"};

static struct report_entry entry(enum ls_kind kind, char **frames, int64_t count,
				 enum verdict_kind verdict)
{
	return (struct report_entry){.row = {.site = {.stack_id = 1, .tgid = 42, .kind = kind},
					     .count = count,
					     .bytes = count * 8},
				     .frames = frames,
				     .nframes = 3,
				     .verdict = {.kind = verdict}};
}

static void test_glob(void)
{
	CHECK(suppress__glob("main", "main"));
	CHECK(!suppress__glob("main", "main2"));
	CHECK(suppress__glob("runtime.*", "runtime.newproc"));
	CHECK(suppress__glob("*Leak*", "leaky.TestLeaky"));
	CHECK(suppress__glob("*", ""));
	CHECK(!suppress__glob("a*b", "acb c"));
}

static void test_decision(void)
{
	struct report_process proc = {.pid = 42, .comm = "app", .exited = true, .exit_status = 0};
	struct report_entry e[] = {
	    entry(LS_KIND_FD, fd_loop, 3, VERDICT_FIRST),	    /* a leak: 3 at one stack */
	    entry(LS_KIND_FD, fd_once, 1, VERDICT_FIRST),	    /* kept to the end */
	    entry(LS_KIND_THREAD, thread_frames, 1, VERDICT_FIRST), /* a leak */
	    entry(LS_KIND_GOROUTINE, go_runtime, 4, VERDICT_FIRST), /* the runtime's */
	    entry(LS_KIND_HEAP, heap_cache, 64, VERDICT_STEADY),    /* kept */
	    entry(LS_KIND_HEAP, heap_leak, 10, VERDICT_GROWING),    /* a leak */
	};
	struct report r = {.procs = &proc, .nprocs = 1, .entries = e, .count = 6};
	const char *ignore[] = {"kind:thread"};
	struct leak_check c;
	char path[] = "/tmp/test_check.XXXXXX";
	char *xml;
	int fd;

	CHECK(leak_check__init(&c, NULL, NULL, 0) == 0);
	leak_check__evaluate(&c, &r);
	CHECK_U64(c.nleaks, 3);
	CHECK_U64(c.suppressed, 1); /* the runtime's goroutines */
	if (CHECK(c.nleaks == 3)) {
		CHECK_STR(c.leaks[0].stack, "open <- open_many <- main");
		CHECK_U64(c.leaks[1].kind, LS_KIND_THREAD);
		CHECK_U64(c.leaks[2].bytes, 80);
	}
	CHECK_U64(leak_check__exit_code(&c, 0), LS_EXIT_LEAKS);
	CHECK_U64(leak_check__exit_code(&c, 3 << 8), 3); /* the command failed */
	CHECK_U64(leak_check__exit_code(&c, SIGSEGV), 128 + SIGSEGV);
	fd = mkstemp(path);
	close(fd);
	CHECK(leak_check__write_junit(&c, path) == 0);
	xml = read_file(path, NULL);
	CHECK(xml && strstr(xml, "tests=\"1\" failures=\"1\""));
	CHECK(xml && strstr(xml, "<failure message=\"3 leaks\" type=\"leak\">"));
	CHECK(xml && strstr(xml, "open &lt;- open_many &lt;- main"));
	free(xml);
	unlink(path);
	leak_check__free(&c);

	/* a rule turns the thread away; a process still running is not judged */
	CHECK(leak_check__init(&c, NULL, ignore, 1) == 0);
	leak_check__evaluate(&c, &r);
	CHECK_U64(c.nleaks, 2);
	CHECK_U64(c.suppressed, 2);
	leak_check__free(&c);
	proc.exited = false;
	CHECK(leak_check__init(&c, NULL, NULL, 0) == 0);
	leak_check__evaluate(&c, &r);
	CHECK_U64(c.nleaks, 0);
	CHECK_U64(leak_check__exit_code(&c, -1), 0);
	leak_check__free(&c);
}

static void test_rules(void)
{
	struct suppressions s = {0};
	struct report_entry e = entry(LS_KIND_FD, fd_loop, 3, VERDICT_FIRST);

	CHECK(suppress__add(&s, "creator:open_*") == 0);
	CHECK(suppress__match(&s, &e) != NULL);
	suppress__free(&s);
	CHECK(suppress__add(&s, "function:main") == 0);
	CHECK(suppress__match(&s, &e) != NULL);
	suppress__free(&s);
	CHECK(suppress__add(&s, "kind:heap") == 0);
	CHECK(suppress__match(&s, &e) == NULL);
	suppress__free(&s);
	CHECK(suppress__add(&s, "kind:nosuch") != 0);
	CHECK(suppress__add(&s, "what:x") != 0);
	suppress__free(&s);
}

int main(void)
{
	test_glob();
	test_decision();
	test_rules();
	return check_report("test_leak_check");
}
