/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User stacks walked with the unwind tables userspace builds from .eh_frame
 * and .debug_frame (include/unwind.h), frame pointers where a table has no
 * row. stack_store() (stack.bpf.h) calls unwind_walk().
 *
 * One frame per bpf_loop() iteration, so the verifier sees the step once:
 * find the mapping of the pc (bpf_find_vma(), cached for the walk and in
 * vma_cache across walks) and its file's table (by device and inode), the
 * row (binary search), then the CFA from rsp or rbp, the return address at
 * CFA - 8, the caller's rbp where the row saved it.
 *
 * Verifier budget: the walk's state lives in a per-CPU map, not on the
 * 512-byte stack (the kernel adds the callback's frame to its caller's), and
 * the row search takes a fixed number of steps with no branch on the data:
 * a verifier that re-walks the callback until its states converge then has
 * one path to follow, not two per step.
 */
#ifndef UNWIND_BPF_H
#define UNWIND_BPF_H

#include "common.bpf.h"
#include "stack_memo.bpf.h"
#include "unwind.h"

/* Where a stack is assembled before it is hashed and stored: the walk
 * writes its frames here. */
SCRATCH_MAP(stack_scratch, struct ls_stack);

static __always_inline struct ls_stack *stack_scratch_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stack_scratch, &zero);
}

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

/*
 * Set by userspace before load when the kernel refused the table walk: the
 * verifier then never sees it (a known constant prunes the branch), and
 * stacks are walked by frame pointers only.
 */
const volatile bool unwind_fp_only __weak = false;

/*
 * Tests only (LEAKSCOPE_TEST_REJECT in src/bpf_load.c): a verifier refusal
 * made on purpose, by a frame too large for the stack. Bit (1 << kind):
 * every program taking a stack of that kind; TEST_REJECT_TABLES: the table
 * walk. Pruned by the verifier when 0, as everything under a constant.
 */
const volatile __u32 test_reject __weak = 0;
#define TEST_REJECT_TABLES (1u << 31)

/* A frame of 480 bytes: any chain of calls through it is over 512. A
 * function of its own, so that its callers' frames do not grow when it is
 * not called (the verifier counts a call it never follows as 32 bytes). */
static __noinline int test_overflow_stack(void)
{
	__u64 pad[60];

	/* both ends written, the array escaping: the frame holds it all */
	pad[0] = 0;
	pad[59] = 0;
	asm volatile("" : : "r"(pad) : "memory");
	return 0;
}

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

/*
 * The mappings walks found, per process and 64 KiB of code, kept across
 * walks. bpf_find_vma() succeeds only once per program run where interrupts
 * are off (a page-fault perf event, growth.bpf.c): the mmap lock it took is
 * then released by an irq_work, and the next call finds that work pending
 * and returns -EBUSY. A walk there finds its files here, the cache filled
 * one mapping per run. An entry keeps the mapping, not its table (looked
 * up at each use); an exec keeps the process but not its address space,
 * whose pointer an entry keeps.
 */
#define VMA_CACHE_SHIFT 16

struct vma_cache_key {
	__u32 tgid, pad;
	__u64 granule; /* pc >> VMA_CACHE_SHIFT */
};

/* bpf_find_vma's callback: the file and place of the mapping. */
struct vma_info {
	__u64 start, end, pgoff, ino;
	__u32 dev, found;
};

/* The mapping, not its table: a table loaded later is looked up at each
 * use, so loading one (which any process's growth can cause) leaves the
 * cache warm. */
struct vma_cached {
	struct vma_info vma;
	__u64 mm;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vma_cache_key);
	__type(value, struct vma_cached);
} vma_cache SEC(".maps") __weak;

struct walk {
	__u64 pc, sp, bp, h;
	__u32 n, status;
	__u32 tables;		 /* 0: frame pointers only */
	__u32 depth;		 /* frames to walk, the first included */
	struct seen_vma vmas[2]; /* frames alternate between a few files */
	__u32 next_vma;
	__u32 tgid; /* of vma_cache's keys */
	__u64 mm;   /* the walked task's address space */
	/* What the walk's result depends on in rbp. Code without frame
	 * pointers keeps data in rbp (and saves it on the stack), so a memo
	 * (stack_memo.bpf.h) checks rbp, or the word it was restored from,
	 * only when a frame used it for its CFA. */
	__u32 bp_restored, start_bp_used;
	__u64 bp_from;		 /* where the current rbp was read, 0: noted or none */
	struct vma_cached found; /* bpf_find_vma's answer, as vma_cache keeps it */
	__u64 words[2];		 /* what a step reads of the stack */
};

