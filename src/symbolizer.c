// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process symbolization over a global cache of ELF symbol tables.
 *
 * The cache maps (device, inode) of mapped files to symbol tables, and tables
 * are deduplicated by build-id, so libc in a hundred containers is read once
 * per container but kept in memory once. Files that are not ELF are cached as
 * NULL so data mappings are not re-parsed on every refresh.
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

#define DELETED_SUFFIX " (deleted)"

struct alias {
	unsigned int major, minor;
	uint64_t ino;
	struct elf_symtab *tab; /* NULL: not a usable ELF file */
	char *path;		/* where it was first seen */
};

static struct {
	struct elf_symtab **tabs; /* owned */
	size_t ntabs;
	struct alias *aliases;
	size_t naliases;
} cache;

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

static struct alias *cache__find(const struct map_entry *e)
{
	for (size_t i = 0; i < cache.naliases; i++) {
		struct alias *a = &cache.aliases[i];

		if (a->ino == e->inode && a->major == e->dev_major && a->minor == e->dev_minor)
			return a;
	}
	return NULL;
}

/* Take over tab (or find its twin by build-id) and remember it under e's file. */
static struct elf_symtab *cache__add(const struct map_entry *e, struct elf_symtab *tab)
{
	const char *id = tab ? elf_symtab__build_id(tab) : NULL;
	bool is_new = tab != NULL;
	struct alias *na;

	for (size_t i = 0; id && i < cache.ntabs; i++) {
		const char *other = elf_symtab__build_id(cache.tabs[i]);

		if (other && !strcmp(id, other)) {
			elf_symtab__close(tab);
			tab = cache.tabs[i];
			is_new = false;
			break;
		}
	}
	na = realloc(cache.aliases, (cache.naliases + 1) * sizeof(*na));
	if (!na)
		goto fail;
	cache.aliases = na;
	if (is_new) {
		struct elf_symtab **nt = realloc(cache.tabs, (cache.ntabs + 1) * sizeof(*nt));

		if (!nt)
			goto fail;
		cache.tabs = nt;
		cache.tabs[cache.ntabs++] = tab;
	}
	cache.aliases[cache.naliases++] =
	    (struct alias){e->dev_major, e->dev_minor, e->inode, tab, strdup(e->path)};
	return tab;
fail:
	/* Without memory to remember it, a new table cannot be shared: drop it. */
	if (is_new)
		elf_symtab__close(tab);
	return NULL;
}

void symbolizer__cache_clear(void)
{
	for (size_t i = 0; i < cache.ntabs; i++)
		elf_symtab__close(cache.tabs[i]);
	for (size_t i = 0; i < cache.naliases; i++)
		free(cache.aliases[i].path);
	free(cache.tabs);
	free(cache.aliases);
	memset(&cache, 0, sizeof(cache));
}

static int open_checked(const char *path, const struct map_entry *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* A path may since have been replaced by another file: trust only the mapped inode. */
	if (fstat(fd, &st) || st.st_ino != e->inode) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * map_files reaches the mapped inode itself, even when deleted or in another mount namespace,
 * but needs CAP_SYS_ADMIN; the paths are fallbacks.
 */
static int open_mapped(int pid, const struct map_entry *e, const char *path)
{
	char buf[4096 + 64];
	int fd;

	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, e->start,
		 e->end);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if ((size_t)snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path) < sizeof(buf)) {
		fd = open_checked(buf, e);
		if (fd >= 0)
			return fd;
	}
	return open_checked(path, e);
}

/* The symbol table for a file mapping; NULL when it cannot be had. */
static struct elf_symtab *table_for(int pid, const struct map_entry *e)
{
	struct elf_symtab *tab;
	struct alias *a;
	size_t n = strlen(e->path), sl = strlen(DELETED_SUFFIX);
	char *path;
	int fd;

	a = cache__find(e);
	if (a)
		return a->tab;
	path = strdup(e->path);
	if (!path)
		return NULL;
	if (n > sl && !strcmp(path + n - sl, DELETED_SUFFIX))
		path[n - sl] = '\0';
	fd = open_mapped(pid, e, path);
	if (fd < 0) {
		/* Not cached: it may be readable on the next refresh (e.g. after a setns). */
		free(path);
		return NULL;
	}
	tab = elf_symtab__open_fd(fd, path);
	close(fd);
	free(path);
	return cache__add(e, tab);
}

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
			slots[i].tab = table_for(s->pid, e);
	}
	proc_maps__free(&s->maps);
	free(s->slots);
	s->maps = m;
	s->slots = slots;
	return 0;
}

int symbolizer__add_mapping(struct symbolizer *s, const struct map_entry *e, const char *path)
{
	const struct alias *a = cache__find(e);
	struct proc_maps *m = &s->maps;
	size_t i, k = 0, at;
	struct map_entry *entries;
	struct slot *slots;

	if (!a && path) { /* read it now, if `path` is the mapped file */
		struct map_entry named = *e;
		int fd = open_checked(path, e);

		named.path = (char *)path;
		if (fd >= 0) {
			cache__add(&named, elf_symtab__open_fd(fd, path));
			close(fd);
		}
		a = cache__find(e);
	}
	if (!a || !a->tab || !a->path)
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
	entries[at].path = strdup(a->path);
	slots[at] = (struct slot){
	    .module = module_name(s, a->path), .path = intern(s, a->path), .tab = a->tab};
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
