// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "allocator.h"
#include "cli.h"
#include "exec_follow.h"
#include "probes.h"
#include "target.h"
#include "util.h"

static bool known(const struct attached_places *a, const struct stat *st, uint64_t offset)
{
	size_t i;

	for (i = 0; i < a->count; i++)
		if (a->ids[i].dev == st->st_dev && a->ids[i].ino == st->st_ino &&
		    a->ids[i].offset == offset)
			return true;
	return false;
}

static void add(struct attached_places *a, const struct stat *st, uint64_t offset)
{
	a->ids = xrealloc(a->ids, a->count + 1, sizeof(*a->ids));
	a->ids[a->count++] = (struct place_id){st->st_dev, st->st_ino, offset};
}

void attached_places__add_plan(struct attached_places *a, const struct probe_plan *plan)
{
	struct stat st;
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (!stat(plan->points[i].binary, &st) && !known(a, &st, plan->points[i].offset))
			add(a, &st, plan->points[i].offset);
}

int exec_follow__attach(struct attached_places *a, struct leakscope_bpf *skel,
			const struct options *opt, pid_t pid, struct probe_links *links)
{
	/* Planned like a command about to start: at exec its libraries are
	 * not mapped yet, so ask its loader, as for `--`. */
	struct target t = {.pid = pid, .pidfd = -1, .release_fd = -1, .spawned = true};
	struct probe_plan plan, fresh = {0};
	char link[64];
	struct stat st;
	size_t i;
	int rc;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	t.exe = realpath(link, NULL);
	if (!t.exe)
		return LS_EXIT_NO_TARGET;
	rc = allocator__plan(&t, opt->allocator, opt->kinds, &plan);
	free(t.exe);
	if (rc)
		return rc;
	allocator__place(&plan, opt->probe_at_entry);
	fresh.points = xcalloc(plan.count, sizeof(*fresh.points));
	for (i = 0; i < plan.count; i++) {
		if (stat(plan.points[i].binary, &st) || known(a, &st, plan.points[i].offset))
			continue;
		add(a, &st, plan.points[i].offset);
		fresh.points[fresh.count++] = plan.points[i];
	}
	rc = fresh.count ? probes__attach(skel, &fresh, pid, links) : 0;
	ls_info("PID %d exec'd: %zu new probes", pid, fresh.count);
	free(fresh.points); /* the points themselves belong to `plan` */
	allocator__free_plan(&plan);
	return rc;
}

void attached_places__free(struct attached_places *a)
{
	free(a->ids);
	memset(a, 0, sizeof(*a));
}

bool exec_follow__image(pid_t pid, dev_t *dev, ino_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return true;
}
