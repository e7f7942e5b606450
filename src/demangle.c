// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "util.h"

/* The Itanium C++ ABI demangler, from the C++ runtime every system has. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *demangle(const char *name)
{
	char *out;
	int status = -1;

	if (strncmp(name, "_Z", 2))
		return xstrdup(name);
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0 || !out) {
		free(out);
		return xstrdup(name);
	}
	return out;
}
