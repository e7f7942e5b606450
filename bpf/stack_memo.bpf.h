/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walked stacks, remembered per thread and starting point, so that a call
 * site hit again in a loop costs a few reads instead of a walk.
 *
 * A walk is a function of where it starts (pc, sp, rbp), the unwind tables
 * and the words of user memory it reads. A memo keeps the start (rbp only
 * when the walk used it: code without frame pointers keeps anything there)
 * and every word the walk read with its value; it is recalled only when each
 * word still holds that value, so the stack it gives is the one a new walk
 * would find: exact, not a guess. Tables loaded later (a dlopen) change the
 * generation in the key, so no memo outlives the tables it was walked with.
 */
#ifndef STACK_MEMO_BPF_H
#define STACK_MEMO_BPF_H

/* words a memo can check: two per frame (return address, saved rbp) */
#define MEMO_READS 128
/* They are checked a window of the stack at a time: a read of user memory
 * costs ~100 ns whatever its size up to a few KiB, so a stack is read in one
 * or a few reads, not one per word. */
#define MEMO_WINDOWS	  8
#define MEMO_WINDOW_BYTES 2048
/* Memos kept per start: an allocation wrapper (redis' zmalloc) calls malloc
 * from one place and one depth for many callers further up. */
#define MEMO_WAYS 4

struct memo_key {
	__u64 pid_tgid; /* per thread: no other writer of its memos */
	__u64 pc, sp;
	__u64 parent; /* the stored stack appended after the walk */
	__u32 generation;
	__u32 way; /* one of MEMO_WAYS memos from the same start */
};

struct memo_window {
	__u64 lo;
	__u32 len, pad; /* bytes from lo, at most MEMO_WINDOW_BYTES */
};

/* The walk read `val` at word `word` of window `win`. */
struct memo_read {
	__u64 val;
	__u32 win, word;
};

struct stack_memo {
	struct memo_key key; /* checked again after the reads: an LRU entry
			      * can be recycled while we read it */
	__u64 stack_id;
	__u64 bp;			/* the rbp the walk started with ... */
	__u32 bp_used, pad2;		/* ... if the walk used it (struct walk) */
	__u32 walk_status, walk_frames; /* for the counters a walk bumps */
	__u32 frames;			/* with the parent's */
	__u32 nreads;			/* > MEMO_READS: not to be kept */
	__u32 nwindows, pad;
	struct memo_window windows[MEMO_WINDOWS];
	struct memo_read reads[MEMO_READS];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2048);
	__type(key, struct memo_key);
	__type(value, struct stack_memo);
} stack_memos SEC(".maps") __weak;

/* The memo of the walk in progress on this CPU. */
SCRATCH_MAP(memo_scratch, struct stack_memo);

/* The windows of the stack as they are now, for the check. */
struct memo_stack_copy {
	__u64 words[MEMO_WINDOWS][MEMO_WINDOW_BYTES / 8];
};

SCRATCH_MAP(memo_copies, struct memo_stack_copy);

static __always_inline struct stack_memo *memo_in_progress(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&memo_scratch, &zero);
}

/* The walk failed to read a word, or read too many: no memo of it. */
static __always_inline void memo_forget(void)
{
	struct stack_memo *m = memo_in_progress();

	if (m)
		m->nreads = MEMO_READS + 1;
}

/* The walk read `val` at `addr`: it goes in the last window, or a new one
 * when it is below that window, not word-aligned with it or too far up. */
static __always_inline void memo_note(__u64 addr, __u64 val)
{
	struct stack_memo *m = memo_in_progress();
	struct memo_window *win;
	struct memo_read *r;
	__u32 k;

	if (!m || m->nreads >= MEMO_READS) {
		memo_forget();
		return;
	}
	k = m->nwindows - 1;
	win = &m->windows[k & (MEMO_WINDOWS - 1)];
	if (!m->nwindows || addr < win->lo || ((addr - win->lo) & 7) ||
	    addr + 8 - win->lo > MEMO_WINDOW_BYTES) {
		if (m->nwindows >= MEMO_WINDOWS) {
			memo_forget();
			return;
		}
		k = m->nwindows++;
		win = &m->windows[k & (MEMO_WINDOWS - 1)];
		win->lo = addr;
		win->len = 0;
	}
	if (addr + 8 - win->lo > win->len)
		win->len = addr + 8 - win->lo;
	r = &m->reads[m->nreads & (MEMO_READS - 1)];
	r->val = val;
	r->win = k;
	r->word = (addr - win->lo) / 8;
	m->nreads++;
}

/*
 * 1 when every word memo `m` read still holds its value. A global function:
 * the verifier goes through its loops once, not in every program.
 */
__noinline __weak int memo_still_true(struct stack_memo *m, struct memo_key *key, __u64 bp)
{
	__u32 zero = 0, i;
	struct memo_stack_copy *now = bpf_map_lookup_elem(&memo_copies, &zero);

	if (!m || !key || !now)
		return 0;
	for (i = 0; i < MEMO_WINDOWS && i < m->nwindows; i++) {
		__u32 len = m->windows[i].len;

		if (len > MEMO_WINDOW_BYTES ||
		    bpf_probe_read_user(now->words[i], len, (void *)m->windows[i].lo))
			return 0;
	}
	for (i = 0; i < MEMO_READS && i < m->nreads; i++) {
		struct memo_read *r = &m->reads[i];

		if (now->words[r->win & (MEMO_WINDOWS - 1)]
			      [r->word & (MEMO_WINDOW_BYTES / 8 - 1)] != r->val)
			return 0;
	}
	return m->key.pid_tgid == key->pid_tgid && m->key.pc == key->pc && m->key.sp == key->sp &&
	       m->key.parent == key->parent && m->key.generation == key->generation &&
	       m->key.way == key->way && (!m->bp_used || m->bp == bp);
}

/* The memo of a walk from `key` that would find the same stack now, or
 * NULL. */
static __always_inline struct stack_memo *memo_recall(struct memo_key *key, __u64 bp)
{
	__u32 way, free_way = MEMO_WAYS;

	for (way = 0; way < MEMO_WAYS; way++) {
		struct stack_memo *m;

		key->way = way;
		m = bpf_map_lookup_elem(&stack_memos, key);
		if (m && memo_still_true(m, key, bp))
			return m;
		if (!m && free_way == MEMO_WAYS)
			free_way = way;
	}
	/* where the walk will be kept: a free way, or any */
	key->way = free_way < MEMO_WAYS ? free_way : bpf_get_prandom_u32() % MEMO_WAYS;
	return NULL;
}

/* A walk from `key` starts: nothing read yet. */
static __always_inline struct stack_memo *memo_begin(struct memo_key *key)
{
	struct stack_memo *m = memo_in_progress();

	if (m) {
		m->key = *key;
		m->nreads = 0;
		m->nwindows = 0;
	}
	return m;
}

/* The walk begun by memo_begin() found `stack_id`: keep it, unless it read
 * more words than a memo holds. */
static __always_inline void memo_keep(struct stack_memo *m, __u64 stack_id)
{
	if (!m || m->nreads > MEMO_READS || !stack_id)
		return;
	m->stack_id = stack_id;
	bpf_map_update_elem(&stack_memos, &m->key, m, BPF_ANY);
}

#endif /* STACK_MEMO_BPF_H */
