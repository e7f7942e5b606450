// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kind.h"
#include "names.h"
#include "unwind.h"
#include "util.h"
#include "verdict.h"

static const char usage_text[] =
    "Usage: leakscope [options] -p PID\n"
    "       leakscope [options] -- COMMAND [ARGS...]\n"
    "\n"
    "Reports, per call stack, the heap blocks a process still holds.\n"
    "\n"
    "Target:\n"
    "  -p, --pid PID           trace a running process\n"
    "  -- COMMAND ARGS...      start COMMAND and trace it from its first instruction\n"
    "  -a, --all               trace every process of the host, started later too\n"
    "      --cgroup PATH       only the processes of this cgroup v2 (implies -a)\n"
    "      --comm NAME         only the processes called NAME (implies -a)\n"
    "\n"
    "Reports:\n"
    "  -i, --interval SECONDS  seconds between reports (default 10)\n"
    "  -d, --duration SECONDS  stop after this long (default: until the target exits)\n"
    "      --count N           stop after N reports\n"
    "      --top N             stacks per report (default 10)\n"
    "      --min-age SECONDS   only objects at least this old (default 0)\n"
    "      --min-size BYTES    only blocks at least this large\n"
    "      --max-size BYTES    only blocks at most this large\n"
    "      --full-stacks       print every frame of each stack, not the top four\n"
    "      --folded FILE       write folded stacks for flamegraph.pl at each report\n"
    "      --folded-value bytes|count   value of each folded line (default bytes)\n"
    "      --window N          reports a verdict (growing, steady, shrinking) looks\n"
    "                          back over (default 6)\n"
    "      --leaks-only        show only the stacks that keep growing\n"
    "      --json FILE         append each report to FILE as one line of JSON\n"
    "                          (- for standard output, instead of the text)\n"
    "      --pprof FILE        rewrite FILE with a gzipped pprof profile at each\n"
    "                          report (FILE.PID.pb.gz each when several processes)\n"
    "      --listen ADDR       serve /metrics (Prometheus), /pprof?pid=N and\n"
    "                          /folded?pid=N over HTTP on ADDR, e.g. 127.0.0.1:9464\n"
    "      --push URL          push folded stacks to a Pyroscope server at each\n"
    "                          report (URL/ingest), e.g. http://127.0.0.1:4040\n"
    "\n"
    "Tracing:\n"
    "      --kinds LIST        what to trace: heap,fd,thread,goroutine,go-heap,\n"
    "                          kmem (kernel allocations; -a: the whole kernel),\n"
    "                          mmap (memory mappings) (default: all but kmem and\n"
    "                          mmap; goroutine and go-heap in Go programs)\n"
    "      --follow-forks      trace the children the target forks, too\n"
    "      --allocator LIB[:PREFIX]  probe this library (path or name), with an\n"
    "                          optional symbol prefix such as je_\n"
    "      --max-objects N     outstanding objects tracked (default 1048576)\n"
    "      --max-stacks N      distinct stacks stored (default 16384)\n"
    "      --max-sites N       per-stack totals entries (default 65536)\n"
    "      --sample BYTES      record blocks of BYTES or more always, smaller ones\n"
    "                          with probability size/BYTES; reports estimate\n"
    "                          (default: every block, exact)\n"
    "      --probe-at-entry    probe at function entries, not at the cheapest\n"
    "                          instruction after them\n"
    "      --unwind fp|dwarf|auto  walk stacks by frame pointers, by .eh_frame\n"
    "                          tables, or by tables for the files built without\n"
    "                          frame pointers (default auto)\n"
    "      --unwind-depth N    frames per stack (default and most 64)\n"
    "      --unwind-rows N     unwind table rows for all files (default 1048576)\n"
    "  -v, --verbose           print what is attached where, and all counters\n"
    "  -h, --help              this text\n";

