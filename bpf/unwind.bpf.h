/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User stacks walked with the unwind tables userspace builds from .eh_frame
 * and .debug_frame (include/unwind.h), frame pointers where a table has no
 * row. Included by common.bpf.h; store_stack_parent() calls unwind_walk().
 *
 * One frame per bpf_loop() iteration, so the verifier sees the step once:
 * find the mapping of the pc (bpf_find_vma(), cached for the walk) and its
 * file's table (by device and inode), the row (binary search), then the CFA
 * from rsp or rbp, the return address at CFA - 8, the caller's rbp where the
 * row saved it.
 */
#ifndef UNWIND_BPF_H
#define UNWIND_BPF_H

#include <bpf/bpf_core_read.h>
#include "unwind.h"
#include "stack_memo.bpf.h"

/* Sizes are defaults: userspace sets them (--unwind-rows). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_unwind_row);
} unwind_rows SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ls_unwind_file_key);
	__type(value, struct ls_unwind_file);
} unwind_files SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_unwind_config);
} unwind_config SEC(".maps") __weak;

/* binary search steps: 2^25 > rows per file */
#define ROW_STEPS   25
#define PAGE_SHIFT_ 12

enum walk_status {
	WALK_RUNNING = 0,
	WALK_COMPLETE, /* reached the outermost frame */
	WALK_LOST,     /* no rule and no frame pointer, or a read failed */
};

/* A mapping seen in this walk: the pcs in [start, end) have row pc + bias. */
struct seen_vma {
	__u64 start, end, bias;
	__u32 first_row, nrows;
};

struct walk {
	__u64 pc, sp, bp, h;
	__u32 n, status;
	__u32 tables;		 /* 0: frame pointers only */
	struct seen_vma vmas[2]; /* frames alternate between a few files */
	__u32 next_vma;
	/* What the walk's result depends on in rbp. Code without frame
	 * pointers keeps data in rbp (and saves it on the stack), so a memo
	 * (stack_memo.bpf.h) checks rbp, or the word it was restored from,
	 * only when a frame used it for its CFA. */
	__u32 bp_restored, start_bp_used;
	__u64 bp_from; /* where the current rbp was read, 0: noted or none */
};

/* A frame finds its CFA from rbp: the walk depends on rbp's value. */
static __always_inline void use_bp(struct walk *w)
{
	if (!w->bp_restored)
		w->start_bp_used = 1;
	else if (w->bp_from)
		memo_note(w->bp_from, w->bp);
	w->bp_from = 0;
}

/* bpf_find_vma's callback: the file and place of the mapping. */
struct vma_info {
	__u64 start, end, pgoff, ino;
	__u32 dev, found;
};

/* vma is a kernel pointer the verifier trusts: plain loads, no helper calls. */
static long vma_info_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_info *v = data;
	struct file *f = vma->vm_file;
	struct inode *inode;

	if (!f)
		return 0;
	inode = f->f_inode;
	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->pgoff = vma->vm_pgoff;
	v->ino = inode->i_ino;
	v->dev = inode->i_sb->s_dev;
	v->found = 1;
	return 0;
}

/* The mapping of pc with its file's table, from the walk's cache or the
 * process's VMAs; NULL when pc is in no file that has one. */
static __always_inline struct seen_vma *vma_of(struct walk *w, __u64 pc)
{
	struct vma_info v = {};
	struct ls_unwind_file_key key = {};
	struct ls_unwind_file *f;
	struct seen_vma *s;
	int k;

	for (k = 0; k < 2; k++)
		if (pc >= w->vmas[k].start && pc < w->vmas[k].end)
			return w->vmas[k].nrows ? &w->vmas[k] : NULL;
	if (bpf_find_vma(bpf_get_current_task_btf(), pc, vma_info_cb, &v, 0) || !v.found)
		return NULL;
	key.ino = v.ino;
	key.dev = v.dev;
	f = bpf_map_lookup_elem(&unwind_files, &key);
	s = &w->vmas[w->next_vma & 1];
	w->next_vma++;
	s->start = v.start;
	s->end = v.end;
	s->nrows = f ? f->nrows : 0;
	s->first_row = f ? f->first_row : 0;
	s->bias = (v.pgoff << PAGE_SHIFT_) - v.start + (f ? f->delta : 0);
	return s->nrows ? s : NULL;
}