/* One walk per CPU at a time: programs of one CPU do not nest here. */
SCRATCH_MAP(walk_scratch, struct walk);

static __always_inline struct walk *walk_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&walk_scratch, &zero);
}

/* A frame finds its CFA from rbp: the walk depends on rbp's value. */
static __always_inline void use_bp(struct walk *w)
{
	if (!w->bp_restored)
		w->start_bp_used = 1;
	else if (w->bp_from)
		memo_note(w->bp_from, w->bp);
	w->bp_from = 0;
}

/* vma is a kernel pointer the verifier trusts: plain loads, no helper calls
 * but the lookup of where the answer goes. */
static long vma_info_cb(struct task_struct *task, struct vm_area_struct *vma, void *unused)
{
	struct walk *w = walk_state();
	struct file *f = vma->vm_file;
	struct inode *inode;

	if (!w || !f)
		return 0;
	inode = f->f_inode;
	w->found.vma.start = vma->vm_start;
	w->found.vma.end = vma->vm_end;
	w->found.vma.pgoff = vma->vm_pgoff;
	w->found.vma.ino = inode->i_ino;
	w->found.vma.dev = inode->i_sb->s_dev;
	w->found.vma.found = 1;
	return 0;
}

/* A mapping found (start, end, pgoff; its file dev, ino) with its file's
 * table, in the walk's next slot. */
static __always_inline struct seen_vma *fill_slot(struct walk *w, const struct vma_info *v)
{
	struct ls_unwind_file_key key = {.ino = v->ino, .dev = v->dev};
	struct ls_unwind_file *f = bpf_map_lookup_elem(&unwind_files, &key);
	struct seen_vma *s = &w->vmas[w->next_vma & 1];

	w->next_vma++;
	s->start = v->start;
	s->end = v->end;
	s->nrows = f ? f->nrows : 0;
	s->first_row = f ? f->first_row : 0;
	s->bias = (v->pgoff << PAGE_SHIFT_) - v->start + (f ? f->delta : 0);
	return s;
}

/* The mapping of pc with its file's table, from the walk's cache, vma_cache
 * or the process's VMAs; NULL when pc is in no file that has one. */
static __always_inline struct seen_vma *vma_of(struct walk *w, __u64 pc)
{
	struct vma_cache_key ck = {.tgid = w->tgid, .granule = pc >> VMA_CACHE_SHIFT};
	struct vma_cached *c;
	struct seen_vma *s;
	long err;
	int k;

	for (k = 0; k < 2; k++)
		if (pc >= w->vmas[k].start && pc < w->vmas[k].end)
			return w->vmas[k].nrows ? &w->vmas[k] : NULL;
	c = bpf_map_lookup_elem(&vma_cache, &ck);
	if (c && c->mm == w->mm && pc >= c->vma.start && pc < c->vma.end) {
		s = fill_slot(w, &c->vma);
		return s->nrows ? s : NULL;
	}
	w->found.vma.found = 0;
	err = bpf_find_vma(bpf_get_current_task_btf(), pc, vma_info_cb, NULL, 0);
	/* -EBUSY passes (see vma_cache): what this walk finds without the
	 * table is no memo */
	if (err == -EBUSY)
		memo_forget();
	if (err || !w->found.vma.found)
		return NULL;
	s = fill_slot(w, &w->found.vma);
	w->found.mm = w->mm;
	bpf_map_update_elem(&vma_cache, &ck, &w->found, BPF_ANY);
	return s->nrows ? s : NULL;
}

/* All ones when a <= b, else 0, computed without a branch (BPF has no
 * conditional move: the compiler would make a select a branch, and the
 * verifier follow both ways at every step). */
static __always_inline __u64 mask_le(__u64 a, __u64 b)
{
	__u64 m = ~(__u64)(((__s64)b - (__s64)a) >> 63);

	asm volatile("" : "+r"(m));
	return m;
}

/* The row of pc (a return address: its call is at pc - 1), or NULL: the last
 * row at or before it, found in ROW_STEPS halvings whatever the table's size
 * (a step past the end of the search looks at the same row again). */
