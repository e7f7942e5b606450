// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the command line: the input is split at NUL bytes
 * into arguments. Parsing must never crash, hang or leak, whatever it gets.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], *p;
	struct options opt;
	int argc = 1;
	static int null_fd = -1, saved_out, saved_err;

	if (null_fd < 0) {
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		saved_out = dup(STDOUT_FILENO);
		saved_err = dup(STDERR_FILENO);
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "leakscope";
	for (p = buf; p < buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	optind = 0; /* glibc: a full reset of getopt's state */
	/* error and help lines are expected: kept out of the fuzzer's output
	 * (its own lines and a sanitizer's report still reach stderr) */
	fflush(NULL);
	dup2(null_fd, STDOUT_FILENO);
	dup2(null_fd, STDERR_FILENO);
	cli__parse(argc, argv, &opt);
	cli__free(&opt);
	fflush(NULL);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	free(buf);
	return 0;
}
