// SPDX-License-Identifier: GPL-2.0
/*
 * The target's objects in symbol search order (load_order.h): the command's
 * as its dynamic loader lists them, the process's from its maps with the
 * default libraries last.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_lookup.h"
#include "load_order.h"
#include "proc_maps.h"
#include "target.h"
#include "util.h"

void load_order__add(struct load_order *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (!strcmp(l->paths[i], path))
			return;
	l->paths = xrealloc(l->paths, l->count + 1, sizeof(*l->paths));
	l->paths[l->count++] = xstrdup(path);
}

void load_order__free(struct load_order *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->paths[i]);
	free(l->paths);
}

/* A script runs its "#!" interpreter: that is the program to look at. */
static const char *script_interpreter(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char *end;

	if (!f)
		return path;
	if (!fgets(buf, len, f) || strncmp(buf, "#!", 2)) {
		fclose(f);
		return path;
	}
	fclose(f);
	buf += 2 + strspn(buf + 2, " \t");
	end = buf + strcspn(buf, " \t\n");
	*end = '\0';
	return buf[0] == '/' ? buf : path;
}

/*
 * A command not yet started: ask its dynamic loader for the load order
 * (`ld.so --list`, what ldd does: it maps the objects, runs none of their
 * code). A static executable is its own allocator.
 */
int load_order__of_command(const char *command, struct load_order *l)
{
	char interp[PATH_MAX], line[PATH_MAX + 64], shebang[PATH_MAX];
	const char *exe = script_interpreter(command, shebang, sizeof(shebang));
	int out[2], status;
	FILE *f;
	pid_t pid;

	load_order__add(l, exe);
	if (elf_lookup__interpreter(exe, interp, sizeof(interp)))
		return 0;
	if (pipe(out))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		execl(interp, interp, "--list", exe, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		/* "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
		 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)" */
		char *p = strstr(line, "=> "), *end;

		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;
		end = strstr(p, " (");
		if (end)
			*end = '\0';
		p[strcspn(p, "\n")] = '\0';
		load_order__add(l, p);
	}
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	return 0;
}

int load_order__default_rank(const char *path)
{
	const char *base = path_base(path);

	if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5))
		return 2;
	if (!strncmp(base, "libstdc++", 9))
		return 1;
	return 0;
}

/*
 * A running process: its mapped objects, the executable first and the
 * default libraries last, which is the order interposition resolves in.
 * The host (-a) stands for every process: only the default libraries count.
 * leakscope's executable and its other libraries are its own, mapped by no
 * other process; a sanitizer runtime among them (libasan interposes malloc)
 * would otherwise take the allocator's place.
 */
int load_order__of_process(const struct target *t, struct load_order *l)
{
	struct proc_maps maps;
	char exe[PATH_MAX + 32], link[64];
	ssize_t n;
	size_t i;
	int rank, err;

	snprintf(link, sizeof(link), "/proc/%d/exe", t->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	err = proc_maps__read(t->pid, &maps);
	if (err)
		return err;
	if (!t->host)
		load_order__add(l, exe);
	for (rank = t->host ? 1 : 0; rank <= 2; rank++)
		for (i = 0; i < maps.count; i++) {
			const struct map_entry *m = &maps.entries[i];

			if (m->path[0] == '/' && m->perms[2] == 'x' &&
			    !strstr(m->path, " (deleted)") &&
			    load_order__default_rank(m->path) == rank)
				load_order__add(l, m->path);
		}
	proc_maps__free(&maps);
	return 0;
}
