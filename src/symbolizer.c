// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process symbolization: a process's mappings, each with the symbol
 * table of its file from the global cache (src/symtab_cache.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_symtab.h"
#include "proc_maps.h"
#include "symbolizer.h"
#include "symtab_cache.h"

#define DELETED_SUFFIX " (deleted)"

/* What resolve needs per map entry, kept parallel to maps.entries. */
struct slot {
	const char *module; /* interned in the symbolizer */
	const char *path;   /* interned; NULL when not a file */
	struct elf_symtab *tab;
};

struct symbolizer {
	int pid;
	struct proc_maps maps;
	struct slot *slots;
	char **names; /* module names; outlive refreshes so returned frames stay valid */
	size_t nnames;
};

static const char *intern(struct symbolizer *s, const char *name)
{
	char **nn;

	for (size_t i = 0; i < s->nnames; i++) {
		if (!strcmp(s->names[i], name))
			return s->names[i];
	}
	nn = realloc(s->names, (s->nnames + 1) * sizeof(*nn));
	if (!nn)
		return "[unknown]";
	s->names = nn;
	nn[s->nnames] = strdup(name);
	if (!nn[s->nnames])
		return "[unknown]";
	return nn[s->nnames++];
}

static const char *module_name(struct symbolizer *s, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n, sl = strlen(DELETED_SUFFIX);
	char buf[256];

	if (!path[0])
		return "[anon]";
	if (!base)
		return intern(s, path); /* "[heap]", "[vdso]", ... */
	base++;
	n = strlen(base);
	if (n > sl && !strcmp(base + n - sl, DELETED_SUFFIX))
		n -= sl;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, base);
	return intern(s, buf);
}

static bool same_file(const struct map_entry *a, const struct map_entry *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && !strcmp(a->path, b->path);
}

