// SPDX-License-Identifier: GPL-2.0
/*
 * The probe plan (allocator.h): the allocator's entry points and the libc
 * wrappers, each bound to the first object of the target's load order
 * (load_order.c) that defines it, then where each entry probe goes.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "elf_lookup.h"
#include "kind.h"
#include "load_order.h"
#include "target.h"
#include "util.h"

/* At most this many functions of all kinds together. */
#define MAX_FUNCTIONS 128

/* The libc and allocator functions every kind probes, in the kind table's
 * order. */
static size_t kind_functions(const struct api_function **out)
{
	size_t n = 0, i;
	int k;

	for (k = 0; k < LS_KIND_MAX; k++) {
		const struct kind *kind = kind__get(k);

		for (i = 0; i < kind->nfunctions && n < MAX_FUNCTIONS; i++)
			out[n++] = &kind->functions[i];
	}
	return n;
}

/* Prefixed allocators probed when a binary defines them (bundled jemalloc,
 * gperftools, mimalloc); nesting in BPF keeps an unprefixed malloc that
 * calls them from counting twice. */
static const char *const auto_prefixes[] = {"", "je_", "tc_", "mi_"};

static bool matches_lib(const char *path, const char *lib)
{
	if (lib[0] == '/')
		return !strcmp(path, lib);
	return !strncmp(path_base(path), lib, strlen(lib)) || strstr(path, lib);
}

static bool planned(const struct probe_plan *plan, const char *binary, uint64_t offset)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (plan->points[i].offset == offset && !strcmp(plan->points[i].binary, binary))
			return true;
	return false;
}

/* For one prefix, bind every function to the first object defining it. */
static void plan_prefix(const struct target *t, const struct load_order *objs, const char *prefix,
			struct probe_plan *plan)
{
	const struct api_function *fns[MAX_FUNCTIONS];
	size_t n = kind_functions(fns), i, k;
	const char *names[MAX_FUNCTIONS];
	char symbols[MAX_FUNCTIONS][64];
	uint64_t offsets[MAX_FUNCTIONS], sizes[MAX_FUNCTIONS];
	bool bound[MAX_FUNCTIONS] = {false};

	for (k = 0; k < n; k++) {
		snprintf(symbols[k], sizeof(symbols[k]), "%s%s", fns[k]->unprefixed ? "" : prefix,
			 fns[k]->name);
		names[k] = symbols[k];
	}
	for (i = 0; i < objs->count; i++) {
		char path[PATH_MAX + 32];

		target__path(t, objs->paths[i], path, sizeof(path));
		if (elf_lookup__functions(path, names, n, offsets, sizes))
			continue;
		for (k = 0; k < n; k++) {
			struct probe_point *p;

			if (bound[k] || !offsets[k])
				continue;
			bound[k] = true;
			if (planned(plan, path, offsets[k]))
				continue; /* an alias of a function already probed */
			plan->points =
			    xrealloc(plan->points, plan->count + 1, sizeof(*plan->points));
			p = &plan->points[plan->count++];
			p->fn = fns[k];
			snprintf(p->symbol, sizeof(p->symbol), "%s", symbols[k]);
			p->binary = xstrdup(path);
			p->offset = offsets[k];
			p->size = sizes[k];
		}
	}
}

static bool plan_has(const struct probe_plan *plan, enum heap_prog prog)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (plan->points[i].fn->prog == prog)
			return true;
	return false;
}

static void keep_kinds(struct probe_plan *plan, unsigned int kinds)
{
	size_t i, kept = 0;

	for (i = 0; i < plan->count; i++) {
		if (kinds & (1u << plan->points[i].fn->kind))
			plan->points[kept++] = plan->points[i];
		else
			free(plan->points[i].binary);
	}
	plan->count = kept;
}

int allocator__plan(const struct target *t, const char *spec, unsigned int kinds,
		    struct probe_plan *plan)
{
	struct load_order objs = {0}, chosen = {0};
	char lib_buf[PATH_MAX], *lib = NULL;
	const char *prefix = "";
	size_t i;
	int err;

