// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "leak_check.h"
#include "kind.h"
#include "report.h"
#include "util.h"

/* What a language's runtime makes for itself: never the program's leak. */
static const char *const builtin_rules[] = {
    "creator:runtime.*",
    "creator:testing.*",
    "creator:os/signal.*",
};

int leak_check__init(struct leak_check *c, const char *suppressions, const char *const *ignore,
		     size_t nignore)
{
	size_t i;
	int err = 0;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(builtin_rules) / sizeof(builtin_rules[0]) && !err; i++)
		err = suppress__add(&c->rules, builtin_rules[i]);
	if (!err && suppressions)
		err = suppress__load(&c->rules, suppressions);
	for (i = 0; i < nignore && !err; i++)
		err = suppress__add(&c->rules, ignore[i]);
	return err;
}

static bool is_leak(const struct report_entry *e)
{
	const struct kind *k = kind__get(e->row.site.kind);

	if (!kind__counts(e->row.site.kind, e->row.site.api))
		return false; /* not the program's own (an allocator's mapping) */
	if (e->verdict.kind == VERDICT_GROWING)
		return true;
	return k && k->leak_at_exit && e->row.count >= k->leak_at_exit;
}

/* "open <- open_leak <- main", and the first frame with a source line. */
static void describe(struct leak *l, const struct report_entry *e)
{
	size_t i, used = 0;

	for (i = 0; i < e->nframes && i < 6; i++)
		used += snprintf(l->stack + used, sizeof(l->stack) - used, "%s%s", i ? " <- " : "",
				 e->frames[i]);
	if (i < e->nframes)
		snprintf(l->stack + used, sizeof(l->stack) - used, " <- ...");
	for (i = 0; i < e->nframes; i++) {
		const struct report_loc *loc = report_entry__loc(e, i);

		if (loc->file && loc->line) {
			snprintf(l->where, sizeof(l->where), "%s:%d", path_base(loc->file),
				 loc->line);
			break;
		}
	}
	details__format(&e->details, l->what, sizeof(l->what));
}

static struct leak_process *process(struct leak_check *c, const struct report_process *p)
{
	size_t i;

	for (i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == p->pid)
			return &c->procs[i];
	c->procs = xrealloc(c->procs, c->nprocs + 1, sizeof(*c->procs));
	memset(&c->procs[c->nprocs], 0, sizeof(*c->procs));
	c->procs[c->nprocs].pid = p->pid;
	snprintf(c->procs[c->nprocs].comm, sizeof(c->procs[0].comm), "%s", p->comm);
	c->procs[c->nprocs].exit_status = p->exit_status;
	return &c->procs[c->nprocs++];
}

void leak_check__evaluate(struct leak_check *c, const struct report *r)
{
	size_t i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].exited)
			process(c, &r->procs[i]);
	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];
		const struct report_process *p = report__process(r, e->row.site.tgid);
		struct suppress_rule *rule;
		struct leak *l;

		if (!p || !p->exited || !is_leak(e))
			continue;
		/* nothing to name it by (Go's main goroutine, made by the
		 * runtime's assembly before any frame exists) */
		if (!e->row.site.stack_id) {
			c->unjudged++;
			continue;
		}
		rule = suppress__match(&c->rules, e);
		if (rule) {
			rule->hits++;
			c->suppressed++;
			continue;
		}
		process(c, p)->leaks++;
		c->leaks = xrealloc(c->leaks, c->nleaks + 1, sizeof(*c->leaks));
		l = memset(&c->leaks[c->nleaks++], 0, sizeof(*l));
		l->pid = p->pid;
		l->kind = e->row.site.kind;
		l->count = e->row.count;
		l->bytes = e->row.bytes;
		describe(l, e);
	}
}

