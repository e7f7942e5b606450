// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "uprobe_multi.h"

/* From the kernel's uapi, newer than Debian's headers. */
#define ATTACH_TRACE_UPROBE_MULTI   48
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

/* The attach types the running kernel knows are in its BTF. */
bool uprobe_multi__have_sessions(void)
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
		if (!strcmp(btf__name_by_offset(btf, e->name_off), "BPF_TRACE_UPROBE_SESSION"))
			have = e->val == ATTACH_TRACE_UPROBE_SESSION;
	btf__free(btf);
	return have;
}

static unsigned int attach_type(enum uprobe_multi_kind kind)
{
	return kind == UPROBE_MULTI_SESSION ? ATTACH_TRACE_UPROBE_SESSION
					    : ATTACH_TRACE_UPROBE_MULTI;
}

void uprobe_multi__prepare(struct bpf_program *prog, enum uprobe_multi_kind kind)
{
	bpf_program__set_expected_attach_type(prog, attach_type(kind));
}

int uprobe_multi__attach(const struct bpf_program *prog, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t cnt, enum uprobe_multi_kind kind,
			 pid_t pid)
{
	union bpf_attr attr;
	struct link_create_uprobe_multi *lc = (void *)&attr;
	int fd;

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
