// SPDX-License-Identifier: GPL-2.0
/*
 * leakscope: per call stack, what a process still holds.
 *
 * The whole lifecycle is in main(): parse → check the machine → target →
 * plan probes → open, configure, load → attach → release a started command →
 * report until done → one cleanup path.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "allocator.h"
#include "bpf_load.h"
#include "leak_check.h"
#include "cli.h"
#include "kind.h"
#include "elf_lookup.h"
#include "go_runtime.h"
#include "go_kinds.h"
#include "kallsyms.h"
#include "host.h"
#include "host_watch.h"
#include "leakscope.skel.h"
#include "probes.h"
#include "session.h"
#include "target.h"
#include "unwinder.h"
#include "util.h"

static volatile sig_atomic_t stop_signal;
static struct go_runtime go_rt; /* the target's Go runtime, when it is Go */

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void install_signal_handlers(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	/* No SA_RESTART: a signal must cut the wait for the next report short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Tests point this at a directory lacking a feature; normally "/sys". */
static const char *sysfs_root(void)
{
	const char *root = getenv("LEAKSCOPE_SYSFS");

	return root ? root : "/sys";
}

static bool has_capability(int cap)
{
	char *status = read_file("/proc/self/status", NULL), *line;
	unsigned long long eff = 0;

	if (!status)
		return false;
	line = strstr(status, "\nCapEff:");
	if (line)
		eff = strtoull(line + 8, NULL, 16);
	free(status);
	return eff & (1ULL << cap);
}

static int check_machine(void)
{
	char path[256];

	/* CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39 */
	if (!has_capability(21) && !(has_capability(38) && has_capability(39))) {
		ls_error("permission denied: tracing needs root (CAP_BPF and CAP_PERFMON)");
		return LS_EXIT_PERMISSION;
	}
	snprintf(path, sizeof(path), "%s/kernel/btf/vmlinux", sysfs_root());
	if (access(path, R_OK)) {
		ls_error("kernel feature missing: BTF (%s; needs CONFIG_DEBUG_INFO_BTF)", path);
		return LS_EXIT_KERNEL;
	}
	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe", sysfs_root());
	if (access(path, R_OK)) {
		ls_error("kernel feature missing: uprobes (%s; needs CONFIG_UPROBE_EVENTS)", path);
		return LS_EXIT_KERNEL;
	}
	return 0;
}

/* Output files are written aside and renamed into place: their directory
 * must be writable. Found out now, not at the first report. */
static int check_output_path(const char *path)
{
	char *dir, *slash;
	int ok;

	if (!path)
		return 0;
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';
	ok = access(slash ? dir : ".", W_OK) == 0;
	free(dir);
	if (!ok) {
		ls_error("cannot write %s: %s", path, strerror(errno));
		return LS_EXIT_OUTPUT;
	}
	return 0;
}

/* Tests make the kernel refuse programs on purpose (bpf/unwind.bpf.h):
 * LEAKSCOPE_TEST_REJECT=WHAT[,WHAT...], each "tables" or a kind's name. */
static unsigned int test_rejections(void)
{
	const char *what = getenv("LEAKSCOPE_TEST_REJECT");
	unsigned int bits = 0;

	while (what && *what) {
		size_t len = strcspn(what, ",");

		const struct kind *k = kind__by_name(what, len);

		if (len == 6 && !strncmp(what, "tables", 6))
			bits |= 1u << 31;
		if (k)
			bits |= 1u << k->id;
		what += len + (what[len] == ',');
	}
	return bits;
}

static int open_once(const struct options *opt, const struct load_fallback *fb,
		     struct leakscope_bpf **out)
{
	struct leakscope_bpf *skel = leakscope_bpf__open();
	struct kind_source src = {.opt = opt, .go = &go_rt};
	int err;

	if (!skel) {
		ls_error("cannot open the BPF programs: %s", strerror(errno));
		return LS_EXIT_FAILURE;
	}
	src.skel = skel;
	bpf_map__set_max_entries(skel->maps.stacks, opt->max_stacks);
	bpf_map__set_max_entries(skel->maps.totals, opt->max_sites);
	bpf_map__set_max_entries(skel->maps.unwind_rows, opt->unwind_rows);
	/* the processes a traced one starts: the session's, every kind's */
	bpf_program__set_autoload(skel->progs.process_fork, opt->follow_forks);
	/* -a reads maps when a report needs them: a host loads libraries all
	 * the time */
	bpf_program__set_autoload(skel->progs.process_mapped, !opt->all);
	skel->rodata->follow_forks = opt->follow_forks;
	kinds__configure(&src);
	probes__prepare(skel);
	*out = skel;
	skel->rodata->unwind_fp_only = fb->fp_only;
	skel->rodata->test_reject = test_rejections();
	bpf_load__skip_refused(skel->obj, fb);
	err = host__configure(skel, opt);
	if (err)
		return err;
	bpf_load__reset();
	return leakscope_bpf__load(skel);
}

/*
 * Open, configure, load; when the kernel refuses a program, one line says
 * which and why, and the load is tried again without what it needs:
 * first the table walk (stacks by frame pointers), then the program's kind.
 */
static int open_and_load(struct options *opt, struct load_fallback *fb, struct leakscope_bpf **out)
{
	int err;

	for (;;) {
		err = open_once(opt, fb, out);
		if (err >= 0)
			return err; /* loaded, or an exit code */
		leakscope_bpf__destroy(*out);
		*out = NULL;
		err = bpf_load__fall_back(fb, &opt->kinds, err);
		if (err)
			return err;
	}
}

/*
 * --unwind: the BPF walk's settings, and the tables of the files the target
 * maps. A command is not running yet: its executable, its dynamic loader
 * and the libraries probed in it get theirs now, the rest at the first look
 * at its maps after its exec (before, it maps leakscope's own files).
 */
static int start_unwinder(struct session *s, const struct options *opt, const struct target *t,
			  const struct probe_plan *plan)
{
	struct unwinder_maps maps = {
	    .rows_fd = bpf_map__fd(s->skel->maps.unwind_rows),
	    .files_fd = bpf_map__fd(s->skel->maps.unwind_files),
	    .config_fd = bpf_map__fd(s->skel->maps.unwind_config),
	};

	s->unwinder = unwinder__new(opt->unwind, opt->unwind_depth, opt->unwind_rows, &maps);
	if (!s->unwinder) {
		ls_error("cannot configure stack unwinding: %s", strerror(errno));
		return LS_EXIT_KERNEL;
	}
	if (t->exe) {
		char interp[PATH_MAX];

		unwinder__add_path(s->unwinder, t->exe);
		/* the dynamic loader runs first, opening the libraries */
		if (!elf_lookup__interpreter(t->exe, interp, sizeof(interp)))
			unwinder__add_path(s->unwinder, interp);
	}
	for (size_t i = 0; i < plan->count; i++)
		unwinder__add_path(s->unwinder, plan->points[i].binary);
	/* and the libraries not probed: a kernel allocation's user stack is
	 * walked through libc's system call wrappers from the first call */
	for (size_t i = 0; t->spawned && i < plan->nobjects; i++)
		unwinder__add_path(s->unwinder, plan->objects[i]);
	return 0;
}

/* The tracepoint programs see every process: tell them which to trace,
 * then attach them. */
static int attach_tracepoints(struct leakscope_bpf *skel, pid_t pid)
{
	__u32 tgid = pid;
	__u8 one = 1;
	int err;

	err = bpf_map__update_elem(skel->maps.targets, &tgid, sizeof(tgid), &one, sizeof(one),
				   BPF_ANY);
	if (!err)
		err = leakscope_bpf__attach(skel);
	if (err) {
		ls_error("cannot attach the tracepoint programs: %s", strerror(-err));
		return err == -EPERM ? LS_EXIT_PERMISSION : LS_EXIT_KERNEL;
	}
	return 0;
}

/* --check: the leaks on stderr, the JUnit file, the exit status. */
static int finish_check(const struct leak_check *check, const struct options *opt,
			const struct target *target)
{
	int err;

	leak_check__print(check, stderr);
	if (opt->junit_path) {
		err = leak_check__write_junit(check, opt->junit_path);
		if (err) {
			ls_error("cannot write %s: %s", opt->junit_path, strerror(-err));
			return LS_EXIT_OUTPUT;
		}
	}
	return leak_check__exit_code(check, target->exited ? target->exit_status : -1);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct target target = {.pidfd = -1, .release_fd = -1};
	struct probe_plan plan = {0};
	struct probe_links links = {0};
	struct load_fallback fallback = {0};
	struct leak_check check = {0};
	struct session session = {
	    .opt = &opt, .target = &target, .plan = &plan, .links = &links, .stop = &stop_signal};
	int rc;

	rc = cli__parse(argc, argv, &opt);
	if (rc >= 0) {
		cli__free(&opt);
		return rc;
	}
	libbpf_set_print(bpf_load__print);
	rc = check_output_path(opt.folded_path);
	if (!rc && opt.json_path && strcmp(opt.json_path, "-"))
		rc = check_output_path(opt.json_path);
	if (!rc)
		rc = check_output_path(opt.pprof_path);
	if (!rc)
		rc = check_output_path(opt.junit_path);
	if (!rc)
		rc = check_machine();
	if (!rc && opt.check) {
		rc =
		    leak_check__init(&check, opt.suppressions, opt.check_ignore, opt.ncheck_ignore);
		session.check = &check;
	}
	if (rc) {
		leak_check__free(&check);
		cli__free(&opt);
		return rc;
	}
	install_signal_handlers();

	/* -a: the host; the allocator is planned from leakscope's own libc and
	 * libstdc++ and probed in every process that maps those files */
	rc = opt.pid   ? target__attach(&target, opt.pid)
	     : opt.all ? target__host(&target)
		       : target__spawn(&target, opt.command);
	if (rc)
		goto cleanup;
	go_runtime__open(&go_rt, &target);
	rc = go_kinds__select(&go_rt, opt.all, &opt.kinds);
	if (rc)
		goto cleanup;
	session.go = &go_rt;
	/* -a sampled: no heap uprobe on the host, only in a suspect for a
	 * while (src/host_watch.c plans its allocator then) */
	rc = allocator__plan(
	    &target, opt.allocator,
	    opt.all && !opt.host_exact ? opt.kinds & ~(1u << LS_KIND_HEAP) : opt.kinds, &plan);
	if (rc)
		goto cleanup;
	allocator__place(&plan, opt.probe_at_entry);
	rc = open_and_load(&opt, &fallback, &session.skel);
	if (fallback.fp_only)
		opt.unwind = LS_UNWIND_FP;
	session.missing = fallback.note;
	if (!rc)
		rc = start_unwinder(&session, &opt, &target, &plan);
	if (rc)
		goto cleanup;
	rc = attach_tracepoints(session.skel, target.pid);
	if (rc)
		goto cleanup;
	rc = probes__attach(session.skel, &plan, opt.all ? 0 : target.pid, &links);
	if (!rc && !opt.all)
		rc =
		    go_runtime__attach(&go_rt, session.skel, target.pid, opt.kinds, target.spawned);
	if (!rc && !opt.all)
		rc = kinds__attach(
		    &(struct kind_source){.skel = session.skel, .opt = &opt, .go = &go_rt},
		    target.pid);
	if (rc)
		goto cleanup;
	if (target__wait_exit(&target, 0) && !target.spawned) {
		ls_error("PID %d exited while leakscope attached", target.pid);
		rc = LS_EXIT_NO_TARGET;
		goto cleanup;
	}
	rc = session__start(&session);
	if (rc)
		goto cleanup;
	session.watch = host_watch__start(&session);
	if (target__release(&target)) {
		ls_error("cannot start '%s'", opt.command[0]);
		rc = LS_EXIT_NO_TARGET;
		goto cleanup;
	}
	go_runtime__started(&go_rt, session.skel, target.pid);
	if (opt.all)
		ls_info("tracing the host: %zu probe links", links.count);
	else
		ls_info("tracing PID %d (%s): %zu probe links", target.pid, target.comm,
			links.count);
	rc = session__run(&session);
	if (!rc && opt.check)
		rc = finish_check(&check, &opt, &target);

cleanup:
	host_watch__free(session.watch);
	go_runtime__detach(&go_rt, target.pid);
	probes__detach(&links);
	/* the session's ring buffer reads a map of the skeleton: freed first */
	session__close(&session);
	kallsyms__free();
	unwinder__free(session.unwinder);
	leakscope_bpf__destroy(session.skel);
	allocator__free_plan(&plan);
	target__close(&target);
	leak_check__free(&check);
	cli__free(&opt);
	return rc;
}
