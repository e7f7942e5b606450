// SPDX-License-Identifier: GPL-2.0
/*
 * The value parsers of the command line (cli_value.h): strict, so that a
 * typo is a usage error rather than a silently different setting.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_value.h"
#include "kind.h"
#include "util.h"

int cli_value__bad(const char *what, const char *arg)
{
	ls_error("invalid %s '%s'", what, arg);
	return LS_EXIT_USAGE;
}

int cli_value__u64(const char *what, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (arg[0] < '0' || arg[0] > '9')
		return cli_value__bad(what, arg);
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		return cli_value__bad(what, arg);
	*out = v;
	return 0;
}

int cli_value__seconds(const char *what, const char *arg, double min, double *out)
{
	char *end;
	double v;

	if ((arg[0] < '0' || arg[0] > '9') && arg[0] != '.')
		return cli_value__bad(what, arg);
	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || !isfinite(v) || v < min || v > 1e9)
		return cli_value__bad(what, arg);
	*out = v;
	return 0;
}

/* The index of the word of `n` bytes at s among words[], -1 when none. */
static int word_index(const char *s, size_t n, const char *const *words, size_t nwords)
{
	for (size_t i = 0; i < nwords; i++)
		if (words[i] && strlen(words[i]) == n && !strncmp(s, words[i], n))
			return (int)i;
	return -1;
}

int cli_value__word(const char *what, const char *arg, const char *const *words, size_t n, int *out)
{
	int i = word_index(arg, strlen(arg), words, n);

	if (i < 0)
		return cli_value__bad(what, arg);
	*out = i;
	return 0;
}

int cli_value__kinds(const char *arg, unsigned int *kinds)
{
	const char *names[LS_KIND_MAX], *p = arg;
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		names[k] = kind__name(k);
	*kinds = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		k = n ? word_index(p, n, names, LS_KIND_MAX) : -1;
		if (k < 0)
			break;
		*kinds |= 1u << k;
		p += n + (p[n] == ',');
	}
	if (*p || !*kinds) {
		ls_error("invalid --kinds '%s' (a list of %s)", arg, kind__names());
		return LS_EXIT_USAGE;
	}
	return 0;
}
