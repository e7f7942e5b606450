// SPDX-License-Identifier: GPL-2.0
/*
 * What each of leakscope's BPF programs costs the running kernel's verifier:
 * verified instructions, the stack of its deepest chain of calls and
 * callbacks, and the verification time. Each program is loaded alone, as
 * leakscope configures it, so a refusal names one program.
 *
 * Exits 1 when a program is refused or over budget: a quarter of the
 * kernel's 1,000,000-instruction limit, 448 of its 512 bytes of stack.
 * Kernels differ in what they accept; headroom is what survives an update.
 *
 * Usage: verifier-report [--fp-only]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>

#include "bpf_load.h"
#include "leakscope.skel.h"
#include "probes.h"
#include "uprobe_multi.h"
#include "util.h"

#define INSN_BUDGET  250000
#define STACK_BUDGET 448
#define LOG_SIZE     (1 << 20)

/* Programs only some kernels can load, and what they need. */
static const char *unsupported(const char *name)
{
	if (!strcmp(name, "heap_alloc_session") &&
	    !(uprobe_multi__have_links() && uprobe_multi__have_sessions()))
		return "needs uprobe sessions (6.13+)";
	return NULL;
}

/* Loads program `index` of the object alone; 0 when it is within budget. */
static int measure(int index, bool fp_only, char *log)
{
	struct leakscope_bpf *skel = leakscope_bpf__open();
	struct bpf_program *prog = NULL, *it;
	struct bpf_refusal refusal;
	struct prog_cost cost;
	const char *why;
	int i = 0, err, rc = 0;

	if (!skel) {
		fprintf(stderr, "verifier-report: cannot open the BPF object: %s\n",
			strerror(errno));
		exit(1);
	}
	probes__prepare(skel);
	bpf_object__for_each_program(it, skel->obj)
	{
		bpf_program__set_autoload(it, i == index);
		if (i++ == index)
			prog = it;
	}
	why = unsupported(bpf_program__name(prog));
	if (why) {
		printf("%-22s %s\n", bpf_program__name(prog), why);
		goto out;
	}
	skel->rodata->unwind_fp_only = fp_only;
	log[0] = '\0';
	bpf_program__set_log_buf(prog, log, LOG_SIZE);
	bpf_program__set_log_level(prog, 4); /* the statistics only */
	bpf_load__reset();
	err = leakscope_bpf__load(skel);
	if (err) {
		if (!bpf_load__refusal(&refusal))
			snprintf(refusal.reason, sizeof(refusal.reason), "%s", strerror(-err));
		bpf_load__log_reason(log, refusal.reason, sizeof(refusal.reason));
		printf("%-22s REFUSED: %s\n", bpf_program__name(prog), refusal.reason);
		rc = 1;
		goto out;
	}
	if (bpf_load__cost(prog, log, &cost)) {
		printf("%-22s loaded; the kernel does not say its cost\n", bpf_program__name(prog));
		goto out;
	}
	rc = cost.verified_insns > INSN_BUDGET || cost.stack > STACK_BUDGET;
	printf("%-22s %9u %5.1f %%  %4u  %-22s %8.1f  %s\n", bpf_program__name(prog),
	       cost.verified_insns, 100.0 * cost.verified_insns / INSN_BUDGET, cost.stack,
	       cost.chain, cost.verify_usec / 1000.0, rc ? "OVER BUDGET" : "ok");
out:
	leakscope_bpf__destroy(skel);
	return rc;
}

int main(int argc, char **argv)
{
	bool fp_only = argc > 1 && !strcmp(argv[1], "--fp-only");
	struct leakscope_bpf *skel;
	struct bpf_program *it;
	struct utsname u;
	int n = 0, i, bad = 0;
	char *log = xcalloc(1, LOG_SIZE);

	libbpf_set_print(bpf_load__print);
	uname(&u);
	printf("kernel %s: uprobe_multi links %s, uprobe sessions %s%s\n", u.release,
	       uprobe_multi__have_links() ? "yes" : "no",
	       uprobe_multi__have_sessions() ? "yes" : "no",
	       fp_only ? "; stacks by frame pointers only" : "");
	printf("budget per program: %d verified instructions, %d bytes of stack (chain of frames, "
	       "each rounded up to 32)\n",
	       INSN_BUDGET, STACK_BUDGET);
	printf("%-22s %9s %7s  %4s  %-22s %8s\n", "program", "insns", "budget", "stack", "frames",
	       "verify ms");
	skel = leakscope_bpf__open();
	if (!skel)
		return 1;
	bpf_object__for_each_program(it, skel->obj) n++;
	leakscope_bpf__destroy(skel);
	for (i = 0; i < n; i++)
		bad += measure(i, fp_only, log);
	printf("%d programs, %d refused or over budget\n", n, bad);
	free(log);
	return bad ? 1 : 0;
}
