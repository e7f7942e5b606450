// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

#include "uprobe_multi.h"
#include "util.h"

/* From the kernel's uapi, newer than Debian's headers. */
#define ATTACH_TRACE_UPROBE_MULTI   48 /* kernel 6.6+ */
#define ATTACH_TRACE_UPROBE_SESSION 57
#define UPROBE_MULTI_FLAG_RETURN    1

/* The BPF_LINK_CREATE part of union bpf_attr, uprobe_multi flavour. */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

_Static_assert(sizeof(struct link_create_uprobe_multi) <= sizeof(union bpf_attr),
	       "fits in bpf_attr");

/* Whether the running kernel's BTF knows attach type `name` as `value`. */
static bool kernel_has_attach_type(const char *name, int value)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	bool have = false;
	int id, i;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, e = t ? btf_enum(t) : NULL; e && i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
			have = e->val == value;
	btf__free(btf);
	return have;
}

/* Both asked once: reading the kernel's BTF takes milliseconds. */
bool uprobe_multi__have_sessions(void)
{
	static int have = -1;

	if (have < 0)
		have =
		    kernel_has_attach_type("BPF_TRACE_UPROBE_SESSION", ATTACH_TRACE_UPROBE_SESSION);
	return have;
}

/* Tests set LEAKSCOPE_NO_UPROBE_MULTI to run what kernels before 6.6 run. */
bool uprobe_multi__have_links(void)
{
	static int have = -1;

	if (have < 0)
		have = !getenv("LEAKSCOPE_NO_UPROBE_MULTI") &&
		       kernel_has_attach_type("BPF_TRACE_UPROBE_MULTI", ATTACH_TRACE_UPROBE_MULTI);
	return have;
}

static unsigned int attach_type(enum uprobe_multi_kind kind)
{
	return kind == UPROBE_MULTI_SESSION ? ATTACH_TRACE_UPROBE_SESSION
					    : ATTACH_TRACE_UPROBE_MULTI;
}

void uprobe_multi__prepare(struct bpf_program *prog, enum uprobe_multi_kind kind)
{
	if (uprobe_multi__have_links())
		bpf_program__set_expected_attach_type(prog, attach_type(kind));
}

/* The uprobe PMU's number and its retprobe bit, from sysfs, read once. */
static int uprobe_pmu(int *retprobe_bit)
{
	static int pmu = -2, bit;

	if (pmu == -2) {
		char *type = read_file("/sys/bus/event_source/devices/uprobe/type", NULL);
		char *fmt = read_file("/sys/bus/event_source/devices/uprobe/format/retprobe", NULL);

		pmu = type ? atoi(type) : -1;
		/* "config:0" */
		bit = fmt && strchr(fmt, ':') ? atoi(strchr(fmt, ':') + 1) : 0;
		free(type);
		free(fmt);
	}
	*retprobe_bit = bit;
	return pmu;
}

/*
 * One perf-event uprobe (kernels before 6.6) at `offset` of `path` with its
 * cookie, as a BPF link: the link holds the perf event, so closing the
 * link's fd takes both away, as with a uprobe_multi link.
 */
static int attach_perf_uprobe(int prog_fd, const char *path, uint64_t offset, uint64_t cookie,
			      bool ret, pid_t pid)
{
	struct perf_event_attr pe = {.size = sizeof(pe)};
	union bpf_attr attr;
	int bit, pfd, fd;

	pe.type = uprobe_pmu(&bit);
	if ((int)pe.type < 0)
		return -ENOENT;
	pe.config = ret ? 1ULL << bit : 0;
	pe.config1 = (__u64)(unsigned long)path;
	pe.config2 = offset;
	/* every process: an event on one CPU fires on all, as libbpf does */
	pfd = syscall(SYS_perf_event_open, &pe, pid > 0 ? pid : -1, pid > 0 ? -1 : 0, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.target_fd = pfd;
	attr.link_create.attach_type = BPF_PERF_EVENT;
	attr.link_create.perf_event.bpf_cookie = cookie;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	fd = fd < 0 ? -errno : fd;
	close(pfd);
	return fd;
}

int uprobe_multi__attach(const struct bpf_program *prog, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t cnt, enum uprobe_multi_kind kind,
			 pid_t pid)
{
	union bpf_attr attr;
	struct link_create_uprobe_multi *lc = (void *)&attr;
	int fd;

	if (!uprobe_multi__have_links()) {
		/* one link per offset; a session falls back to entry and
		 * return before load (probes.c), so never comes here */
		if (cnt != 1)
			return -EINVAL;
		return attach_perf_uprobe(bpf_program__fd(prog), path, offsets[0], cookies[0],
					  kind == UPROBE_MULTI_RETURN, pid);
	}
	memset(&attr, 0, sizeof(attr));
	lc->prog_fd = bpf_program__fd(prog);
	lc->attach_type = attach_type(kind);
	lc->path = (__u64)(unsigned long)path;
	lc->offsets = (__u64)(unsigned long)offsets;
	lc->cookies = (__u64)(unsigned long)cookies;
	lc->cnt = cnt;
	lc->multi_flags = kind == UPROBE_MULTI_RETURN ? UPROBE_MULTI_FLAG_RETURN : 0;
	lc->pid = pid > 0 ? (__u32)pid : 0;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