int symbolizer__refresh(struct symbolizer *s)
{
	struct proc_maps m;
	struct slot *slots;
	int err;

	/*
	 * maps is read in several read()s; a target changing its mappings meanwhile can yield
	 * an inconsistent (overlapping) view, so try again a few times.
	 */
	for (int tries = 0; tries < 3; tries++) {
		err = proc_maps__read(s->pid, &m);
		if (err != -EINVAL)
			break;
	}
	if (err == -ENOENT)
		err = -ESRCH;
	if (err)
		return err;
	/* A zombie's maps file is empty: as good as gone. */
	if (!m.count) {
		proc_maps__free(&m);
		return -ESRCH;
	}
	slots = calloc(m.count, sizeof(*slots));
	if (!slots) {
		proc_maps__free(&m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m.count; i++) {
		const struct map_entry *e = &m.entries[i];

		/* Consecutive mappings of one file: open it once even when that failed. */
		if (i && same_file(e, &m.entries[i - 1])) {
			slots[i] = slots[i - 1];
			continue;
		}
		slots[i].module = module_name(s, e->path);
		slots[i].path = e->path[0] == '/' ? intern(s, e->path) : NULL;
		if (e->path[0] == '/' && e->inode)
			slots[i].tab = symtab_cache__of_mapping(s->pid, e);
	}
	proc_maps__free(&s->maps);
	free(s->slots);
	s->maps = m;
	s->slots = slots;
	return 0;
}

int symbolizer__add_mapping(struct symbolizer *s, const struct map_entry *e, const char *path)
{
	struct proc_maps *m = &s->maps;
	size_t i, k = 0, at;
	struct map_entry *entries;
	struct slot *slots;
	struct elf_symtab *tab;
	const char *known;

	tab = symtab_cache__of_file(e, path, &known);
	if (!tab)
		return -ENOENT; /* a file never read: nothing to resolve with */
	entries = calloc(m->count + 1, sizeof(*entries));
	slots = calloc(m->count + 1, sizeof(*slots));
	if (!entries || !slots) {
		free(entries);
		free(slots);
		return -ENOMEM;
	}
	/* what it mapped over is gone */
	for (i = 0; i < m->count; i++) {
		if (m->entries[i].start < e->end && e->start < m->entries[i].end) {
			free(m->entries[i].path);
			continue;
		}
		entries[k] = m->entries[i];
		slots[k++] = s->slots[i];
	}
	for (at = 0; at < k && entries[at].start < e->start; at++)
		;
	memmove(entries + at + 1, entries + at, (k - at) * sizeof(*entries));
	memmove(slots + at + 1, slots + at, (k - at) * sizeof(*slots));
	entries[at] = *e;
	entries[at].path = strdup(known);
	slots[at] =
	    (struct slot){.module = module_name(s, known), .path = intern(s, known), .tab = tab};
	free(m->entries);
	free(s->slots);
	m->entries = entries;
	m->count = k + 1;
	s->slots = slots;
	return 0;
}

/* Go code: the frames .gopclntab has at vaddr (the call's), each offset as
 * `first` is; 0 for other code. */
static size_t go_frames(const struct elf_symtab *tab, uint64_t vaddr, const struct frame *first,
			struct frame *out, size_t max)
{
	struct go_frame g[SYMBOLIZER_MAX_INLINE];
	size_t n = elf_symtab__source(tab, vaddr, g,
				      max < SYMBOLIZER_MAX_INLINE ? max : SYMBOLIZER_MAX_INLINE);

	for (size_t i = 0; i < n; i++) {
		out[i] = *first;
		out[i].function = g[i].function;
		out[i].file = g[i].file[0] ? g[i].file : NULL;
		out[i].line = g[i].line;
	}
	return n;
}

size_t symbolizer__resolve(struct symbolizer *s, uint64_t addr, struct frame *out, size_t max)
{
	const struct map_entry *e;
	const struct slot *slot;
	uint64_t pc = addr - 1, fo, vaddr, off;
	struct frame base;
	const char *name;
	size_t n;

	*out = (struct frame){.module = "[unknown]", .offset = addr};
	if (!addr)
		return 1;
	e = proc_maps__find(&s->maps, pc);
	if (!e)
		return 1;
	slot = &s->slots[e - s->maps.entries];
	out->module = slot->module;
	fo = pc - e->start + e->offset;
	if (e->path[0] != '/') {
		out->offset = addr - e->start;
		return 1;
	}
	out->offset = fo + 1;
	if (!slot->tab || elf_symtab__offset_to_vaddr(slot->tab, fo, &vaddr))
		return 1;
	name = elf_symtab__lookup(slot->tab, vaddr, &off);
	out->function = name;
	out->offset = (name ? off : vaddr) + 1;
	base = *out;
	n = go_frames(slot->tab, vaddr, &base, out, max);
	return n ? n : 1;
}

bool symbolizer__mapping(struct symbolizer *s, uint64_t addr, struct frame_mapping *out)
{
	const struct map_entry *e = addr ? proc_maps__find(&s->maps, addr - 1) : NULL;
	const struct slot *slot;

	if (!e || !s->slots[e - s->maps.entries].path)
		return false;
	slot = &s->slots[e - s->maps.entries];
	out->path = slot->path;
	out->build_id = slot->tab ? elf_symtab__build_id(slot->tab) : NULL;
	out->start = e->start;
	out->limit = e->end;
	out->offset = e->offset;
	return true;
}

int frame__format(const struct frame *f, char *buf, size_t len)
{
	if (f->function)
		return snprintf(buf, len, "%s", f->function);
	return snprintf(buf, len, "%s+0x%" PRIx64, f->module ? f->module : "[unknown]", f->offset);
}

struct symbolizer *symbolizer__new(int pid)
{
	struct symbolizer *s;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pid = pid;
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	proc_maps__free(&s->maps);
	free(s->slots);
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	free(s);
}

void symbolizer__cache_clear(void)
{
	symtab_cache__clear();
}
