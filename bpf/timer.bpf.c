// SPDX-License-Identifier: GPL-2.0
/*
 * Go runtime timers (Go 1.18 to 1.22: a timer is in a P's heap from the
 * moment it is started until it fires once or is stopped), from uprobes at
 * function entries in the Go register ABI (rax, rbx, rcx, rdi, rsi, r8...).
 * A live timer is one started and neither stopped nor fired for the last
 * time; its identity is its *runtime.timer.
 *
 * - runtime.addtimer(t): started (time.NewTimer, NewTicker, After,
 *   AfterFunc; network deadlines). Its creator: the goroutine's stack.
 * - runtime.modtimer(t, when, period, f, arg, seq): started again when t was
 *   not live (Reset after Stop or after it fired; time.Sleep, whose timer
 *   is the goroutine's own, reset by resetForSleep on the system stack after
 *   gopark: its stack is then the parked goroutine's, arg).
 * - runtime.deltimer(t): stopped, when it was live.
 * - runtime.runOneTimer(pp, t, now): fired; a one-shot timer (period 0)
 *   leaves the heap, a periodic one (a Ticker) stays live until stopped.
 */
#include "goroutine.bpf.h"
#include "stack.bpf.h"

/* Set by userspace from its Go version table (src/go_versions.c); the
 * defaults are Go 1.19's. runtime.timer: period, status */
const volatile __u32 timer_period_at = 16;
const volatile __u32 timer_status_at = 64;
/* runtime.g: sched.sp and sched.bp */
const volatile __u32 timer_sched_sp = 56;
const volatile __u32 timer_sched_bp = 104;
/* runtime.goroutineReady (time.Sleep's timer function) relative to
 * runtime.modtimer's entry; 0: unknown */
const volatile __s64 timer_ready_delta = 0;

/* runtime.timer.status, Go 1.18 to 1.22 */
enum {
	TIMER_NO_STATUS,
	TIMER_WAITING,
	TIMER_RUNNING,
	TIMER_DELETED,
	TIMER_REMOVING,
	TIMER_REMOVED,
	TIMER_MODIFYING,
	TIMER_MODIFIED_EARLIER,
	TIMER_MODIFIED_LATER,
	TIMER_MOVING,
};

static __always_inline __u32 timer_status(__u64 t)
{
	__u32 s = ~0u;

	bpf_probe_read_user(&s, sizeof(s), (void *)(t + timer_status_at));
	return s;
}

static __always_inline __s64 timer_period(__u64 t)
{
	__s64 p = -1;

	bpf_probe_read_user(&p, sizeof(p), (void *)(t + timer_period_at));
	return p;
}

/* The stack of the running goroutine at a function's entry: the caller's
 * return address at [sp], its frame in rbp; r14 is the g. */
static __always_inline __u64 timer_stack_here(struct pt_regs *ctx, __u32 tgid)
{
	__u64 sp = PT_REGS_SP(ctx), ret = 0;

	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)sp) || !ret) {
		count(LS_KIND_TIMER, CNT_STACKS_EMPTY);
		return 0;
	}
	return store_stack(LS_KIND_TIMER, tgid, ret, sp, PT_REGS_FP(ctx),
			   goroutine_creator(ctx->r14));
}

/* The stack of goroutine `g` parked by gopark: mcall saved gopark's frame
 * in g.sched; the frame record there leads to gopark's caller. */
static __always_inline __u64 timer_stack_parked(__u64 g, __u32 tgid)
{
	struct {
		__u64 next_fp;
		__u64 ret;
	} rec = {};
	__u64 sp = 0, bp = 0;

	if (bpf_probe_read_user(&sp, sizeof(sp), (void *)(g + timer_sched_sp)) ||
	    bpf_probe_read_user(&bp, sizeof(bp), (void *)(g + timer_sched_bp)) ||
	    bpf_probe_read_user(&rec, sizeof(rec), (void *)bp) || !rec.ret) {
		count(LS_KIND_TIMER, CNT_STACKS_EMPTY);
		return 0;
	}
	return store_stack(LS_KIND_TIMER, tgid, rec.ret, sp, rec.next_fp, goroutine_creator(g));
}

SEC("uprobe")
int BPF_KPROBE(timer_add)
{
	struct ls_site site = {
	    .tgid = current_tgid(), .kind = LS_KIND_TIMER, .api = LS_API_GO_ADDTIMER};

	site.stack_id = timer_stack_here(ctx, site.tgid);
	object_acquire(ctx->ax, 0, &site);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(timer_mod)
{
	__u64 t = ctx->ax, f = ctx->di, arg = ctx->r8, code = 0;
	struct ls_site site = {
	    .tgid = current_tgid(), .kind = LS_KIND_TIMER, .api = LS_API_GO_MODTIMER};

	switch (timer_status(t)) {
	case TIMER_NO_STATUS: /* new, or fired */
	case TIMER_REMOVED:   /* stopped, out of the heap */
	case TIMER_DELETED:   /* stopped, still in it */
		break;
	default: /* live already: its new time changes nothing here */
		return 0;
	}
	/* f is a *funcval: its first word is the code */
	if (timer_ready_delta && !bpf_probe_read_user(&code, sizeof(code), (void *)f) &&
	    code == PT_REGS_IP(ctx) + timer_ready_delta)
		site.stack_id = timer_stack_parked(arg, site.tgid);
	else
		site.stack_id = timer_stack_here(ctx, site.tgid);
	object_acquire(t, 0, &site);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(timer_del)
{
	__u64 t = ctx->ax;

	switch (timer_status(t)) {
	case TIMER_WAITING:
	case TIMER_MODIFIED_EARLIER:
	case TIMER_MODIFIED_LATER:
		break;
	case TIMER_RUNNING: /* firing on another P: deltimer waits, then stops
			     * a periodic one; a one-shot one is done */
		if (timer_period(t) > 0)
			break;
		return 0;
	default: /* stopped or fired already: deltimer does nothing */
		return 0;
	}
	object_release(LS_KIND_TIMER, current_tgid(), t);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(timer_run)
{
	__u64 t = ctx->bx;

	if (timer_period(t) == 0)
		object_release(LS_KIND_TIMER, current_tgid(), t);
	return 0;
}
