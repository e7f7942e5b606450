// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the command line: the input is split at NUL bytes
 * into arguments. Parsing must never crash, hang or leak, whatever it gets.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], *p;
	struct options opt;
	int argc = 1;
	static int quiet;

	if (!quiet) {
		/* error lines are expected: keep the fuzzer's output readable */
		quiet = 1;
		if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout))
			return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "leakscope";
	for (p = buf; p < buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	optind = 0; /* glibc: a full reset of getopt's state */
	cli__parse(argc, argv, &opt);
	free(buf);
	return 0;
}