/* "7 fds (7 files /tmp/x/)", "1.2 KiB in 5 blocks" */
static void format_amount(const struct leak *l, char *buf, size_t len)
{
	const struct kind *k = kind__get(l->kind);
	char bytes[32];

	if (k->has_bytes) {
		format_bytes(l->bytes, bytes, sizeof(bytes));
		snprintf(buf, len, "%s in %" PRId64 " %s", bytes, l->count, k->words.objects);
	} else if (l->what[0]) {
		snprintf(buf, len, "%" PRId64 " %s (%s)", l->count, k->words.objects, l->what);
	} else {
		snprintf(buf, len, "%" PRId64 " %s", l->count, k->words.objects);
	}
}

static const char *comm_of(const struct leak_check *c, int pid)
{
	size_t i;

	for (i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid)
			return c->procs[i].comm;
	return "?";
}

void leak_check__print(const struct leak_check *c, FILE *out)
{
	char amount[160];
	size_t i, leaking = 0;

	for (i = 0; i < c->nleaks; i++) {
		const struct leak *l = &c->leaks[i];

		format_amount(l, amount, sizeof(amount));
		fprintf(out, "leakscope: leak: %s %s at %s%s%s%s, PID %d (%s)\n",
			kind__name(l->kind), amount, l->stack, l->where[0] ? " (" : "", l->where,
			l->where[0] ? ")" : "", l->pid, comm_of(c, l->pid));
	}
	for (i = 0; i < c->nprocs; i++)
		leaking += c->procs[i].leaks > 0;
	fprintf(out, "leakscope: check: %zu leak%s in %zu of %zu process%s", c->nleaks,
		c->nleaks == 1 ? "" : "s", leaking, c->nprocs, c->nprocs == 1 ? "" : "es");
	if (c->suppressed)
		fprintf(out, ", %zu suppressed", c->suppressed);
	if (c->unjudged)
		fprintf(out, ", %zu with a lost stack not judged", c->unjudged);
	fputc('\n', out);
}

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, out);
		}
	}
}

static void junit_case(FILE *out, const struct leak_check *c, const struct leak_process *p)
{
	char name[64], amount[160];
	size_t i;

	snprintf(name, sizeof(name), "%s (PID %d)", p->comm, p->pid);
	fputs("    <testcase classname=\"leakscope\" name=\"", out);
	xml_text(out, name);
	if (!p->leaks) {
		fputs("\"/>\n", out);
		return;
	}
	fprintf(out, "\">\n      <failure message=\"%zu leak%s\" type=\"leak\">", p->leaks,
		p->leaks == 1 ? "" : "s");
	for (i = 0; i < c->nleaks; i++) {
		const struct leak *l = &c->leaks[i];

		if (l->pid != p->pid)
			continue;
		format_amount(l, amount, sizeof(amount));
		fprintf(out, "%s %s at ", kind__name(l->kind), amount);
		xml_text(out, l->stack);
		if (l->where[0]) {
			fputs(" (", out);
			xml_text(out, l->where);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	fputs("</failure>\n    </testcase>\n", out);
}

int leak_check__write_junit(const struct leak_check *c, const char *path)
{
	FILE *out = fopen(path, "w");
	size_t i, failed = 0;

	if (!out)
		return -errno;
	for (i = 0; i < c->nprocs; i++)
		failed += c->procs[i].leaks > 0;
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite "
		"name=\"leakscope --check\" tests=\"%zu\" failures=\"%zu\">\n",
		c->nprocs, failed);
	for (i = 0; i < c->nprocs; i++)
		junit_case(out, c, &c->procs[i]);
	fputs("  </testsuite>\n</testsuites>\n", out);
	return fclose(out) ? -errno : 0;
}

int leak_check__exit_code(const struct leak_check *c, int status)
{
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status))
		return WEXITSTATUS(status);
	if (status >= 0 && WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return c->nleaks ? LS_EXIT_LEAKS : 0;
}

void leak_check__free(struct leak_check *c)
{
	suppress__free(&c->rules);
	free(c->leaks);
	free(c->procs);
	memset(c, 0, sizeof(*c));
}
