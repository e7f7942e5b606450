/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loads the unwind tables of the files traced processes map into the BPF
 * maps (include/unwind.h): rows appended to one array map, each file's place
 * in it keyed by device and inode. Tables are built once per build-id and
 * shared by every process and every copy of the file.
 */
#ifndef UNWINDER_H
#define UNWINDER_H

#include <stddef.h>
#include <stdint.h>

#include "unwind.h"

struct unwinder;

/* The BPF maps of include/unwind.h. */
struct unwinder_maps {
	int rows_fd, files_fd, config_fd;
};

/* Writes the walk's settings (--unwind, --unwind-depth) to the config map;
 * NULL + errno. */
struct unwinder *unwinder__new(enum ls_unwind_mode mode, uint32_t depth, uint32_t max_rows,
			       const struct unwinder_maps *maps);
/* A file a process will map (its executable and libraries, before it runs). */
int unwinder__add_path(struct unwinder *u, const char *path);
/* Every executable file mapping of process pid. 0 or -errno (-ESRCH: gone). */
int unwinder__refresh(struct unwinder *u, int pid);
/* Files given tables and rows loaded, for -v. */
void unwinder__stats(const struct unwinder *u, size_t *files, size_t *fp_files, size_t *rows);
void unwinder__free(struct unwinder *u);

#endif /* UNWINDER_H */
