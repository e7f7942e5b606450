// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "host.h"
#include "leakscope.skel.h"
#include "snapshot.h"
#include "util.h"

#define CGROUP2_SUPER_MAGIC 0x63677270

int host__configure(struct leakscope_bpf *skel, const struct options *opt)
{
	struct statfs fs;
	struct stat st;

	if (!opt->all)
		return 0;
	skel->rodata->host_mode = true;
	skel->rodata->self_tgid = getpid();
	if (opt->comm)
		strncpy((char *)skel->rodata->host_comm, opt->comm,
			sizeof(skel->rodata->host_comm) - 1);
	if (!opt->cgroup)
		return 0;
	/* A cgroup v2's id is the inode number of its directory. */
	if (stat(opt->cgroup, &st) || statfs(opt->cgroup, &fs)) {
		ls_error("no cgroup %s: %s", opt->cgroup, strerror(errno));
		return LS_EXIT_NO_TARGET;
	}
	if (fs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode)) {
		ls_error("%s is not a cgroup v2 directory", opt->cgroup);
		return LS_EXIT_NO_TARGET;
	}
	skel->rodata->host_cgroup = st.st_ino;
	return 0;
}

char *host__cgroup_of(uint32_t pid)
{
	char path[64], *text, *line, *cg = NULL;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	text = read_file(path, NULL);
	for (line = text; line && *line;
	     line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		if (!strncmp(line, "0::", 3)) {
			cg = strndup(line + 3, strcspn(line + 3, "\n"));
			break;
		}
	}
	free(text);
	return cg;
}

size_t host__tgids(const struct snapshot *snap, uint32_t **out)
{
	uint32_t *v = xcalloc(snap->ntotals + 1, sizeof(*v));
	size_t n = 0, i, k = 0;

	for (i = 0; i < snap->ntotals; i++)
		if (!n || v[n - 1] != snap->totals[i].key.site.tgid) /* they come in runs */
			v[n++] = snap->totals[i].key.site.tgid;
	if (n)
		qsort(v, n, sizeof(*v), cmp_u32);
	for (i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	*out = v;
	return k;
}
