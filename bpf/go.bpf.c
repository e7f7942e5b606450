// SPDX-License-Identifier: GPL-2.0
/*
 * Go programs: goroutines and the Go heap, from uprobes at function entries
 * (never uretprobes: the Go runtime moves goroutine stacks, and a return
 * trampoline in one would break it). Arguments come in the Go register ABI
 * (Go >= 1.17): rax, rbx, rcx, rdi, rsi, r8, ...; r14 holds the current g.
 *
 * - goroutine: runtime.newproc1(fn, callergp, callerpc) runs once per `go`
 *   statement, on the system stack; the creator's own stack is read from
 *   callergp->sched, which systemstack saved when it switched. The new g is
 *   newproc1's result, seen at the instruction after the call to it (in
 *   runtime.newproc.func1). runtime.goexit0(gp) releases it.
 * - go-heap: the runtime's sampled allocation profile.
 *   runtime.mProf_Malloc(p, size) (from Go 1.23 (mp, p, size)) records a
 *   sample, runtime.freeSpecial(s, p, size) with a profile special frees it
 *   at sweep. Sampling follows
 *   runtime.MemProfileRate, which userspace turns on (src/go_runtime.c)
 *   through /proc/PID/mem. A started command is stopped at main.main for
 *   that (the runtime has initialized the variable by then, and none of the
 *   program's own code has run); userspace continues it. -a's processes
 *   are never stopped: userspace writes it once their runtime has set it
 *   to 0 (src/go_host.c).
 */
#include "goroutine.bpf.h"
#include "stack.bpf.h"

/* Go's register ABI: the first arguments and the first result */
#define GO_ARG1(ctx) ((ctx)->ax)
#define GO_ARG2(ctx) ((ctx)->bx)
#define GO_RET1(ctx) ((ctx)->ax)

/*
 * What differs by Go version, per traced Go process (-a traces several, of
 * different versions): userspace writes it from its table
 * (src/go_versions.c) before it attaches the probes. A process without one
 * is not traced.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ls_go_layout);
} go_layouts SEC(".maps");

static __always_inline const struct ls_go_layout *go_layout(__u32 tgid)
{
	return bpf_map_lookup_elem(&go_layouts, &tgid);
}

/* Set by userspace: where runtime.MemProfileRate is relative to main.main's
 * entry (the difference holds in a PIE too). */
const volatile __s64 go_rate_delta = 0;

/* Where go_main found it, for userspace; then the process is stopped. */
__u64 go_rate_addr = 0;

#define SIGSTOP 19

/* newproc1 entry -> its return: the creator stack, per thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} go_pending SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(go_newproc1)
{
	__u64 callergp = GO_ARG2(ctx);
	struct {
		__u64 next_fp;
		__u64 ret;
	} rec;
	__u64 pid_tgid = bpf_get_current_pid_tgid(), sp = 0, bp = 0, id = 0;
	const struct ls_go_layout *l = go_layout(pid_tgid >> 32);
	__u32 sched_sp, sched_bp, skip;

	if (!l)
		return 0;
	sched_sp = l->sched_sp;
	sched_bp = l->sched_bp;
	skip = l->creator_skip;
	/* runtime.newproc's frame (from Go 1.21 systemstack's first): its
	 * saved bp is the `go` statement's function's frame, its return
	 * address is in that function. */
	if (bpf_probe_read_user(&sp, sizeof(sp), (void *)(callergp + sched_sp)) ||
	    bpf_probe_read_user(&bp, sizeof(bp), (void *)(callergp + sched_bp)) ||
	    bpf_probe_read_user(&rec, sizeof(rec), (void *)bp) ||
	    (skip && (sp = bp + 16, bp = rec.next_fp,
		      bpf_probe_read_user(&rec, sizeof(rec), (void *)bp))) ||
	    !rec.ret) {
		count(LS_KIND_GOROUTINE, CNT_STACKS_EMPTY);
	} else {
		id = store_stack(LS_KIND_GOROUTINE, pid_tgid >> 32, rec.ret, sp, rec.next_fp,
				 goroutine_creator(callergp));
	}
	bpf_map_update_elem(&go_pending, &pid_tgid, &id, BPF_ANY);
	return 0;
}

/* The instruction after newproc1's call: rax is the new g. */
SEC("uprobe")
int BPF_KPROBE(go_newproc1_result)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), *id;
	struct ls_site site = {
	    .tgid = pid_tgid >> 32, .kind = LS_KIND_GOROUTINE, .api = LS_API_GO_NEWPROC};

	id = bpf_map_lookup_elem(&go_pending, &pid_tgid);
	if (!id)
		return 0;
	site.stack_id = *id;
	bpf_map_delete_elem(&go_pending, &pid_tgid);
	object_acquire(GO_RET1(ctx), 0, &site);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(go_goexit0)
{
	object_release(LS_KIND_GOROUTINE, current_tgid(), GO_ARG1(ctx));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(go_malloc)
{
	__u64 ax = ctx->ax, bx = ctx->bx, cx = ctx->cx, p, size;
	struct ls_site site = {
	    .tgid = current_tgid(), .kind = LS_KIND_GO_HEAP, .api = LS_API_GO_MALLOC};
	__u64 sp = PT_REGS_SP(ctx), ret = 0;
	const struct ls_go_layout *l = go_layout(site.tgid);
	bool mp_first;

	if (!l)
		return 0;
	mp_first = l->malloc_mp_first;
	/* each register read as itself: the verifier refuses a computed
	 * offset into the context */
	asm volatile("" : "+r"(ax), "+r"(bx), "+r"(cx));
	p = mp_first ? bx : ax;
	size = mp_first ? cx : bx;
	/* at the entry: the caller's return address at [sp], its frame in rbp */
	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)sp) || !ret)
		count(LS_KIND_GO_HEAP, CNT_STACKS_EMPTY);
	else
		site.stack_id = store_stack(LS_KIND_GO_HEAP, site.tgid, ret, sp, PT_REGS_FP(ctx),
					    goroutine_creator(ctx->r14));
	object_acquire(p, size, &site);
	return 0;
}

/* freeSpecial(s, p, size) at sweep: p is dead; only profile specials are ours */
SEC("uprobe")
int BPF_KPROBE(go_free_special)
{
	__u64 special = GO_ARG1(ctx), p = GO_ARG2(ctx);
	__u32 tgid = current_tgid();
	const struct ls_go_layout *l = go_layout(tgid);
	__u8 kind = 0;

	if (!l || bpf_probe_read_user(&kind, sizeof(kind), (void *)(special + l->special_kind)) ||
	    kind != l->special_profile)
		return 0;
	object_release(LS_KIND_GO_HEAP, tgid, p);
	return 0;
}

/* main.main's entry, once: stop here until userspace has set the rate. */
SEC("uprobe")
int BPF_KPROBE(go_main)
{
	if (go_rate_addr)
		return 0;
	go_rate_addr = PT_REGS_IP(ctx) + go_rate_delta;
	bpf_send_signal(SIGSTOP);
	return 0;
}