enum {
	OPT_COUNT = 256,
	OPT_TOP,
	OPT_MIN_AGE,
	OPT_MIN_SIZE,
	OPT_MAX_SIZE,
	OPT_FOLDED,
	OPT_FOLDED_VALUE,
	OPT_FULL_STACKS,
	OPT_ALLOCATOR,
	OPT_MAX_OBJECTS,
	OPT_MAX_STACKS,
	OPT_MAX_SITES,
	OPT_SAMPLE,
	OPT_PROBE_AT_ENTRY,
	OPT_KINDS,
	OPT_FOLLOW_FORKS,
	OPT_UNWIND,
	OPT_UNWIND_DEPTH,
	OPT_UNWIND_ROWS,
	OPT_WINDOW,
	OPT_LEAKS_ONLY,
	OPT_JSON,
	OPT_PPROF,
	OPT_LISTEN,
	OPT_PUSH,
	OPT_CGROUP,
	OPT_COMM,
};

static const struct option long_options[] = {
    {"pid", required_argument, NULL, 'p'},
    {"all", no_argument, NULL, 'a'},
    {"cgroup", required_argument, NULL, OPT_CGROUP},
    {"comm", required_argument, NULL, OPT_COMM},
    {"interval", required_argument, NULL, 'i'},
    {"duration", required_argument, NULL, 'd'},
    {"count", required_argument, NULL, OPT_COUNT},
    {"top", required_argument, NULL, OPT_TOP},
    {"min-age", required_argument, NULL, OPT_MIN_AGE},
    {"min-size", required_argument, NULL, OPT_MIN_SIZE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"folded", required_argument, NULL, OPT_FOLDED},
    {"folded-value", required_argument, NULL, OPT_FOLDED_VALUE},
    {"full-stacks", no_argument, NULL, OPT_FULL_STACKS},
    {"allocator", required_argument, NULL, OPT_ALLOCATOR},
    {"max-objects", required_argument, NULL, OPT_MAX_OBJECTS},
    {"max-stacks", required_argument, NULL, OPT_MAX_STACKS},
    {"max-sites", required_argument, NULL, OPT_MAX_SITES},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"probe-at-entry", no_argument, NULL, OPT_PROBE_AT_ENTRY},
    {"kinds", required_argument, NULL, OPT_KINDS},
    {"follow-forks", no_argument, NULL, OPT_FOLLOW_FORKS},
    {"unwind", required_argument, NULL, OPT_UNWIND},
    {"unwind-depth", required_argument, NULL, OPT_UNWIND_DEPTH},
    {"unwind-rows", required_argument, NULL, OPT_UNWIND_ROWS},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"leaks-only", no_argument, NULL, OPT_LEAKS_ONLY},
    {"json", required_argument, NULL, OPT_JSON},
    {"pprof", required_argument, NULL, OPT_PPROF},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"push", required_argument, NULL, OPT_PUSH},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad_number(const char *what, const char *arg)
{
	ls_error("invalid %s '%s'", what, arg);
	return LS_EXIT_USAGE;
}

/* A non-negative whole number in [min, max]; no sign, no trailing junk. */
static int parse_u64(const char *what, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (arg[0] < '0' || arg[0] > '9')
		return bad_number(what, arg);
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		return bad_number(what, arg);
	*out = v;
	return 0;
}

/* A non-negative number of seconds, fractions allowed. */
static int parse_seconds(const char *what, const char *arg, double min, double *out)
{
	char *end;
	double v;

	if ((arg[0] < '0' || arg[0] > '9') && arg[0] != '.')
		return bad_number(what, arg);
	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || !isfinite(v) || v < min || v > 1e9)
		return bad_number(what, arg);
	*out = v;
	return 0;
}

static void set_defaults(struct options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->interval = 10;
	opt->top = 10;
	opt->max_size = UINT64_MAX;
	opt->folded_value = FOLDED_BYTES;
	opt->max_objects = 1 << 20;
	opt->max_stacks = 16384;
	opt->max_sites = 65536;
	opt->kinds = kinds__default();
	opt->unwind = LS_UNWIND_AUTO;
	opt->unwind_depth = MAX_STACK_DEPTH;
	opt->unwind_rows = 1 << 20;
	opt->window = 6;
}