/* The row of pc (a return address: its call is at pc - 1), or NULL. */
static __always_inline struct ls_unwind_row *unwind_row(struct walk *w, __u64 pc)
{
	struct seen_vma *m = vma_of(w, pc);
	__u32 lo = 0, hi, mid, k, first;
	__u64 rel;

	if (!m)
		return NULL;
	rel = pc + m->bias;
	if (rel > 0xffffffffULL)
		return NULL;
	first = m->first_row;
	hi = m->nrows;
	for (k = 0; k < ROW_STEPS && lo < hi; k++) {
		__u32 idx;
		struct ls_unwind_row *r;

		mid = (lo + hi) / 2;
		idx = first + mid;
		r = bpf_map_lookup_elem(&unwind_rows, &idx);
		if (!r)
			return NULL;
		if (r->pc <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	first += lo - 1;
	return bpf_map_lookup_elem(&unwind_rows, &first);
}

/* One frame: from (pc, sp, bp) to the caller's, its return address stored. */
static long unwind_step(__u32 i, void *data)
{
	struct walk *w = data;
	__u32 zero = 0;
	struct ls_stack *st = bpf_map_lookup_elem(&stack_scratch, &zero);
	struct ls_unwind_row *r = w->tables ? unwind_row(w, w->pc - 1) : NULL;
	__u64 cfa, ra = 0, bp = w->bp;

	if (!st || w->n >= MAX_STACK_DEPTH)
		return 1;
	if (r && r->cfa == LS_UW_END) {
		w->status = WALK_COMPLETE;
		return 1;
	}
	if (r && r->cfa != LS_UW_NONE) {
		__u64 bp_at = 0;

		if (r->cfa == LS_UW_RBP)
			use_bp(w);
		cfa = (r->cfa == LS_UW_RBP ? w->bp : w->sp) + 8 * (__u64)r->cfa_off;
		if (r->cfa == LS_UW_PLT && (w->pc & 15) >= (__u64)r->rbp_off)
			cfa += 8;
		if (r->cfa != LS_UW_PLT && r->rbp_off)
			bp_at = cfa + 8 * (__s64)r->rbp_off;
		if (bp_at == cfa - 16) {
			/* pushed right after the call: one read for both
			 * (a read costs the same for 8 or 16 bytes) */
			__u64 pair[2];

			if (bpf_probe_read_user(pair, sizeof(pair), (void *)bp_at))
				goto unreadable;
			bp = pair[0];
			ra = pair[1];
		} else if (bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8)) ||
			   (bp_at && bpf_probe_read_user(&bp, sizeof(bp), (void *)bp_at))) {
			goto unreadable;
		}
		memo_note(cfa - 8, ra);
		if (bp_at) {
			/* a dependency only if a frame further up uses it */
			w->bp_restored = 1;
			w->bp_from = bp_at;
		}
	} else {
		/* no row: a frame record at rbp, as the frame-pointer walk */
		struct {
			__u64 next_bp;
			__u64 ret;
		} rec;

		use_bp(w);
		if (!w->bp) {
			w->status = WALK_COMPLETE; /* _start cleared rbp */
			return 1;
		}
		if (w->bp < w->sp || (w->bp & 7))
			goto lost;
		if (bpf_probe_read_user(&rec, sizeof(rec), (void *)w->bp))
			goto unreadable;
		memo_note(w->bp + 8, rec.ret);
		w->bp_restored = 1;
		w->bp_from = w->bp;
		cfa = w->bp + 16;
		ra = rec.ret;
		bp = rec.next_bp;
	}
	if (!ra) {
		w->status = WALK_COMPLETE; /* a thread's start pushes a zero return */
		return 1;
	}
	if (ra > MAX_USER_ADDR || cfa <= w->sp)
		goto lost;
	st->ips[w->n & (MAX_STACK_DEPTH - 1)] = ra;
	w->h = hash_mix(w->h, ra);
	w->n++;
	w->pc = ra;
	w->sp = cfa;
	w->bp = bp;
	return 0;
unreadable:
	memo_forget(); /* the word may be readable next time */
lost:
	w->status = WALK_LOST;
	return 1;
}

static __always_inline struct ls_unwind_config *unwind_config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&unwind_config, &zero);
}

/* The walk's settings: tables or frame pointers, and the depth. */
static __always_inline __u32 unwind_settings(__u32 *depth)
{
	struct ls_unwind_config *c = unwind_config_get();

	*depth = MAX_STACK_DEPTH;
	if (!c)
		return 0;
	if (c->depth && c->depth < MAX_STACK_DEPTH)
		*depth = c->depth;
	return c->tables;
}

/* Bumped by userspace each time it loads a file's table. */
static __always_inline __u32 unwind_generation(void)
{
	struct ls_unwind_config *c = unwind_config_get();

	return c ? c->generation : 0;
}

/*
 * The walk itself, a global function: the verifier checks it once, not at
 * each of the many places a stack is taken. Weak: every .bpf.c includes it.
 */
__noinline __weak int unwind_walk_frames(struct walk *in)
{
	struct walk w;
	__u32 depth;

	if (!in)
		return 0;
	w = *in;
	w.tables = unwind_settings(&depth);
	if (depth > 1)
		bpf_loop(depth - 1, unwind_step, &w, 0);
	in->h = w.h;
	in->n = w.n;
	in->status = w.status;
	in->start_bp_used = w.start_bp_used;
	return 0;
}

/*
 * Walks the user stack of the frame at pc (already in ips[0] of the scratch
 * buffer) whose sp and rbp are sp and bp, by tables or frame pointers
 * (--unwind), up to --unwind-depth frames. Returns the frame count and sets
 * *status (enum walk_status) and *bp_used (the walk used `bp`); *h is the
 * stack's hash so far.
 */
static __always_inline int unwind_walk(__u64 pc, __u64 sp, __u64 bp, __u64 *h, __u32 *status,
				       __u32 *bp_used)
{
	struct walk w = {.pc = pc, .sp = sp, .bp = bp, .h = *h, .n = 1};
	int n;

	unwind_walk_frames(&w);
	*h = w.h;
	*status = w.status;
	*bp_used = w.start_bp_used;
	n = w.n > MAX_STACK_DEPTH ? MAX_STACK_DEPTH : w.n;
	/* what the caller indexes with n it masks: hide the range from the
	 * compiler, or it drops the masks the verifier needs */
	asm volatile("" : "+r"(n));
	return n;
}

/* The counters of a walk that ended with `status` after `walked` frames,
 * `frames` with the parent's. */
static __always_inline void count_walk(enum ls_kind kind, __u32 status, __u32 walked, __u32 frames)
{
	if (status == WALK_COMPLETE)
		count(kind, CNT_STACKS_COMPLETE);
	else if (status == WALK_LOST)
		count(kind, CNT_STACKS_CUT);
	else if (walked < MAX_STACK_DEPTH)
		count(kind, CNT_STACKS_TRUNCATED); /* --unwind-depth */
	if (frames >= MAX_STACK_DEPTH)
		count(kind, CNT_STACKS_TRUNCATED);
}

#endif /* UNWIND_BPF_H */
