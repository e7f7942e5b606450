// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bpf_load.h"
#include "kind.h"
#include "leakscope.h"
#include "util.h"

/* What libbpf said during the current load: the first refused program and
 * the tail of its verifier log. */
static struct {
	char prog[64];
	char log_tail[4096];
	char error[128];
} said;

static void keep_tail(const char *log)
{
	size_t n = strlen(log);

	if (n >= sizeof(said.log_tail))
		log += n - (sizeof(said.log_tail) - 1);
	snprintf(said.log_tail, sizeof(said.log_tail), "%s", log);
}

/*
 * libbpf 1.1 reports a refusal as
 *   "libbpf: prog 'NAME': BPF program load failed: ERROR"
 *   "libbpf: prog 'NAME': -- BEGIN PROG LOAD LOG --\nLOG-- END PROG LOAD LOG --"
 */
static void note_message(const char *msg)
{
	const char *name = strstr(msg, "prog '"), *end, *rest;
	size_t len;

	if (!name || !(end = strchr(name + 6, '\'')))
		return;
	name += 6;
	len = end - name;
	rest = strstr(end, "BPF program load failed: ");
	if (rest && !said.prog[0] && len < sizeof(said.prog)) {
		memcpy(said.prog, name, len);
		snprintf(said.error, sizeof(said.error), "%s", rest + 25);
		said.error[strcspn(said.error, "\n")] = '\0';
		return;
	}
	rest = strstr(end, "-- BEGIN PROG LOAD LOG --\n");
	if (rest && !said.log_tail[0] && len == strlen(said.prog) && !strncmp(name, said.prog, len))
		keep_tail(rest + 26);
}

int bpf_load__print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	char *msg;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	n = vasprintf(&msg, fmt, copy);
	va_end(copy);
	if (n < 0)
		return 0;
	note_message(msg);
	/* -v: everything, the verifier's whole log among it; our own
	 * one-line errors say what failed otherwise */
	if (ls_verbose)
		fputs(msg, stderr);
	free(msg);
	return n;
}

void bpf_load__reset(void)
{
	memset(&said, 0, sizeof(said));
}

/* The verifier's reason: the last line of its log that is not one of the
 * statistics it always ends with. */
void bpf_load__log_reason(char *log, char *out, size_t size)
{
	char *line = NULL, *p, *next;

	for (p = log; *p; p = next) {
		size_t len = strcspn(p, "\n");

		next = p + len + (p[len] == '\n');
		p[len] = '\0';
		if (!*p || !strncmp(p, "processed ", 10) || !strncmp(p, "verification time", 17) ||
		    !strncmp(p, "stack depth", 11) || !strncmp(p, "-- END PROG LOAD LOG", 20))
			continue;
		line = p;
	}
	if (line)
		snprintf(out, size, "%.*s", (int)size - 1, line);
}

bool bpf_load__refusal(struct bpf_refusal *out)
{
	if (!said.prog[0])
		return false;
	snprintf(out->prog, sizeof(out->prog), "%s", said.prog);
	snprintf(out->reason, sizeof(out->reason), "%s", said.error);
	bpf_load__log_reason(said.log_tail, out->reason, sizeof(out->reason));
	return true;
}

static void add_note(struct load_fallback *fb, const char *what, const struct bpf_refusal *r)
{
	size_t used = strlen(fb->note);

	snprintf(fb->note + used, sizeof(fb->note) - used, "%s%s (the kernel rejected %s: %s)",
		 used ? "; " : "", what, r->prog, r->reason);
}

int bpf_load__fall_back(struct load_fallback *fb, unsigned int *kinds, int err)
{
	const struct kind *k;
	struct bpf_refusal r;
	int kind;

	if (!bpf_load__refusal(&r)) {
		ls_error("cannot load the BPF programs: %s", strerror(-err));
		return err == -EPERM ? LS_EXIT_PERMISSION : LS_EXIT_KERNEL;
	}
	if (!fb->fp_only) {
		/* the table walk is most of what the verifier sees */
		ls_error("the kernel rejected %s: %s; stacks by frame pointers only", r.prog,
			 r.reason);
		fb->fp_only = true;
		add_note(fb, "stacks by frame pointers only", &r);
		return 0;
	}
	k = kind__of_program(r.prog);
	kind = k ? (int)k->id : -1;
	if (kind < 0 || !(*kinds & ~(1u << kind)) || fb->nrefused == 8) {
		ls_error("the kernel rejected %s: %s", r.prog, r.reason);
		return LS_EXIT_KERNEL;
	}
	ls_error("the kernel rejected %s: %s; %s not traced", r.prog, r.reason, kind__name(kind));
	snprintf(fb->refused[fb->nrefused++], sizeof(fb->refused[0]), "%s", r.prog);
	if (*kinds & (1u << kind)) {
		char what[64];

		snprintf(what, sizeof(what), "%s not traced", kind__name(kind));
		add_note(fb, what, &r);
	}
	*kinds &= ~(1u << kind);
	return 0;
}

