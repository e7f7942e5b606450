// SPDX-License-Identifier: GPL-2.0
/*
 * The command line (cli.h): the option table, each option's value stored
 * (parsed by cli_value.c), then the checks across options: one target, a
 * consistent size range. The --help text is cli_usage.c's.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_usage.h"
#include "cli_value.h"
#include "kind.h"
#include "names.h"
#include "unwind.h"
#include "util.h"
#include "verdict.h"

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
	OPT_CHECK,
	OPT_SUPPRESSIONS,
	OPT_CHECK_IGNORE,
	OPT_JUNIT,
	OPT_HOST_EXACT,
	OPT_BUDGET,
	OPT_FAULT_PERIOD,
	OPT_ESCALATE_AFTER,
	OPT_ESCALATE_WINDOW,
};

static const struct option long_options[] = {
    {"pid", required_argument, NULL, 'p'},
    {"all", no_argument, NULL, 'a'},
    {"cgroup", required_argument, NULL, OPT_CGROUP},
    {"comm", required_argument, NULL, OPT_COMM},
    {"host-exact", no_argument, NULL, OPT_HOST_EXACT},
    {"budget", required_argument, NULL, OPT_BUDGET},
    {"fault-period", required_argument, NULL, OPT_FAULT_PERIOD},
    {"escalate-after", required_argument, NULL, OPT_ESCALATE_AFTER},
    {"escalate-window", required_argument, NULL, OPT_ESCALATE_WINDOW},
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
    {"check", no_argument, NULL, OPT_CHECK},
    {"suppressions", required_argument, NULL, OPT_SUPPRESSIONS},
    {"check-ignore", required_argument, NULL, OPT_CHECK_IGNORE},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

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
	opt->budget = 2;
	opt->fault_period = 64;
	opt->escalate_after = 3;
	opt->escalate_window = 30;
	opt->unwind = LS_UNWIND_AUTO;
	opt->unwind_depth = MAX_STACK_DEPTH;
	opt->unwind_rows = 1 << 20;
	opt->window = 6;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const folded_words[] = {
    [FOLDED_BYTES] = "bytes",
    [FOLDED_COUNT] = "count",
};

static const char *const unwind_words[] = {
    [LS_UNWIND_FP] = "fp",
    [LS_UNWIND_DWARF] = "dwarf",
    [LS_UNWIND_AUTO] = "auto",
};

static int parse_one(int c, const char *arg, struct options *opt)
{
	uint64_t v = 0;
	int err = 0, w = 0;

	switch (c) {
	case 'p':
		err = cli_value__u64("PID", arg, 1, INT_MAX, &v);
		opt->pid = v;
		break;
	case 'i':
		err = cli_value__seconds("interval", arg, 0.1, &opt->interval);
		opt->interval_given = true;
		break;
	case 'd':
		err = cli_value__seconds("duration", arg, 0.1, &opt->duration);
		break;
	case OPT_COUNT:
		err = cli_value__u64("count", arg, 1, LONG_MAX, &v);
		opt->count = v;
		break;
	case OPT_TOP:
		err = cli_value__u64("--top", arg, 1, INT_MAX, &v);
		opt->top = v;
		break;
	case OPT_MIN_AGE:
		err = cli_value__seconds("--min-age", arg, 0, &opt->min_age);
		break;
	case OPT_MIN_SIZE:
		err = cli_value__u64("--min-size", arg, 0, UINT64_MAX, &opt->min_size);
		break;
	case OPT_MAX_SIZE:
		err = cli_value__u64("--max-size", arg, 0, UINT64_MAX, &opt->max_size);
		break;
	case OPT_FOLDED:
		opt->folded_path = arg;
		break;
	case OPT_FOLDED_VALUE:
		err = cli_value__word("--folded-value (bytes or count)", arg, folded_words,
				      ARRAY_LEN(folded_words), &w);
		if (!err)
			opt->folded_value = w;
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
		err = cli_value__u64("--max-objects", arg, 1, 1 << 28, &v);
		opt->max_objects = v;
		break;
	case OPT_MAX_STACKS:
		err = cli_value__u64("--max-stacks", arg, 1, 1 << 24, &v);
		opt->max_stacks = v;
		break;
	case OPT_MAX_SITES:
		err = cli_value__u64("--max-sites", arg, 1, 1 << 24, &v);
		opt->max_sites = v;
		break;
	case OPT_KINDS:
		err = cli_value__kinds(arg, &opt->kinds);
		opt->kinds_given = true;
		break;
	case OPT_HOST_EXACT:
		opt->host_exact = true;
		opt->all = true;
		break;
	case OPT_BUDGET:
		err = cli_value__seconds("--budget", arg, 0.01, &opt->budget);
		if (!err && opt->budget > 100) {
			ls_error("invalid --budget '%s' (a percent: 0.01 to 100)", arg);
			err = LS_EXIT_USAGE;
		}
		break;
	case OPT_FAULT_PERIOD:
		err = cli_value__u64("--fault-period", arg, 1, 1 << 20, &opt->fault_period);
		break;
	case OPT_ESCALATE_AFTER:
		err = cli_value__u64("--escalate-after", arg, 0, VERDICT_WINDOW_MAX, &v);
		opt->escalate_after = v;
		break;
	case OPT_ESCALATE_WINDOW:
		err = cli_value__seconds("--escalate-window", arg, 1, &opt->escalate_window);
		break;
	case OPT_FOLLOW_FORKS:
		opt->follow_forks = true;
		break;
	case OPT_SAMPLE:
		opt->sample_given = true;
		/* 1 is exact too; the BPF side draws 32 random bits */
		err = cli_value__u64("--sample", arg, 1, UINT32_MAX, &opt->sample);
		if (opt->sample == 1)
			opt->sample = 0;
		break;
	case OPT_PROBE_AT_ENTRY:
		opt->probe_at_entry = true;
		break;
	case OPT_UNWIND:
		err = cli_value__word("--unwind (fp, dwarf or auto)", arg, unwind_words,
				      ARRAY_LEN(unwind_words), &opt->unwind);
		break;
	case OPT_UNWIND_DEPTH:
		err = cli_value__u64("--unwind-depth", arg, 1, MAX_STACK_DEPTH, &v);
		opt->unwind_depth = v;
		break;
	case OPT_UNWIND_ROWS:
		err = cli_value__u64("--unwind-rows", arg, 1, 1 << 26, &v);
		opt->unwind_rows = v;
		break;
	case OPT_WINDOW:
		err = cli_value__u64("--window", arg, 2, VERDICT_WINDOW_MAX, &v);
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
	case OPT_CHECK:
		opt->check = true;
		break;
	case OPT_SUPPRESSIONS:
		opt->suppressions = arg;
		opt->check = true;
		break;
	case OPT_CHECK_IGNORE:
		opt->check_ignore =
		    xrealloc(opt->check_ignore, opt->ncheck_ignore + 1, sizeof(*opt->check_ignore));
		opt->check_ignore[opt->ncheck_ignore++] = arg;
		opt->check = true;
		break;
	case OPT_JUNIT:
		opt->junit_path = arg;
		opt->check = true;
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
			cli_usage__print(stdout);
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
	if (opt->check && !opt->command) {
		ls_error("--check runs a command to its end: give -- COMMAND");
		return LS_EXIT_USAGE;
	}
	if (opt->check && !opt->interval_given)
		opt->interval = 1; /* verdicts need a few reports */
	if (opt->all && opt->host_exact && !opt->sample_given)
		opt->sample = 4096; /* bounded cost on a busy host */
	/* -a: page faults, the heap of one suspect at a time, exactly, and
	 * the Go processes' goroutines and sampled Go heap (probes that fire
	 * once a goroutine, once a 512 KiB sample) */
	if (opt->all && !opt->host_exact && !opt->kinds_given)
		opt->kinds = 1u << LS_KIND_GROWTH | 1u << LS_KIND_HEAP | 1u << LS_KIND_GOROUTINE |
			     1u << LS_KIND_GO_HEAP;
	/* one process's heap for a window: a table a report reads quickly */
	if (opt->all && !opt->host_exact && opt->max_objects == 1 << 20)
		opt->max_objects = 1 << 16;
	if (opt->min_size > opt->max_size) {
		ls_error("--min-size is larger than --max-size");
		return LS_EXIT_USAGE;
	}
	return -1;
}

void cli__free(struct options *opt)
{
	free(opt->check_ignore);
	opt->check_ignore = NULL;
	opt->ncheck_ignore = 0;
}