static __always_inline struct ls_unwind_row *unwind_row(struct walk *w, __u64 pc)
{
	struct seen_vma *m = vma_of(w, pc);
	struct ls_unwind_row *r;
	__u64 rel, base, n, half;
	__u32 idx, k;

	if (!m)
		return NULL;
	if (test_reject & TEST_REJECT_TABLES)
		test_overflow_stack();
	rel = pc + m->bias;
	if (rel > 0xffffffffULL)
		return NULL;
	base = m->first_row;
	n = m->nrows;
	for (k = 0; k < ROW_STEPS; k++) {
		half = n >> 1;
		idx = base + half;
		r = bpf_map_lookup_elem(&unwind_rows, &idx);
		if (!r)
			return NULL;
		base += half & mask_le(r->pc, rel);
		n -= half;
	}
	idx = base;
	r = bpf_map_lookup_elem(&unwind_rows, &idx);
	return r && r->pc <= rel ? r : NULL; /* pc before the first row */
}

/* One frame: from (pc, sp, bp) to the caller's, its return address stored. */
static long unwind_step(__u32 i, void *unused)
{
	struct walk *w = walk_state();
	struct ls_stack *st = stack_scratch_buf();
	struct ls_unwind_row *r;
	__u64 cfa, ra, bp;

	if (!w || !st || w->n >= w->depth || w->n >= MAX_STACK_DEPTH)
		return 1;
	/* the constant first: with it set, the verifier never sees the tables */
	r = !unwind_fp_only && w->tables ? unwind_row(w, w->pc - 1) : NULL;
	bp = w->bp;
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
			if (bpf_probe_read_user(w->words, 16, (void *)bp_at))
				goto unreadable;
			bp = w->words[0];
			ra = w->words[1];
		} else {
			if (bpf_probe_read_user(w->words, 8, (void *)(cfa - 8)))
				goto unreadable;
			ra = w->words[0];
			if (bp_at) {
				if (bpf_probe_read_user(w->words, 8, (void *)bp_at))
					goto unreadable;
				bp = w->words[0];
			}
		}
		memo_note(cfa - 8, ra);
		if (bp_at) {
			/* a dependency only if a frame further up uses it */
			w->bp_restored = 1;
			w->bp_from = bp_at;
		}
	} else {
		/* no row: a frame record at rbp, as the frame-pointer walk */
		use_bp(w);
		if (!w->bp) {
			w->status = WALK_COMPLETE; /* _start cleared rbp */
			return 1;
		}
		if (w->bp < w->sp || (w->bp & 7))
			goto lost;
		if (bpf_probe_read_user(w->words, 16, (void *)w->bp))
			goto unreadable;
		memo_note(w->bp + 8, w->words[1]);
		w->bp_restored = 1;
		w->bp_from = w->bp;
		cfa = w->bp + 16;
		bp = w->words[0];
		ra = w->words[1];
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

/* Bumped by userspace each time it loads a file's table. */
static __always_inline __u32 unwind_generation(void)
{
	struct ls_unwind_config *c = unwind_config_get();

	return c ? c->generation : 0;
}

/*
 * Walks the user stack of the frame at pc (already in ips[0] of the scratch
 * buffer) whose sp and rbp are sp and bp, by tables or frame pointers
 * (--unwind), up to --unwind-depth frames. Returns the walk, its frame count
 * in n, how it ended in status, its hash so far in h (from `h`), and
 * whether it used `bp` in start_bp_used; NULL when it could not start.
 */
static __always_inline struct walk *unwind_walk(__u64 pc, __u64 sp, __u64 bp, __u64 h)
{
	struct ls_unwind_config *c = unwind_config_get();
	struct walk *w = walk_state();

	if (!w)
		return NULL;
	__builtin_memset(w, 0, sizeof(*w));
	w->pc = pc;
	w->sp = sp;
	w->bp = bp;
	w->h = h;
	w->n = 1;
	w->depth = MAX_STACK_DEPTH;
	w->tgid = current_tgid();
	w->mm = (__u64)bpf_get_current_task_btf()->mm;
	if (c) {
		w->tables = unwind_fp_only ? 0 : c->tables;
		if (c->depth && c->depth < MAX_STACK_DEPTH)
			w->depth = c->depth;
	}
	bpf_loop(MAX_STACK_DEPTH - 1, unwind_step, NULL, 0);
	return w;
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
