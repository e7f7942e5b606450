/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Following a traced process into a new image after exec: its allocator and
 * wrappers may live in other files now. Uprobes sit on files, so what is
 * already attached (the same libc) keeps working; only new places are added.
 */
#ifndef EXEC_FOLLOW_H
#define EXEC_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct leakscope_bpf;
struct options;
struct probe_links;
struct probe_plan;

/* Where probes are attached, by file identity (paths differ: /proc/PID/root/...). */
struct attached_places {
	struct place_id {
		dev_t dev;
		ino_t ino;
		uint64_t offset;
	} * ids;
	size_t count;
};

void attached_places__add_plan(struct attached_places *a, const struct probe_plan *plan);
/* Plans `pid`'s new image and attaches the places not attached yet; 0, or an
 * LS_EXIT_* code after a line on stderr (the process is still traced for
 * what was attached before). */
int exec_follow__attach(struct attached_places *a, struct leakscope_bpf *skel,
			const struct options *opt, pid_t pid, struct probe_links *links);
void attached_places__free(struct attached_places *a);

/* The identity of the file a process runs, to notice exec. */
bool exec_follow__image(pid_t pid, dev_t *dev, ino_t *ino);

#endif /* EXEC_FOLLOW_H */
