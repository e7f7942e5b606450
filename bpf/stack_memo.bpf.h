/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walked stacks, remembered per process and starting point, so that a call
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

#include "common.bpf.h"

/* words a memo can check: two per frame (return address, saved rbp) */
#define MEMO_READS 128
/* They are checked a window of the stack at a time: a read of user memory
 * costs ~100 ns whatever its size up to a few KiB, so a stack is read in one
 * or a few reads, not one per word. */
#define MEMO_WINDOWS	  8
#define MEMO_WINDOW_BYTES 2048
/*
 * The memos are an array of sets of MEMO_WAYS slots, a start hashing to one
 * set: an allocation wrapper (redis' zmalloc) calls malloc from one place and
 * one depth for many callers further up, each a memo of its own. An array
 * lookup is inlined where a hash map's costs ~30 ns, and the slots a process
 * no longer uses are simply written over.
 */
#define MEMO_WAYS  4
#define MEMO_SLOTS 2048

struct memo_key {
	__u64 pc, sp;
	__u64 parent; /* the stored stack appended after the walk */
	__u32 tgid;   /* the same addresses mean other code in another process */
	__u32 generation;
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

/*
 * A slot is written by whichever thread walked last from a start of its set,
 * while others may be reading it: `seq` is odd while a writer copies a memo
 * in (a sequence lock), and a reader keeps what it read only if it saw the
 * same even `seq` before and after (x86 keeps loads in order, and stores).
 */
struct stack_memo {
	__u64 seq; /* 64 bits: BPF's 32-bit atomics need -mcpu=v3 */
	struct memo_key key;
	__u64 stack_id;
	__u64 bp;			/* the rbp the walk started with ... */
	__u32 bp_used, pad2;		/* ... if the walk used it (struct walk) */
	__u32 walk_status, walk_frames; /* for the counters a walk bumps */
	__u32 frames;			/* with the parent's */
	__u32 nreads;			/* > MEMO_READS: not to be kept */
	__u32 nwindows;
	__u32 slot; /* in progress: where it will be kept */
	struct memo_window windows[MEMO_WINDOWS];
	struct memo_read reads[MEMO_READS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MEMO_SLOTS);
	__type(key, __u32);
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

static __always_inline bool memo_key_equal(const struct memo_key *a, const struct memo_key *b)
{
	return a->pc == b->pc && a->sp == b->sp && a->parent == b->parent && a->tgid == b->tgid &&
	       a->generation == b->generation;
}

/*
 * 1 when every word memo `m` read still holds its value. A global function:
 * the verifier goes through its loops once, not in every program.
 */
__noinline __weak int memo_still_true(struct stack_memo *m, __u64 bp)
{
	__u32 zero = 0, i;
	struct memo_stack_copy *now = bpf_map_lookup_elem(&memo_copies, &zero);

	if (!m || !now || (m->bp_used && m->bp != bp))
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
	return 1;
}

static __always_inline __u64 memo_seq(struct stack_memo *m)
{
	__u64 seq = *(volatile __u64 *)&m->seq;

	asm volatile("" ::: "memory"); /* read before what it guards */
	return seq;
}

/*
 * Looks for a memo of a walk from the key of `cur`, the memo in progress
 * (per CPU: no key or result on the BPF stack), that would find the same
 * stack now: true and its stack_id, walk_status, walk_frames and frames
 * copied into `cur` when there is one. Otherwise cur->slot is where the walk
 * about to be made is to be kept: a free slot of the set, or any.
 */
static __always_inline bool memo_recall(struct stack_memo *cur, __u64 bp)
{
	struct memo_key *key = &cur->key;
	__u64 h = hash_mix(hash_mix(hash_mix(key->pc, key->sp), key->parent),
			   (__u64)key->tgid << 32 | key->generation);
	__u32 set = (h & (MEMO_SLOTS / MEMO_WAYS - 1)) * MEMO_WAYS, way, free_way = MEMO_WAYS;

	for (way = 0; way < MEMO_WAYS; way++) {
		__u32 i = set + way;
		__u64 seq;
		struct stack_memo *m = bpf_map_lookup_elem(&stack_memos, &i);

		if (!m)
			return false;
		seq = memo_seq(m);
		if (seq == 0 && free_way == MEMO_WAYS)
			free_way = way; /* never written */
		if ((seq & 1) || !memo_key_equal(&m->key, key) || !memo_still_true(m, bp))
			continue;
		cur->stack_id = m->stack_id;
		cur->walk_status = m->walk_status;
		cur->walk_frames = m->walk_frames;
		cur->frames = m->frames;
		asm volatile("" ::: "memory");
		if (memo_seq(m) == seq) /* else rewritten while we read it */
			return true;
	}
	cur->slot = set + (free_way < MEMO_WAYS ? free_way : bpf_get_prandom_u32() % MEMO_WAYS);
	return false;
}

/* A walk from cur->key starts: nothing read yet; kept in cur->slot if it
 * ends. */
static __always_inline void memo_begin(struct stack_memo *cur)
{
	cur->nreads = 0;
	cur->nwindows = 0;
}

/* The walk begun by memo_begin() found `stack_id`: keep it, unless it read
 * more words than a memo holds or another thread is writing the slot. */
static __always_inline void memo_keep(struct stack_memo *m, __u64 stack_id)
{
	struct stack_memo *dst;
	__u32 slot;
	__u64 seq;

	if (!m || m->nreads > MEMO_READS || !stack_id)
		return;
	slot = m->slot;
	dst = bpf_map_lookup_elem(&stack_memos, &slot);
	if (!dst)
		return;
	seq = memo_seq(dst);
	if ((seq & 1) || __sync_val_compare_and_swap(&dst->seq, seq, seq + 1) != seq)
		return;
	m->seq = seq + 1; /* the copy keeps the slot marked busy */
	m->stack_id = stack_id;
	bpf_map_update_elem(&stack_memos, &slot, m, BPF_ANY);
	__sync_fetch_and_add(&dst->seq, 1); /* locked: after the copy's stores */
}

#endif /* STACK_MEMO_BPF_H */
