// SPDX-License-Identifier: GPL-2.0
/*
 * Which files have tables in BPF. A file is read the first time it is seen
 * (by device and inode); a build-id seen before reuses the rows already
 * loaded. --unwind auto gives rows only to files built without frame
 * pointers; a file whose rows do not fit is walked by frame pointers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "proc_maps.h"
#include "unwind_table.h"
#include "unwinder.h"
#include "util.h"

#define MAX_ROWS_PER_FILE (1u << 24) /* ROW_STEPS in bpf/unwind.bpf.h */

struct loaded {
	struct ls_unwind_file_key key;
	char build_id[ELF_FILE_BUILD_ID_LEN];
	struct ls_unwind_file val;
};

struct unwinder {
	enum ls_unwind_mode mode;
	struct unwinder_maps maps;
	struct ls_unwind_config config;
	uint32_t max_rows, used_rows;
	struct loaded *files;
	size_t nfiles, fp_files;
	bool full_warned;
};

static int write_config(const struct unwinder *u)
{
	__u32 zero = 0;

	return bpf_map_update_elem(u->maps.config_fd, &zero, &u->config, BPF_ANY);
}

struct unwinder *unwinder__new(enum ls_unwind_mode mode, uint32_t depth, uint32_t max_rows,
			       const struct unwinder_maps *maps)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->mode = mode;
	u->maps = *maps;
	u->max_rows = max_rows;
	u->config.tables = mode != LS_UNWIND_FP;
	u->config.depth = depth;
	if (write_config(u)) {
		int err = errno;

		free(u);
		errno = err;
		return NULL;
	}
	return u;
}

static const struct loaded *find(const struct unwinder *u, const struct ls_unwind_file_key *key)
{
	for (size_t i = 0; i < u->nfiles; i++)
		if (u->files[i].key.ino == key->ino && u->files[i].key.dev == key->dev)
			return &u->files[i];
	return NULL;
}

static const struct loaded *find_build_id(const struct unwinder *u, const char *id)
{
	for (size_t i = 0; id[0] && i < u->nfiles; i++)
		if (!strcmp(u->files[i].build_id, id))
			return &u->files[i];
	return NULL;
}

/* Appends the table's rows to the rows map; false when they do not fit. */
static bool load_rows(struct unwinder *u, const struct unwind_table *t, const char *name)
{
	uint32_t n = (uint32_t)t->ncompact, *keys;
	__u32 count = n;
	int err;

	if (t->ncompact > MAX_ROWS_PER_FILE || n > u->max_rows - u->used_rows) {
		if (!u->full_warned)
			ls_info("unwind rows full (--unwind-rows %u): %s walked by frame pointers",
				u->max_rows, name);
		u->full_warned = true;
		return false;
	}
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return false;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = u->used_rows + i;
	err = bpf_map_update_batch(u->maps.rows_fd, keys, t->compact, &count, NULL);
	for (uint32_t i = count; err && i < n; i++) /* no batch support: one by one */
		err = bpf_map_update_elem(u->maps.rows_fd, &keys[i], &t->compact[i], BPF_ANY)
			  ? -errno
			  : 0;
	free(keys);
	if (err)
		return false;
	u->used_rows += n;
	return true;
}

/* Builds the table of the file open at fd and records it under key. */
static void add_file(struct unwinder *u, const struct ls_unwind_file_key *key, int fd,
		     const char *name)
{
	struct unwind_table *t = unwind_table__open_fd(fd);
	struct loaded *nf, l = {.key = *key};
	const struct loaded *twin;
	bool tables;

	if (!t)
		return;
	snprintf(l.build_id, sizeof(l.build_id), "%s", t->build_id);
	tables = t->ncompact && t->nsegs && (u->mode == LS_UNWIND_DWARF || !t->has_fp);
	twin = find_build_id(u, t->build_id);
	if (twin) {
		l.val = twin->val;
	} else if (tables && load_rows(u, t, name)) {
		l.val.first_row = u->used_rows - (uint32_t)t->ncompact;
		l.val.nrows = (uint32_t)t->ncompact;
		l.val.delta = (int64_t)(t->segs[0].vaddr - t->segs[0].offset - t->base);
	}
	unwind_table__free(t);
	ls_info("unwind table of %s: %u rows%s", name, l.val.nrows,
		l.val.nrows ? "" : ", frame pointers");
	if (bpf_map_update_elem(u->maps.files_fd, key, &l.val, BPF_ANY))
		return;
	/* stacks remembered from walks without this table are walked again */
	u->config.generation++;
	write_config(u);
	nf = realloc(u->files, (u->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return;
	u->files = nf;
	u->files[u->nfiles++] = l;
	u->fp_files += !l.val.nrows;
}

static uint32_t kernel_dev(unsigned int major, unsigned int minor)
{
	return (major << 20) | minor;
}

/*
 * The file of `fd` as /proc/PID/maps names its mappings, as
 * unwinder__refresh() keys them: on overlayfs (containers) that is not what
 * fstat() says. Before 6.8 it is also the file the BPF walk sees (the
 * layer's below); from 6.8 maps shows the overlay's inode while the walk
 * still sees the layer's (left as it is: see the README). A page is mapped
 * and looked up in /proc/self/maps; false when that fails.
 */
static bool mapped_key(int fd, struct ls_unwind_file_key *key)
{
	void *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	const struct map_entry *e;
	struct proc_maps maps = {0};
	bool found = false;

	if (page == MAP_FAILED)
		return false;
	if (!proc_maps__read(getpid(), &maps) &&
	    (e = proc_maps__find(&maps, (uint64_t)(unsigned long)page)) && e->inode) {
		key->ino = e->inode;
		key->dev = kernel_dev(e->dev_major, e->dev_minor);
		found = true;
	}
	proc_maps__free(&maps);
	munmap(page, 4096);
	return found;
}

int unwinder__add_path(struct unwinder *u, const char *path)
{
	struct ls_unwind_file_key key = {0};
	struct stat st;
	int fd;

	if (u->mode == LS_UNWIND_FP)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	key.ino = st.st_ino;
	key.dev = kernel_dev(major(st.st_dev), minor(st.st_dev));
	mapped_key(fd, &key);
	if (!find(u, &key))
		add_file(u, &key, fd, path);
	close(fd);
	return 0;
}

int unwinder__refresh(struct unwinder *u, int pid)
{
	struct proc_maps m;
	int err;

	if (u->mode == LS_UNWIND_FP)
		return 0;
	err = proc_maps__read(pid, &m);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (size_t i = 0; i < m.count; i++) {
		const struct map_entry *e = &m.entries[i];
		struct ls_unwind_file_key key = {.ino = e->inode};
		char path[128];
		int fd;

		if (e->perms[2] != 'x' || e->path[0] != '/' || !e->inode)
			continue;
		key.dev = kernel_dev(e->dev_major, e->dev_minor);
		if (find(u, &key))
			continue;
		/* the mapped inode itself, even when deleted or in another mount
		 * namespace */
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
			 e->start, e->end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		add_file(u, &key, fd, e->path);
		close(fd);
	}
	proc_maps__free(&m);
	return 0;
}

void unwinder__stats(const struct unwinder *u, size_t *files, size_t *fp_files, size_t *rows)
{
	*files = u->nfiles;
	*fp_files = u->fp_files;
	*rows = u->used_rows;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	free(u->files);
	free(u);
}
