// SPDX-License-Identifier: GPL-2.0
/*
 * leakscope: per call stack, what a process still holds.
 *
 * The whole lifecycle is in main(): parse → check the machine → target →
 * plan probes → open, configure, load → attach → release a started command →
 * report until done → one cleanup path.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "allocator.h"
#include "cli.h"
#include "leakscope.skel.h"
#include "probes.h"
#include "report.h"
#include "symbolizer.h"
#include "target.h"
#include "util.h"

static volatile sig_atomic_t stop_signal;

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

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (!ls_verbose && level == LIBBPF_INFO))
		return 0;
	if (!ls_verbose)
		return 0; /* our own one-line errors say what failed */
	return vfprintf(stderr, fmt, ap);
}

static int open_and_load(const struct options *opt, struct leakscope_bpf **out)
{
	struct leakscope_bpf *skel = leakscope_bpf__open();
	int err;

	if (!skel) {
		ls_error("cannot open the BPF programs: %s", strerror(errno));
		return LS_EXIT_FAILURE;
	}
	skel->rodata->min_size = opt->min_size;
	skel->rodata->max_size = opt->max_size;
	bpf_map__set_max_entries(skel->maps.objects, opt->max_objects);
	bpf_map__set_max_entries(skel->maps.stacks, opt->max_stacks);
	bpf_map__set_max_entries(skel->maps.totals, opt->max_sites);
	*out = skel;
	err = leakscope_bpf__load(skel);
	if (err) {
		ls_error("cannot load the BPF programs: %s", strerror(-err));
		return err == -EPERM || err == -EACCES ? LS_EXIT_PERMISSION : LS_EXIT_KERNEL;
	}
	return 0;
}

struct session {
	const struct options *opt;
	struct target *target;
	struct leakscope_bpf *skel;
	struct symbolizer *symbolizer;
	struct report_history history;
	uint64_t start_ns;
	unsigned long reports;
};

static int emit_report(struct session *s, bool final)
{
	struct report_sources src = {
	    .totals_fd = bpf_map__fd(s->skel->maps.totals),
	    .stacks_fd = bpf_map__fd(s->skel->maps.stacks),
	    .counters_fd = bpf_map__fd(s->skel->maps.counters),
	    .symbolizer = s->symbolizer,
	    .min_age_ns = s->opt->min_age * 1e9,
	};
	struct report r = {
	    .pid = s->target->pid,
	    .comm = s->target->comm,
	    .seq = ++s->reports,
	    .final = final,
	    .target_exited = s->target->exited,
	    .size_filtered = s->opt->min_size > 0 || s->opt->max_size != UINT64_MAX,
	};
	int err = 0;

	/* Symbols of whatever the target mapped since the last look; after it
	 * exited the maps read while it was alive are used. */
	symbolizer__refresh(s->symbolizer);
	report__gather(&r, &src, &s->history);
	r.traced_ns = r.now_ns - s->start_ns;
	report_text__print(stdout, &r, s->opt);
	if (s->opt->folded_path) {
		err = report_folded__write(s->opt->folded_path, &r, s->opt->folded_value);
		if (err)
			ls_error("cannot write %s: %s", s->opt->folded_path, strerror(-err));
	}
	report__free(&r);
	return err ? LS_EXIT_OUTPUT : 0;
}

/*
 * Libraries are mapped in the first milliseconds of a process: look at its
 * maps often then, so a short-lived command can still be symbolized.
 */
static uint64_t maps_poll_ns(const struct session *s, uint64_t now)
{
	return now - s->start_ns < 2000000000ULL ? 20000000ULL : 1000000000ULL;
}

static int trace(struct session *s)
{
	const struct options *opt = s->opt;
	uint64_t interval = opt->interval * 1e9;
	uint64_t next_report = s->start_ns + interval;
	uint64_t deadline = opt->duration > 0 ? s->start_ns + (uint64_t)(opt->duration * 1e9) : 0;
	int rc;

	while (!stop_signal) {
		uint64_t now = monotonic_ns(), wake = next_report;

		if (deadline && deadline < wake)
			wake = deadline;
		if (now + maps_poll_ns(s, now) < wake)
			wake = now + maps_poll_ns(s, now);
		if (target__wait_exit(s->target, wake > now ? (wake - now) / 1000000 : 0))
			break;
		now = monotonic_ns();
		if (deadline && now >= deadline)
			break;
		if (now < next_report) {
			symbolizer__refresh(s->symbolizer);
			continue;
		}
		if (opt->count && s->reports + 1 >= (unsigned long)opt->count)
			break; /* the last one is the final report */
		rc = emit_report(s, false);
		if (rc)
			return rc;
		next_report += interval;
	}
	return emit_report(s, true);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct target target = {.pidfd = -1, .release_fd = -1};
	struct probe_plan plan = {0};
	struct probe_links links = {0};
	struct session session = {.opt = &opt, .target = &target};
	int rc;

	rc = cli__parse(argc, argv, &opt);
	if (rc >= 0)
		return rc;
	libbpf_set_print(libbpf_print);
	rc = check_output_path(opt.folded_path);
	if (rc)
		return rc;
	rc = check_machine();
	if (rc)
		return rc;
	install_signal_handlers();

	rc = opt.pid ? target__attach(&target, opt.pid) : target__spawn(&target, opt.command);
	if (rc)
		goto cleanup;
	rc = allocator__plan(&target, opt.allocator, &plan);
	if (rc)
		goto cleanup;
	rc = open_and_load(&opt, &session.skel);
	if (rc)
		goto cleanup;
	rc = probes__attach(session.skel, &plan, target.pid, &links);
	if (rc)
		goto cleanup;
	if (target__wait_exit(&target, 0) && !target.spawned) {
		ls_error("PID %d exited while leakscope attached", target.pid);
		rc = LS_EXIT_NO_TARGET;
		goto cleanup;
	}
	session.symbolizer = symbolizer__new(target.pid);
	session.start_ns = monotonic_ns();
	if (target__release(&target)) {
		ls_error("cannot start '%s'", opt.command[0]);
		rc = LS_EXIT_NO_TARGET;
		goto cleanup;
	}
	ls_info("tracing PID %d (%s): %zu probes", target.pid, target.comm, links.count);
	rc = trace(&session);

cleanup:
	probes__detach(&links);
	leakscope_bpf__destroy(session.skel);
	if (session.symbolizer)
		symbolizer__free(session.symbolizer);
	report_history__free(&session.history);
	allocator__free_plan(&plan);
	target__close(&target);
	return rc;
}
