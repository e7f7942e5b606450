// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "uprobe_multi.h"

/* From the kernel's uapi, newer than Debian's headers. */
#define ATTACH_TRACE_UPROBE_MULTI 48
#define UPROBE_MULTI_RETURN	  1

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

void uprobe_multi__prepare(struct bpf_program *prog)
{
	bpf_program__set_expected_attach_type(prog, ATTACH_TRACE_UPROBE_MULTI);
}

int uprobe_multi__attach(const struct bpf_program *prog, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t cnt, bool retprobe, pid_t pid)
{
	union bpf_attr attr;
	struct link_create_uprobe_multi *lc = (void *)&attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	lc->prog_fd = bpf_program__fd(prog);
	lc->attach_type = ATTACH_TRACE_UPROBE_MULTI;
	lc->path = (__u64)(unsigned long)path;
	lc->offsets = (__u64)(unsigned long)offsets;
	lc->cookies = (__u64)(unsigned long)cookies;
	lc->cnt = cnt;
	lc->multi_flags = retprobe ? UPROBE_MULTI_RETURN : 0;
	lc->pid = pid > 0 ? (__u32)pid : 0;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
