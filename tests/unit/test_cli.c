// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of cli__parse(): defaults, every option, the command after "--",
 * and every usage error (exit code 2 after exactly one message on stderr).
 *
 * Build and run (from the repository root):
 *   gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc \
 *       -o build/unit/test_cli tests/unit/test_cli.c src/cli.c src/cli_usage.c \
 *       src/cli_value.c src/names.c src/util.c -lm
 *   build/unit/test_cli
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "leakscope.h"
#include "util.h"

#define MAX_ARGS 32

static char *args[MAX_ARGS + 1]; /* the argv of the last parse; opt points into it */
static char out_text[8192], err_text[8192];

/* Reads what a redirected stream received, then closes it. */
static void drain(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * cli__parse() on "leakscope" followed by the NULL-ended arguments, with
 * stdout and stderr captured in out_text and err_text so the usage text and
 * the error messages can be checked rather than cluttering the test's output.
 */
static int parse(struct options *opt, ...)
{
	FILE *out = tmpfile(), *err = tmpfile();
	int saved_out, saved_err, argc = 0, rc;
	const char *a;
	va_list ap;

	if (!out || !err) {
		perror("tmpfile");
		exit(2);
	}
	args[argc++] = "leakscope";
	va_start(ap, opt);
	while ((a = va_arg(ap, const char *)) && argc < MAX_ARGS)
		args[argc++] = (char *)a;
	va_end(ap);
	args[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);

	optind = 0; /* glibc: a full reinitialisation of getopt's state */
	ls_verbose = 0;
	rc = cli__parse(argc, args, opt);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	drain(out, out_text, sizeof(out_text));
	drain(err, err_text, sizeof(err_text));
	return rc;
}

/* One "leakscope: ..." line on stderr, nothing on stdout. */
static int one_error_line(void)
{
	const char *nl = strchr(err_text, '\n');

	return !strncmp(err_text, "leakscope: ", 11) && nl && !nl[1] && !out_text[0];
}

/* A usage error: exit code 2 and one message. */
#define CHECK_USAGE(...)                                                                           \
	do {                                                                                       \
		struct options o_;                                                                 \
		int rc_ = parse(&o_, __VA_ARGS__, NULL);                                           \
		CHECK_U64((uint64_t)rc_, LS_EXIT_USAGE);                                           \
		if (!check_result(one_error_line(), __FILE__, __LINE__,                            \
				  "one error line for " #__VA_ARGS__))                             \
			fprintf(stderr, "\tstderr: \"%s\"\n", err_text);                           \
	} while (0)

/* Accepted: go on (-1), silently. */
#define CHECK_OK(opt, ...)                                                                         \
	do {                                                                                       \
		int rc_ = parse((opt), __VA_ARGS__, NULL);                                         \
		CHECK_U64((uint64_t)(int64_t)rc_, (uint64_t)(int64_t)-1);                          \
		if (!check_result(!err_text[0] && !out_text[0], __FILE__, __LINE__,                \
				  "silent for " #__VA_ARGS__))                                     \
			fprintf(stderr, "\tstderr: \"%s\"\n", err_text);                           \
	} while (0)

static void test_defaults(void)
{
	struct options o;

	memset(&o, 0xa5, sizeof(o)); /* every field must be set, not left over */
	CHECK_OK(&o, "-p", "1");
	CHECK_U64(o.pid, 1);
	CHECK(o.command == NULL);
	CHECK(o.interval == 10);
	CHECK(o.duration == 0);
	CHECK_U64(o.count, 0);
	CHECK_U64(o.top, 10);
	CHECK(o.min_age == 0);
	CHECK_U64(o.min_size, 0);
	CHECK_U64(o.max_size, UINT64_MAX);
	CHECK_STR(o.folded_path, NULL);
	CHECK_U64(o.folded_value, FOLDED_BYTES);
	CHECK(!o.full_stacks);
	CHECK_STR(o.allocator, NULL);
	CHECK_U64(o.max_objects, 1 << 20);
	CHECK_U64(o.max_stacks, 16384);
	CHECK_U64(o.max_sites, 65536);
	CHECK_U64(ls_verbose, 0);
}

static void test_every_option(void)
{
	struct options o;

	CHECK_OK(&o, "--pid", "1234", "-i", "2.5", "-d", "30", "--count", "3", "--top", "25",
		 "--min-age", "1.5", "--min-size", "16", "--max-size", "4096", "--folded",
		 "/tmp/out.folded", "--folded-value", "count", "--full-stacks", "--allocator",
		 "libjemalloc:je_", "--max-objects", "100", "--max-stacks", "200", "--max-sites",
		 "300", "-v");
	CHECK_U64(o.pid, 1234);
	CHECK(o.command == NULL);
	CHECK(o.interval == 2.5);
	CHECK(o.duration == 30);
	CHECK_U64(o.count, 3);
	CHECK_U64(o.top, 25);
	CHECK(o.min_age == 1.5);
	CHECK_U64(o.min_size, 16);
	CHECK_U64(o.max_size, 4096);
	CHECK_STR(o.folded_path, "/tmp/out.folded");
	CHECK_U64(o.folded_value, FOLDED_COUNT);
	CHECK(o.full_stacks);
	/* Kept whole: allocator__plan() splits LIB and PREFIX. */
	CHECK_STR(o.allocator, "libjemalloc:je_");
	CHECK_U64(o.max_objects, 100);
	CHECK_U64(o.max_stacks, 200);
	CHECK_U64(o.max_sites, 300);
	CHECK_U64(ls_verbose, 1);

	/* Short and "--opt=value" spellings, and the other values. */
	CHECK_OK(&o, "-p1234", "--interval=0.1", "--duration", ".5", "-vv", "--verbose",
		 "--folded-value=bytes", "--allocator", "/usr/lib/libtcmalloc.so.4");
	CHECK_U64(o.pid, 1234);
	CHECK(o.interval == 0.1);
	CHECK(o.duration == 0.5);
	CHECK_U64(ls_verbose, 3);
	CHECK_U64(o.folded_value, FOLDED_BYTES);
	CHECK_STR(o.allocator, "/usr/lib/libtcmalloc.so.4");

	/* The bounds themselves are accepted. */
	CHECK_OK(&o, "-p", "2147483647", "--min-age", "0", "--min-size", "7", "--max-size", "7",
		 "--max-objects", "268435456", "--max-stacks", "16777216", "--max-sites",
		 "16777216", "-i", "1000000000");
	CHECK_U64(o.pid, 2147483647);
	CHECK(o.min_age == 0);
	CHECK_U64(o.min_size, 7);
	CHECK_U64(o.max_size, 7);
	CHECK_U64(o.max_objects, 1 << 28);
	CHECK_U64(o.max_stacks, 1 << 24);
	CHECK_U64(o.max_sites, 1 << 24);
	CHECK(o.interval == 1e9);
	CHECK_OK(&o, "-p", "1", "--max-size", "18446744073709551615");
	CHECK_U64(o.max_size, UINT64_MAX);
	CHECK_OK(&o, "-p", "1", "--allocator", "libfoo.so:");
	CHECK_STR(o.allocator, "libfoo.so:");
}

/* Options after the command belong to the command. */
static void test_command(void)
{
	struct options o;

	CHECK_OK(&o, "--", "ls", "-l", "-p");
	CHECK_U64(o.pid, 0);
	if (CHECK(o.command != NULL)) {
		CHECK_STR(o.command[0], "ls");
		CHECK_STR(o.command[1], "-l");
		CHECK_STR(o.command[2], "-p");
		CHECK_STR(o.command[3], NULL);
		CHECK(o.command == &args[2]);
	}

	CHECK_OK(&o, "-i", "2", "--top", "3", "--", "./prog", "--help", "-i", "5");
	CHECK(o.interval == 2);
	CHECK_U64(o.top, 3);
	if (CHECK(o.command != NULL)) {
		CHECK_STR(o.command[0], "./prog");
		CHECK_STR(o.command[1], "--help");
		CHECK_STR(o.command[2], "-i");
		CHECK_STR(o.command[3], "5");
		CHECK_STR(o.command[4], NULL);
	}

	/* Parsing stops at the first non-option even without "--". */
	CHECK_OK(&o, "-v", "sleep", "-x", "1");
	CHECK_U64(ls_verbose, 1);
	if (CHECK(o.command != NULL)) {
		CHECK_STR(o.command[0], "sleep");
		CHECK_STR(o.command[1], "-x");
		CHECK_STR(o.command[2], "1");
		CHECK_STR(o.command[3], NULL);
	}
}

static void test_help(void)
{
	struct options o;

	CHECK_U64(parse(&o, "--help", NULL), 0);
	CHECK(!strncmp(out_text, "Usage: leakscope", 16));
	CHECK(!err_text[0]);
	/* Help wins over an error later on the line and needs no target. */
	CHECK_U64(parse(&o, "-h", "--bogus", NULL), 0);
	CHECK(!strncmp(out_text, "Usage: leakscope", 16));
	CHECK(!err_text[0]);
}

static void test_usage_errors(void)
{
	/* Unknown options, short and long. */
	CHECK_USAGE("-x");
	CHECK(strstr(err_text, "'-x'") != NULL);
	CHECK_USAGE("-p", "1", "--bogus");
	CHECK(strstr(err_text, "'--bogus'") != NULL);
	CHECK_USAGE("--full-stacks=yes", "-p", "1");

	/* A value missing at the end of the line. */
	CHECK_USAGE("-p");
	CHECK(strstr(err_text, "'-p'") != NULL);
	CHECK_USAGE("-p", "1", "--interval");
	CHECK(strstr(err_text, "'--interval'") != NULL);

	/* PIDs: whole, positive, no junk, within int. */
	CHECK_USAGE("-p", "abc");
	CHECK_USAGE("-p", "-5");
	CHECK_USAGE("-p", "+5");
	CHECK_USAGE("-p", "0");
	CHECK_USAGE("-p", "");
	CHECK_USAGE("-p", "12x");
	CHECK_USAGE("-p", "12 ");
	CHECK_USAGE("-p", "2147483648");
	CHECK_USAGE("-p", "99999999999999999999999");

	/* Seconds: positive where 0 is meaningless, finite, no junk. */
	CHECK_USAGE("-p", "1", "-i", "0");
	CHECK_USAGE("-p", "1", "-i", "0.05");
	CHECK_USAGE("-p", "1", "-i", "-1");
	CHECK_USAGE("-p", "1", "-i", "5s");
	CHECK_USAGE("-p", "1", "-i", "inf");
	CHECK_USAGE("-p", "1", "-i", "nan");
	CHECK_USAGE("-p", "1", "-i", "1e10");
	CHECK_USAGE("-p", "1", "-d", "0");
	CHECK_USAGE("-p", "1", "--min-age", "-1");
	CHECK_USAGE("-p", "1", "--min-age", "1m");

	/* Counts and sizes. */
	CHECK_USAGE("-p", "1", "--count", "0");
	CHECK_USAGE("-p", "1", "--top", "0");
	CHECK_USAGE("-p", "1", "--top", "10x");
	CHECK_USAGE("-p", "1", "--min-size", "1k");
	CHECK_USAGE("-p", "1", "--max-size", "-1");
	CHECK_USAGE("-p", "1", "--max-size", "18446744073709551616");
	CHECK_USAGE("-p", "1", "--max-objects", "0");
	CHECK_USAGE("-p", "1", "--max-objects", "268435457");
	CHECK_USAGE("-p", "1", "--max-stacks", "16777217");
	CHECK_USAGE("-p", "1", "--max-sites", "0");
	CHECK_USAGE("-p", "1", "--min-size", "100", "--max-size", "10");
	CHECK_USAGE("-p", "1", "--folded-value", "lines");
	CHECK_USAGE("-p", "1", "--allocator", "");
	CHECK_USAGE("-p", "1", "--allocator", ":je_");

	/* The target: exactly one of -p and a command. */
	CHECK_USAGE("-i", "5");
	CHECK_USAGE("--");
	CHECK_USAGE("-p", "1", "--", "ls");
	CHECK_USAGE("--pid", "1", "ls");
}

static void test_no_arguments(void)
{
	struct options o;
	char *argv0[] = {"leakscope", NULL};
	FILE *err = tmpfile();
	int saved = dup(STDERR_FILENO), rc;

	fflush(stderr);
	dup2(fileno(err), STDERR_FILENO);
	optind = 0;
	rc = cli__parse(1, argv0, &o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	drain(err, err_text, sizeof(err_text));
	CHECK_U64(rc, LS_EXIT_USAGE);
	CHECK(strstr(err_text, "no target") != NULL);
}

/* -a: sampled page faults and the heap of a suspect, exactly; growth is
 * never traced for -p unless asked for; --host-exact is -a as before. */
static void test_host_modes(void)
{
	struct options o;

	CHECK_OK(&o, "-p", "1");
	CHECK_U64(o.kinds & (1u << LS_KIND_GROWTH), 0);
	CHECK_OK(&o, "-a");
	CHECK_U64(o.kinds, 1u << LS_KIND_GROWTH | 1u << LS_KIND_HEAP | 1u << LS_KIND_GOROUTINE |
			       1u << LS_KIND_GO_HEAP);
	CHECK_U64(o.sample, 0);
	CHECK_U64(o.max_objects, 1 << 16);
	CHECK(o.budget == 2);
	CHECK_U64(o.fault_period, 64);
	CHECK_U64(o.escalate_after, 3);
	CHECK(o.escalate_window == 30);
	CHECK(!o.host_exact);
	CHECK_OK(&o, "--host-exact");
	CHECK(o.all && o.host_exact);
	CHECK_U64(o.sample, 4096);
	CHECK_U64(o.kinds & (1u << LS_KIND_GROWTH), 0);
	CHECK_U64(o.max_objects, 1 << 20);
	CHECK_OK(&o, "--comm", "x", "--budget", "0.5", "--fault-period", "128", "--escalate-after",
		 "0", "--escalate-window", "5", "--kinds", "growth");
	CHECK(o.budget == 0.5);
	CHECK_U64(o.fault_period, 128);
	CHECK_U64(o.escalate_after, 0);
	CHECK(o.escalate_window == 5);
	CHECK_U64(o.kinds, 1u << LS_KIND_GROWTH);
	CHECK_U64(parse(&o, "-a", "--budget", "101", NULL), LS_EXIT_USAGE);
	CHECK_U64(parse(&o, "-a", "--fault-period", "0", NULL), LS_EXIT_USAGE);
}

/* --check and its options: a command, a report every second unless -i. */
static void test_check(void)
{
	struct options o;

	CHECK_OK(&o, "--check", "--", "make", "check");
	CHECK(o.check);
	CHECK(o.interval == 1);
	cli__free(&o);
	CHECK_OK(&o, "-i", "5", "--check-ignore", "kind:fd", "--check-ignore", "main.leak",
		 "--junit", "j.xml", "--suppressions", "s.txt", "--", "t");
	CHECK(o.check);
	CHECK(o.interval == 5);
	CHECK_U64(o.ncheck_ignore, 2);
	if (o.ncheck_ignore == 2)
		CHECK_STR(o.check_ignore[1], "main.leak");
	CHECK_STR(o.junit_path, "j.xml");
	CHECK_STR(o.suppressions, "s.txt");
	cli__free(&o);
	CHECK_USAGE("--check", "-p", "1");
	CHECK_USAGE("--check", "-a");
	CHECK(strstr(err_text, "give -- COMMAND") != NULL);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_defaults();
	test_host_modes();
	test_every_option();
	test_command();
	test_help();
	test_usage_errors();
	test_no_arguments();
	test_check();
	return check_report("test_cli");
}