	memset(plan, 0, sizeof(*plan));
	if (spec) {
		snprintf(lib_buf, sizeof(lib_buf), "%s", spec);
		lib = lib_buf;
		if (strchr(lib, ':')) {
			prefix = strchr(lib, ':') + 1;
			*strchr(lib, ':') = '\0';
		}
	}
	err = t->spawned ? load_order__of_command(t->exe, &objs) : load_order__of_process(t, &objs);
	if (err) {
		ls_error("cannot read the objects of PID %d: %s", t->pid, strerror(-err));
		load_order__free(&objs);
		return LS_EXIT_NO_TARGET;
	}
	if (lib) {
		for (i = 0; i < objs.count; i++)
			if (matches_lib(objs.paths[i], lib))
				load_order__add(&chosen, objs.paths[i]);
		if (!chosen.count && lib[0] == '/')
			load_order__add(&chosen, lib);
		plan_prefix(t, &chosen, prefix, plan);
	} else {
		for (i = 0; i < sizeof(auto_prefixes) / sizeof(auto_prefixes[0]); i++)
			plan_prefix(t, &objs, auto_prefixes[i], plan);
	}
	plan->objects = objs.paths; /* taken over */
	plan->nobjects = objs.count;
	load_order__free(&chosen);
	keep_kinds(plan, kinds);
	if ((kinds & (1u << LS_KIND_HEAP)) &&
	    (!plan_has(plan, PROG_ALLOC) || !plan_has(plan, PROG_FREE))) {
		if (lib)
			ls_error("'%s' with prefix '%s' defines no malloc and free in PID %d", lib,
				 prefix, t->pid);
		else
			ls_error("no allocator found in PID %d: no object defines malloc and free "
				 "(a stripped static binary?)",
				 t->pid);
		allocator__free_plan(plan);
		return LS_EXIT_ALLOCATOR;
	}
	return 0;
}

void allocator__free_plan(struct probe_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		free(plan->points[i].binary);
	free(plan->points);
	for (i = 0; i < plan->nobjects; i++)
		free(plan->objects[i]);
	free(plan->objects);
	memset(plan, 0, sizeof(*plan));
}

/* The argument registers each entry program reads (bpf/heap.bpf.c). */
static unsigned registers_read(enum heap_prog prog)
{
	switch (prog) {
	case PROG_ALLOC:
	case PROG_FREE:
		return PLACE_KEEP_RDI;
	case PROG_ALLOC_ALIGNED:
	case PROG_CALLOC:
	case PROG_REALLOC:
		return PLACE_KEEP_RDI | PLACE_KEEP_RSI;
	case PROG_REALLOCARRAY:
	case PROG_POSIX_MEMALIGN:
		return PLACE_KEEP_RDI | PLACE_KEEP_RSI | PLACE_KEEP_RDX;
	case PROG_WRAPPER:
		return 0;
	}
	return PLACE_KEEP_RDI | PLACE_KEEP_RSI | PLACE_KEEP_RDX;
}

/*
 * A function with a uretprobe shares one breakpoint between its entry
 * program and the uretprobe, which takes over the return address at [sp]
 * when it hits: it may move past the first instructions only while they
 * leave the stack pointer where it was (jemalloc's malloc: `cmp` is
 * single-stepped, the `ja` after it is emulated).
 */
void allocator__place(struct probe_plan *plan, bool at_entry)
{
	size_t i;

	for (i = 0; i < plan->count; i++) {
		struct probe_point *p = &plan->points[i];
		enum placement_mode mode = at_entry		     ? PLACE_ENTRY_FORCED
					   : probe_point__returns(p) ? PLACE_RETURN
								     : PLACE_BEST;

		placement__for_function(p->binary, p->offset, p->size, registers_read(p->fn->prog),
					mode, &p->place);
	}
}
