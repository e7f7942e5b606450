/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memory map of a process, as the kernel prints it in /proc/PID/maps:
 * what is mapped where, and from which file offset.
 */
#ifndef PROC_MAPS_H
#define PROC_MAPS_H

#include <stddef.h>
#include <stdint.h>

struct map_entry {
	uint64_t start, end; /* [start, end) */
	uint64_t offset;     /* file offset of start */
	uint64_t inode;
	unsigned int dev_major, dev_minor;
	char perms[5]; /* "r-xp" */
	/* "" for anonymous; "[heap]", "[vdso]", or "/usr/lib/... (deleted)" as in the file */
	char *path;
};

/* Entries sorted by start address. */
struct proc_maps {
	struct map_entry *entries;
	size_t count;
};

/* Parse one line (with or without its '\n'). 0 or -EINVAL; allocates out->path. */
int proc_maps__parse_line(const char *line, struct map_entry *out);
/* Parse a whole maps file. 0, -EINVAL on any malformed line or overlap, or -ENOMEM. */
int proc_maps__parse(const char *text, size_t len, struct proc_maps *out);
/* Read and parse /proc/PID/maps. 0 or -errno. */
int proc_maps__read(int pid, struct proc_maps *out);
/* The entry containing addr, or NULL. */
const struct map_entry *proc_maps__find(const struct proc_maps *m, uint64_t addr);
void proc_maps__free(struct proc_maps *m);

#endif /* PROC_MAPS_H */
