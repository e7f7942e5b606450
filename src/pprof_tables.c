// SPDX-License-Identifier: GPL-2.0
/* The tables of a pprof profile: see pprof_tables.h. */
#include <stdlib.h>
#include <string.h>

#include "pprof_tables.h"
#include "util.h"

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static void strings_grow(struct pprof_strings *t)
{
	size_t i, n = t->nslots ? t->nslots * 2 : 256;

	free(t->slots);
	t->slots = xcalloc(n, sizeof(*t->slots));
	t->nslots = n;
	for (i = 0; i < t->count; i++) {
		size_t s = hash_string(t->v[i]) & (n - 1);

		while (t->slots[s])
			s = (s + 1) & (n - 1);
		t->slots[s] = i + 1;
	}
}

uint64_t pprof__intern(struct pprof_strings *t, const char *s)
{
	size_t slot;

	if (2 * (t->count + 1) > t->nslots)
		strings_grow(t);
	slot = hash_string(s) & (t->nslots - 1);
	while (t->slots[slot]) {
		if (!strcmp(t->v[t->slots[slot] - 1], s))
			return t->slots[slot] - 1;
		slot = (slot + 1) & (t->nslots - 1);
	}
	t->v = xrealloc(t->v, t->count + 1, sizeof(*t->v));
	t->function = xrealloc(t->function, t->count + 1, sizeof(*t->function));
	t->filename = xrealloc(t->filename, t->count + 1, sizeof(*t->filename));
	t->v[t->count] = s;
	t->function[t->count] = false;
	t->filename[t->count] = 0;
	t->slots[slot] = ++t->count;
	return t->count - 1;
}

static uint64_t mapping_of(struct pprof_locations *L, const struct report_loc *loc)
{
	size_t i;

	if (!loc->path)
		return 0;
	for (i = 0; i < L->nmaps; i++)
		if (L->maps[i].start == loc->start)
			return i + 1;
	L->maps = xrealloc(L->maps, L->nmaps + 1, sizeof(*L->maps));
	L->maps[L->nmaps++] = *loc;
	return L->nmaps;
}

static void locations_grow(struct pprof_locations *L)
{
	size_t i, n = L->nslots ? 2 * L->nslots : 256;

	free(L->slots);
	L->slots = xcalloc(n, sizeof(*L->slots));
	L->nslots = n;
	for (i = 0; i < L->count; i++) {
		size_t s = (L->locs[i].addr * 0x9e3779b97f4a7c15ULL >> 20) & (n - 1);

		while (L->slots[s])
			s = (s + 1) & (n - 1);
		L->slots[s] = i + 1;
	}
}

uint64_t pprof__location(struct pprof_locations *L, const struct report_entry *e, size_t k,
			 size_t n, const uint64_t *fns)
{
	const struct report_loc *loc = &e->locs[k];
	size_t s, i;

	if (2 * (L->count + 1) > L->nslots)
		locations_grow(L);
	s = (loc->addr * 0x9e3779b97f4a7c15ULL >> 20) & (L->nslots - 1);
	while (L->slots[s]) {
		if (L->locs[L->slots[s] - 1].addr == loc->addr)
			return 2 * (L->slots[s] - 1) + 1;
		s = (s + 1) & (L->nslots - 1);
	}
	L->locs = xrealloc(L->locs, L->count + 1, sizeof(*L->locs));
	L->mappings = xrealloc(L->mappings, L->count + 1, sizeof(*L->mappings));
	L->line_at = xrealloc(L->line_at, L->count + 2, sizeof(*L->line_at));
	L->lines = xrealloc(L->lines, L->nlines + n, sizeof(*L->lines));
	L->locs[L->count] = *loc;
	L->mappings[L->count] = mapping_of(L, loc);
	L->line_at[L->count] = L->nlines;
	for (i = 0; i < n; i++)
		L->lines[L->nlines++] = (struct pprof_line){fns[i], e->locs[k + i].line};
	L->line_at[L->count + 1] = L->nlines;
	L->slots[s] = ++L->count;
	return 2 * (L->count - 1) + 1;
}

void pprof__add_locations(struct pb *pb, struct pprof_strings *t, struct pprof_locations *L)
{
	struct pb m = {0}, line = {0};
	size_t i, k;

	for (i = 0; i < L->nmaps; i++) {
		pb__uint(&m, MAPPING_ID, i + 1);
		pb__uint(&m, MAPPING_MEMORY_START, L->maps[i].start);
		pb__uint(&m, MAPPING_MEMORY_LIMIT, L->maps[i].limit);
		pb__uint(&m, MAPPING_FILE_OFFSET, L->maps[i].offset);
		pb__uint(&m, MAPPING_FILENAME, pprof__intern(t, L->maps[i].path));
		if (L->maps[i].build_id)
			pb__uint(&m, MAPPING_BUILD_ID, pprof__intern(t, L->maps[i].build_id));
		pb__uint(&m, MAPPING_HAS_FUNCTIONS, 1);
		pb__message(pb, PROFILE_MAPPING, &m);
	}
	for (i = 0; i < L->count; i++) {
		pb__uint(&m, LOCATION_ID, 2 * i + 1);
		pb__uint(&m, LOCATION_MAPPING_ID, L->mappings[i]);
		/* a return address: the call is the instruction before it */
		pb__uint(&m, LOCATION_ADDRESS, L->locs[i].addr - 1);
		for (k = L->line_at[i]; k < L->line_at[i + 1]; k++) {
			pb__uint(&line, LINE_FUNCTION_ID, L->lines[k].function);
			if (L->lines[k].line > 0)
				pb__uint(&line, LINE_LINE, (uint64_t)L->lines[k].line);
			pb__message(&m, LOCATION_LINE, &line);
		}
		pb__message(pb, PROFILE_LOCATION, &m);
	}
	pb__free(&m);
	pb__free(&line);
	free(L->locs);
	free(L->mappings);
	free(L->line_at);
	free(L->lines);
	free(L->slots);
	free(L->maps);
}

uint64_t pprof__intern_function(struct pprof_strings *t, const char *name, const char *file)
{
	uint64_t i = pprof__intern(t, name), f = file ? pprof__intern(t, file) : 0;

	if (i == 0) /* "" is not a name */
		i = pprof__intern(t, "?");
	t->function[i] = true;
	if (!t->filename[i])
		t->filename[i] = f;
	return i;
}

void pprof__add_functions(struct pb *pb, struct pprof_strings *t)
{
	struct pb fn = {0}, line = {0};
	size_t i;

	for (i = 1; i < t->count; i++) {
		if (!t->function[i])
			continue;
		pb__uint(&fn, FUNCTION_ID, i);
		pb__uint(&fn, FUNCTION_NAME, i);
		pb__uint(&fn, FUNCTION_SYSTEM_NAME, i);
		if (t->filename[i])
			pb__uint(&fn, FUNCTION_FILENAME, t->filename[i]);
		pb__message(pb, PROFILE_FUNCTION, &fn);
		pb__uint(&fn, LOCATION_ID, 2 * i);
		pb__uint(&line, LINE_FUNCTION_ID, i);
		pb__message(&fn, LOCATION_LINE, &line);
		pb__message(pb, PROFILE_LOCATION, &fn);
	}
	pb__free(&fn);
	pb__free(&line);
}

void pprof__strings_free(struct pprof_strings *t)
{
	free(t->v);
	free(t->slots);
	free(t->function);
	free(t->filename);
}
