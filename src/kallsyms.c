// SPDX-License-Identifier: GPL-2.0
/* Kernel symbols from /proc/kallsyms, sorted by address once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "util.h"

struct ksym {
	uint64_t addr;
	char *name;
	const char *module; /* "[kernel]" or the module's "[name]" (interned) */
};

static struct ksym *syms;
static size_t nsyms;
static bool loaded;
static char **modules;
static size_t nmodules;

static const char *intern_module(const char *name)
{
	char buf[80];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", name);
	for (i = 0; i < nmodules; i++)
		if (!strcmp(modules[i], buf))
			return modules[i];
	modules = xrealloc(modules, nmodules + 1, sizeof(*modules));
	modules[nmodules] = xstrdup(buf);
	return modules[nmodules++];
}

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], mod[80];
	size_t cap = 0;

	loaded = true;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;
		int n;

		mod[0] = '\0';
		n = sscanf(line, "%llx %c %255s %79s", &addr, &type, name, mod);
		if (n < 3 || !addr || !strchr("tTwW", type))
			continue;
		if (nsyms == cap) {
			cap = cap ? 2 * cap : 65536;
			syms = xrealloc(syms, cap, sizeof(*syms));
		}
		syms[nsyms].addr = addr;
		syms[nsyms].name = xstrdup(name);
		syms[nsyms++].module = intern_module(n == 4 ? mod : "[kernel]");
	}
	fclose(f);
	if (nsyms) /* qsort(NULL, 0) is undefined */
		qsort(syms, nsyms, sizeof(*syms), by_addr);
}

bool kallsyms__resolve(uint64_t addr, struct frame *out)
{
	size_t lo = 0, hi;
	uint64_t pc = addr - 1; /* the call, not the instruction after it */

	if (!loaded)
		load();
	memset(out, 0, sizeof(*out));
	out->module = "[kernel]";
	out->offset = addr;
	hi = nsyms;
	while (lo < hi) { /* the last symbol at or below pc */
		size_t mid = lo + (hi - lo) / 2;

		if (syms[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	out->function = syms[lo - 1].name;
	out->module = syms[lo - 1].module;
	out->offset = addr - syms[lo - 1].addr;
	return true;
}

void kallsyms__free(void)
{
	size_t i;

	for (i = 0; i < nsyms; i++)
		free(syms[i].name);
	for (i = 0; i < nmodules; i++)
		free(modules[i]);
	free(syms);
	free(modules);
	syms = NULL;
	modules = NULL;
	nsyms = nmodules = 0;
	loaded = false;
}