/* "heap,fd,thread" -> bits of enum ls_kind */
static int parse_kinds(const char *arg, unsigned int *kinds)
{
	const char *p = arg;

	*kinds = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		int k;

		for (k = 0; k < LS_KIND_MAX; k++)
			if (strlen(kind__name(k)) == n && !strncmp(p, kind__name(k), n))
				break;
		if (k == LS_KIND_MAX || n == 0) {
			ls_error("invalid --kinds '%s' (a list of %s)", arg, kind__names());
			return LS_EXIT_USAGE;
		}
		*kinds |= 1u << k;
		p += n + (p[n] == ',');
	}
	if (!*kinds) {
		ls_error("invalid --kinds '%s' (a list of %s)", arg, kind__names());
		return LS_EXIT_USAGE;
	}
	return 0;
}

static int parse_one(int c, const char *arg, struct options *opt)
{
	uint64_t v = 0;
	int err = 0;

	switch (c) {
	case 'p':
		err = parse_u64("PID", arg, 1, INT_MAX, &v);
		opt->pid = v;
		break;
	case 'i':
		err = parse_seconds("interval", arg, 0.1, &opt->interval);
		break;
	case 'd':
		err = parse_seconds("duration", arg, 0.1, &opt->duration);
		break;
	case OPT_COUNT:
		err = parse_u64("count", arg, 1, LONG_MAX, &v);
		opt->count = v;
		break;
	case OPT_TOP:
		err = parse_u64("--top", arg, 1, INT_MAX, &v);
		opt->top = v;
		break;
	case OPT_MIN_AGE:
		err = parse_seconds("--min-age", arg, 0, &opt->min_age);
		break;
	case OPT_MIN_SIZE:
		err = parse_u64("--min-size", arg, 0, UINT64_MAX, &opt->min_size);
		break;
	case OPT_MAX_SIZE:
		err = parse_u64("--max-size", arg, 0, UINT64_MAX, &opt->max_size);
		break;
	case OPT_FOLDED:
		opt->folded_path = arg;
		break;
	case OPT_FOLDED_VALUE:
		if (!strcmp(arg, "bytes"))
			opt->folded_value = FOLDED_BYTES;
		else if (!strcmp(arg, "count"))
			opt->folded_value = FOLDED_COUNT;
		else
			return bad_number("--folded-value (bytes or count)", arg);
		break;
	case OPT_FULL_STACKS:
		opt->full_stacks = true;
		break;
	case OPT_ALLOCATOR: {
		const char *colon = strchr(arg, ':');

		if (!*arg || colon == arg) {
			ls_error("invalid --allocator '%s' (expected LIB[:PREFIX])", arg);
			return LS_EXIT_USAGE;
		}
		opt->allocator = arg;
		break;
	}
	case OPT_MAX_OBJECTS:
		err = parse_u64("--max-objects", arg, 1, 1 << 28, &v);
		opt->max_objects = v;
		break;
	case OPT_MAX_STACKS:
		err = parse_u64("--max-stacks", arg, 1, 1 << 24, &v);
		opt->max_stacks = v;
		break;
	case OPT_MAX_SITES:
		err = parse_u64("--max-sites", arg, 1, 1 << 24, &v);
		opt->max_sites = v;
		break;
	case OPT_KINDS:
		err = parse_kinds(arg, &opt->kinds);
		break;
	case OPT_FOLLOW_FORKS:
		opt->follow_forks = true;
		break;
	case OPT_SAMPLE:
		opt->sample_given = true;
		/* 1 is exact too; the BPF side draws 32 random bits */
		err = parse_u64("--sample", arg, 1, UINT32_MAX, &opt->sample);
		if (opt->sample == 1)
			opt->sample = 0;
		break;
	case OPT_PROBE_AT_ENTRY:
		opt->probe_at_entry = true;
		break;
	case OPT_UNWIND:
		if (!strcmp(arg, "fp"))
			opt->unwind = LS_UNWIND_FP;
		else if (!strcmp(arg, "dwarf"))
			opt->unwind = LS_UNWIND_DWARF;
		else if (!strcmp(arg, "auto"))
			opt->unwind = LS_UNWIND_AUTO;
		else
			return bad_number("--unwind (fp, dwarf or auto)", arg);
		break;
	case OPT_UNWIND_DEPTH:
		err = parse_u64("--unwind-depth", arg, 1, MAX_STACK_DEPTH, &v);
		opt->unwind_depth = v;
		break;
	case OPT_UNWIND_ROWS:
		err = parse_u64("--unwind-rows", arg, 1, 1 << 26, &v);
		opt->unwind_rows = v;
		break;
	case OPT_WINDOW:
		err = parse_u64("--window", arg, 2, VERDICT_WINDOW_MAX, &v);
		opt->window = v;
		break;
	case OPT_LEAKS_ONLY:
		opt->leaks_only = true;
		break;
	case OPT_JSON:
		opt->json_path = arg;
		break;
	case OPT_PPROF:
		opt->pprof_path = arg;
		break;
	case OPT_LISTEN:
		if (!strchr(arg, ':')) {
			ls_error("invalid --listen '%s' (expected HOST:PORT)", arg);
			return LS_EXIT_USAGE;
		}
		opt->listen = arg;
		break;
	case OPT_PUSH:
		if (strncmp(arg, "http://", 7) || !arg[7] || arg[7] == '/' || arg[7] == ':') {
			ls_error("invalid --push '%s' (expected http://HOST[:PORT][/PATH])", arg);
			return LS_EXIT_USAGE;
		}
		opt->push = arg;
		break;
	case 'a':
		opt->all = true;
		break;
	case OPT_CGROUP:
		opt->cgroup = arg;
		opt->all = true;
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15) {
			ls_error("invalid --comm '%s' (a process name: 1 to 15 characters)", arg);
			return LS_EXIT_USAGE;
		}
		opt->comm = arg;
		opt->all = true;
		break;
	case 'v':
		ls_verbose++;
		break;
	default:
		return LS_EXIT_USAGE;
	}
	return err;
}

