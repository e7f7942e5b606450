/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel says when it loads the BPF programs: which program it
 * refused and the verifier's reason, what leakscope gives up to load the
 * rest (frame-pointer stacks, then the refused program's kind), and what
 * each program costs the verifier (instructions, stack, time).
 *
 * Kernels differ in what their verifier accepts, so a refusal is expected
 * somewhere in a fleet: it is named in one line and only its feature goes
 * missing.
 */
#ifndef BPF_LOAD_H
#define BPF_LOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <bpf/libbpf.h>

/* What the kernel refused in the last load, from libbpf's messages. */
struct bpf_refusal {
	char prog[64];	  /* the program */
	char reason[256]; /* the verifier's last words, or the error */
};

/* What a load gives up after refusals, applied to each new open. */
struct load_fallback {
	bool fp_only;	     /* stacks by frame pointers only */
	char refused[8][64]; /* programs not loaded again */
	unsigned int nrefused;
	char note[512]; /* what is missing and why, for every report */
};

/* libbpf's print callback: keeps what it says of a refused program and,
 * with -v, prints everything (the verifier's whole log among it). */
int bpf_load__print(enum libbpf_print_level level, const char *fmt, va_list ap);

/* Forgets what the last load said: call before each load. */
void bpf_load__reset(void);

/* The program the last load refused and why; false when no program was
 * named (the failure was elsewhere). */
bool bpf_load__refusal(struct bpf_refusal *out);

/*
 * After load error `err`: says in one line what was refused and what goes
 * missing, and records it in `fb` (with `kinds`, the traced kinds, cut).
 * Returns 0 when a load without it is worth trying, else the exit code after
 * one line on stderr.
 */
int bpf_load__fall_back(struct load_fallback *fb, unsigned int *kinds, int err);

/* The verifier's reason in `log` (cut into lines): its last line but the
 * statistics; `out` is left as it is when there is none. */
void bpf_load__log_reason(char *log, char *out, size_t size);

/* Sets autoload off for the refused programs of `fb`. */
void bpf_load__skip_refused(struct bpf_object *obj, const struct load_fallback *fb);

/* What a loaded program costs the verifier. */
struct prog_cost {
	uint32_t verified_insns;
	uint32_t stack;	 /* its deepest chain of calls and callbacks, bytes */
	char chain[128]; /* that chain's frames, "256+32+96" */
	uint64_t verify_usec;
};

/* The cost of `prog`, loaded with log level 4 (statistics) into `log`;
 * -errno when the kernel does not say (verified_insns: 5.16+). */
int bpf_load__cost(const struct bpf_program *prog, const char *log, struct prog_cost *out);

#endif /* BPF_LOAD_H */
