// SPDX-License-Identifier: GPL-2.0
/*
 * The global cache of ELF symbol tables of mapped files. It maps (device,
 * inode) to a symbol table, and tables are deduplicated by build-id, so libc
 * in a hundred containers is read once per container but kept in memory
 * once. Files that are not ELF are cached as NULL so data mappings are not
 * re-parsed on every refresh.
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
#include "symtab_cache.h"

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

void symtab_cache__clear(void)
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
struct elf_symtab *symtab_cache__of_mapping(int pid, const struct map_entry *e)
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

struct elf_symtab *symtab_cache__of_file(const struct map_entry *e, const char *path,
					 const char **known)
{
	struct alias *a = cache__find(e);

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
		return NULL;
	*known = a->path;
	return a->tab;
}