int cli__parse(int argc, char **argv, struct options *opt)
{
	int c, err;

	set_defaults(opt);
	opterr = 0;
	/* '+': stop at the first non-option, so the command's own options are
	 * never taken for ours. */
	while ((c = getopt_long(argc, argv, "+:p:i:d:avh", long_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return LS_EXIT_OK;
		}
		if (c == ':') {
			ls_error("option '%s' needs a value (see --help)", argv[optind - 1]);
			return LS_EXIT_USAGE;
		}
		if (c == '?') {
			if (optopt && optopt < 256)
				ls_error("unknown option '-%c' (see --help)", optopt);
			else
				ls_error("unknown option '%s' (see --help)", argv[optind - 1]);
			return LS_EXIT_USAGE;
		}
		err = parse_one(c, optarg, opt);
		if (err)
			return err;
	}
	if (optind < argc)
		opt->command = &argv[optind];
	if (opt->pid && opt->command) {
		ls_error("give either -p PID or -- COMMAND, not both");
		return LS_EXIT_USAGE;
	}
	if (opt->all && (opt->pid || opt->command)) {
		ls_error("-a (--all, --cgroup, --comm) traces the host: no -p PID or -- COMMAND");
		return LS_EXIT_USAGE;
	}
	if (!opt->pid && !opt->command && !opt->all) {
		ls_error("no target: give -p PID, -- COMMAND or -a (see --help)");
		return LS_EXIT_USAGE;
	}
	if (opt->all && !opt->sample_given)
		opt->sample = 4096; /* bounded cost on a busy host */
	if (opt->min_size > opt->max_size) {
		ls_error("--min-size is larger than --max-size");
		return LS_EXIT_USAGE;
	}
	return -1;
}