void bpf_load__skip_refused(struct bpf_object *obj, const struct load_fallback *fb)
{
	unsigned int i;

	for (i = 0; i < fb->nrefused; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, fb->refused[i]);

		if (p)
			bpf_program__set_autoload(p, false);
	}
}

/* The numbers of "stack depth 256+32+96" (one per subprogram, in the order
 * of their first instructions), -1 when the log has none. */
static int stack_depths(const char *log, uint32_t *depth, int max)
{
	const char *p = strstr(log, "stack depth ");
	int n = 0;

	if (!p)
		return -1;
	p += 12;
	while (n < max) {
		char *end;

		depth[n++] = strtoul(p, &end, 10);
		if (*end != '+')
			break;
		p = end + 1;
	}
	return n;
}

struct call_graph {
	uint32_t *start; /* first instruction of each subprogram */
	uint32_t *depth;
	int n;
	bool *calls; /* n x n: i calls (or passes as a callback) j */
};

static int subprog_at(const struct call_graph *g, long insn)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (g->start[i] == insn)
			return i;
	return -1;
}

/* Deepest chain from subprogram i: frames rounded to 32 bytes, as the
 * kernel's check counts them (6.1; later ones round to 16). */
static uint32_t deepest(const struct call_graph *g, int i, int level, char *chain, size_t size)
{
	uint32_t best = 0, here = (g->depth[i] + 31) / 32 * 32;
	char best_chain[128] = "", sub[128];
	int j;

	if (!here)
		here = 32;
	for (j = 0; level < 8 && j < g->n; j++) {
		uint32_t d;

		if (!g->calls[i * g->n + j])
			continue;
		sub[0] = '\0';
		d = deepest(g, j, level + 1, sub, sizeof(sub));
		if (d > best) {
			best = d;
			snprintf(best_chain, sizeof(best_chain), "%s", sub);
		}
	}
	snprintf(chain, size, "%u%s%s", g->depth[i], best_chain[0] ? "+" : "", best_chain);
	return here + best;
}

int bpf_load__cost(const struct bpf_program *prog, const char *log, struct prog_cost *out)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info), ninsns, nfuncs, k;
	struct bpf_func_info *funcs = NULL;
	struct bpf_insn *insns = NULL;
	struct call_graph g = {0};
	const char *t;
	int fd = bpf_program__fd(prog), rc = 0;

	memset(out, 0, sizeof(*out));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	out->verified_insns = info.verified_insns;
	t = strstr(log, "verification time ");
	if (t)
		out->verify_usec = strtoull(t + 18, NULL, 10);
	ninsns = info.xlated_prog_len / sizeof(struct bpf_insn);
	nfuncs = info.nr_func_info;
	if (!ninsns || !nfuncs || info.func_info_rec_size != sizeof(struct bpf_func_info))
		return -ENODATA;
	insns = xcalloc(ninsns, sizeof(*insns));
	funcs = xcalloc(nfuncs, sizeof(*funcs));
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = ninsns * sizeof(*insns);
	info.xlated_prog_insns = (__u64)(unsigned long)insns;
	info.nr_func_info = nfuncs;
	info.func_info_rec_size = sizeof(*funcs);
	info.func_info = (__u64)(unsigned long)funcs;
	len = sizeof(info);
	g.n = nfuncs;
	g.start = xcalloc(nfuncs, sizeof(*g.start));
	g.depth = xcalloc(nfuncs, sizeof(*g.depth));
	g.calls = xcalloc((size_t)nfuncs * nfuncs, sizeof(*g.calls));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    stack_depths(log, g.depth, (int)nfuncs) != (int)nfuncs) {
		rc = -ENODATA;
		goto out;
	}
	for (k = 0; k < nfuncs; k++)
		g.start[k] = funcs[k].insn_off;
	/* Calls keep the callee's offset in `off` once JITed (in `imm`
	 * before); a callback passed to bpf_loop() is a 64-bit load of the
	 * function with its offset in `imm`. */
	for (k = 0; k < ninsns; k++) {
		const struct bpf_insn *in = &insns[k];
		long target = -1;
		int from, to;

		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL)
			target = subprog_at(&g, (long)k + in->off + 1) >= 0 ? (long)k + in->off + 1
									    : (long)k + in->imm + 1;
		else if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC)
			target = (long)k + in->imm + 1;
		if (target < 0 || (to = subprog_at(&g, target)) < 0)
			continue;
		for (from = g.n - 1; from > 0 && g.start[from] > k; from--)
			;
		g.calls[from * g.n + to] = true;
	}
	out->stack = deepest(&g, 0, 0, out->chain, sizeof(out->chain));
out:
	free(g.start);
	free(g.depth);
	free(g.calls);
	free(insns);
	free(funcs);
	return rc;
}
