// SPDX-License-Identifier: GPL-2.0
/*
 * The --help text: every option of cli.c, grouped by what it is for. An
 * option added there is described here.
 */
#include <stdio.h>

#include "cli_usage.h"

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
    "      --kinds LIST        what to trace: heap,fd,thread,goroutine,go-heap\n"
    "                          (default: all; goroutine and go-heap in Go programs)\n"
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

void cli_usage__print(FILE *out)
{
	fputs(usage_text, out);
}
