// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocator.h"
#include "elf_lookup.h"
#include "proc_maps.h"
#include "target.h"
#include "util.h"

static const struct api_function functions[] = {
    {"malloc", LS_API_MALLOC, PROG_ALLOC, false, LS_KIND_HEAP},
    {"calloc", LS_API_CALLOC, PROG_CALLOC, false, LS_KIND_HEAP},
    {"realloc", LS_API_REALLOC, PROG_REALLOC, false, LS_KIND_HEAP},
    {"reallocarray", LS_API_REALLOCARRAY, PROG_REALLOCARRAY, false, LS_KIND_HEAP},
    {"aligned_alloc", LS_API_ALIGNED_ALLOC, PROG_ALLOC_ALIGNED, false, LS_KIND_HEAP},
    {"posix_memalign", LS_API_POSIX_MEMALIGN, PROG_POSIX_MEMALIGN, false, LS_KIND_HEAP},
    {"memalign", LS_API_MEMALIGN, PROG_ALLOC_ALIGNED, false, LS_KIND_HEAP},
    {"valloc", LS_API_VALLOC, PROG_ALLOC, false, LS_KIND_HEAP},
    {"pvalloc", LS_API_PVALLOC, PROG_ALLOC, false, LS_KIND_HEAP},
    {"free", LS_API_FREE, PROG_FREE, false, LS_KIND_HEAP},
    {"cfree", LS_API_FREE, PROG_FREE, false, LS_KIND_HEAP},
    /* libc helpers that allocate through malloc but keep no frame pointer */
    {"strdup", LS_API_STRDUP, PROG_WRAPPER, true, LS_KIND_HEAP},
    {"strndup", LS_API_STRNDUP, PROG_WRAPPER, true, LS_KIND_HEAP},
    /* operator new, new[]: plain, nothrow, aligned, aligned nothrow */
    {"_Znwm", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnwmRKSt9nothrow_t", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnwmSt11align_val_t", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", LS_API_NEW, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_Znam", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnamRKSt9nothrow_t", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnamSt11align_val_t", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    {"_ZnamSt11align_val_tRKSt9nothrow_t", LS_API_NEW_ARRAY, PROG_ALLOC, true, LS_KIND_HEAP},
    /* operator delete, delete[]: plain, sized, nothrow, aligned, both */
    {"_ZdlPv", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvm", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvRKSt9nothrow_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvSt11align_val_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvmSt11align_val_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdlPvSt11align_val_tRKSt9nothrow_t", LS_API_DELETE, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPv", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvm", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvRKSt9nothrow_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvSt11align_val_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvmSt11align_val_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    {"_ZdaPvSt11align_val_tRKSt9nothrow_t", LS_API_DELETE_ARRAY, PROG_FREE, true, LS_KIND_HEAP},
    /* libc wrappers that create fds: probed only for the stack of their
     * caller (libc keeps no frame pointers); the system call does the
     * counting. fcntl, called often and rarely to duplicate an fd, is left
     * to the frame-pointer walk from the system call. */
    {"open", LS_API_OPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"open64", LS_API_OPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"openat", LS_API_OPENAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"openat64", LS_API_OPENAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"creat", LS_API_CREAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"creat64", LS_API_CREAT, PROG_WRAPPER, true, LS_KIND_FD},
    {"fopen", LS_API_FOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"fopen64", LS_API_FOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"freopen", LS_API_FREOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"freopen64", LS_API_FREOPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"opendir", LS_API_OPENDIR, PROG_WRAPPER, true, LS_KIND_FD},
    {"tmpfile", LS_API_TMPFILE, PROG_WRAPPER, true, LS_KIND_FD},
    {"tmpfile64", LS_API_TMPFILE, PROG_WRAPPER, true, LS_KIND_FD},
    {"popen", LS_API_POPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"socket", LS_API_SOCKET, PROG_WRAPPER, true, LS_KIND_FD},
    {"socketpair", LS_API_SOCKETPAIR, PROG_WRAPPER, true, LS_KIND_FD},
    {"accept", LS_API_ACCEPT, PROG_WRAPPER, true, LS_KIND_FD},
    {"accept4", LS_API_ACCEPT4, PROG_WRAPPER, true, LS_KIND_FD},
    {"pipe", LS_API_PIPE, PROG_WRAPPER, true, LS_KIND_FD},
    {"pipe2", LS_API_PIPE2, PROG_WRAPPER, true, LS_KIND_FD},
    {"dup", LS_API_DUP, PROG_WRAPPER, true, LS_KIND_FD},
    {"dup2", LS_API_DUP2, PROG_WRAPPER, true, LS_KIND_FD},
    {"dup3", LS_API_DUP3, PROG_WRAPPER, true, LS_KIND_FD},
    {"eventfd", LS_API_EVENTFD, PROG_WRAPPER, true, LS_KIND_FD},
    {"timerfd_create", LS_API_TIMERFD_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"signalfd", LS_API_SIGNALFD, PROG_WRAPPER, true, LS_KIND_FD},
    {"epoll_create", LS_API_EPOLL_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"epoll_create1", LS_API_EPOLL_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"memfd_create", LS_API_MEMFD_CREATE, PROG_WRAPPER, true, LS_KIND_FD},
    {"inotify_init", LS_API_INOTIFY_INIT, PROG_WRAPPER, true, LS_KIND_FD},
    {"inotify_init1", LS_API_INOTIFY_INIT, PROG_WRAPPER, true, LS_KIND_FD},
    {"fanotify_init", LS_API_FANOTIFY_INIT, PROG_WRAPPER, true, LS_KIND_FD},
    {"pidfd_open", LS_API_PIDFD_OPEN, PROG_WRAPPER, true, LS_KIND_FD},
    {"recvmsg", LS_API_RECVMSG, PROG_WRAPPER, true, LS_KIND_FD},
    /* and threads */
    {"pthread_create", LS_API_PTHREAD_CREATE, PROG_WRAPPER, true, LS_KIND_THREAD},
    /* and mappings (inside a probed malloc: the allocator's own) */
    {"mmap", LS_API_MMAP, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"mmap64", LS_API_MMAP, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"mremap", LS_API_MREMAP, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"brk", LS_API_BRK, PROG_WRAPPER, true, LS_KIND_MMAP},
    {"sbrk", LS_API_BRK, PROG_WRAPPER, true, LS_KIND_MMAP},
};
#define N_FUNCTIONS (sizeof(functions) / sizeof(functions[0]))

/* Prefixed allocators probed when a binary defines them (bundled jemalloc,
 * gperftools, mimalloc); nesting in BPF keeps an unprefixed malloc that
 * calls them from counting twice. */
static const char *const auto_prefixes[] = {"", "je_", "tc_", "mi_"};

struct object_list {
	char **paths;
	size_t count;
};

static void add_object(struct object_list *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (!strcmp(l->paths[i], path))
			return;
	l->paths = xrealloc(l->paths, l->count + 1, sizeof(*l->paths));
	l->paths[l->count++] = xstrdup(path);
}

static void free_objects(struct object_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->paths[i]);
	free(l->paths);
}

/*
 * A command not yet started: ask its dynamic loader for the load order
 * (`ld.so --list`, what ldd does: it maps the objects, runs none of their
 * code). A static executable is its own allocator.
 */
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

static int objects_of_command(const char *command, struct object_list *l)
{
	char interp[PATH_MAX], line[PATH_MAX + 64], shebang[PATH_MAX];
	const char *exe = script_interpreter(command, shebang, sizeof(shebang));
	int out[2], status;
	FILE *f;
	pid_t pid;

	add_object(l, exe);
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
		add_object(l, p);
	}
	if (f)
		fclose(f);
	waitpid(pid, &status, 0);
	return 0;
}

/* The C library and libstdc++ define the defaults everybody else overrides. */
static int default_rank(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
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
static int objects_of_process(const struct target *t, struct object_list *l)
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
		add_object(l, exe);
	for (rank = t->host ? 1 : 0; rank <= 2; rank++)
		for (i = 0; i < maps.count; i++) {
			const struct map_entry *m = &maps.entries[i];

			if (m->path[0] == '/' && m->perms[2] == 'x' &&
			    !strstr(m->path, " (deleted)") && default_rank(m->path) == rank)
				add_object(l, m->path);
		}
	proc_maps__free(&maps);
	return 0;
}

static bool matches_lib(const char *path, const char *lib)
{
	const char *base = strrchr(path, '/');

	if (lib[0] == '/')
		return !strcmp(path, lib);
	base = base ? base + 1 : path;
	return !strncmp(base, lib, strlen(lib)) || strstr(path, lib);
}

static bool planned(const struct probe_plan *plan, const char *binary, uint64_t offset)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (plan->points[i].offset == offset && !strcmp(plan->points[i].binary, binary))
			return true;
	return false;
}

/* For one prefix, bind every function to the first object defining it. */
static void plan_prefix(const struct target *t, const struct object_list *objs, const char *prefix,
			struct probe_plan *plan)
{
	const char *names[N_FUNCTIONS];
	char symbols[N_FUNCTIONS][64];
	uint64_t offsets[N_FUNCTIONS], sizes[N_FUNCTIONS];
	bool bound[N_FUNCTIONS] = {false};
	size_t i, k;

	for (k = 0; k < N_FUNCTIONS; k++) {
		snprintf(symbols[k], sizeof(symbols[k]), "%s%s",
			 functions[k].unprefixed ? "" : prefix, functions[k].name);
		names[k] = symbols[k];
	}
	for (i = 0; i < objs->count; i++) {
		char path[PATH_MAX + 32];

		target__path(t, objs->paths[i], path, sizeof(path));
		if (elf_lookup__functions(path, names, N_FUNCTIONS, offsets, sizes))
			continue;
		for (k = 0; k < N_FUNCTIONS; k++) {
			struct probe_point *p;

			if (bound[k] || !offsets[k])
				continue;
			bound[k] = true;
			if (planned(plan, path, offsets[k]))
				continue; /* an alias of a function already probed */
			plan->points =
			    xrealloc(plan->points, plan->count + 1, sizeof(*plan->points));
			p = &plan->points[plan->count++];
			p->fn = &functions[k];
			snprintf(p->symbol, sizeof(p->symbol), "%s", symbols[k]);
			p->binary = xstrdup(path);
			p->offset = offsets[k];
			p->size = sizes[k];
		}
	}
}

static bool plan_has(const struct probe_plan *plan, enum heap_prog prog)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (plan->points[i].fn->prog == prog)
			return true;
	return false;
}

static void keep_kinds(struct probe_plan *plan, unsigned int kinds)
{
	size_t i, kept = 0;

	for (i = 0; i < plan->count; i++) {
		if (kinds & (1u << plan->points[i].fn->kind))
			plan->points[kept++] = plan->points[i];
		else
			free(plan->points[i].binary);
	}
	plan->count = kept;
}

int allocator__plan(const struct target *t, const char *spec, unsigned int kinds,
		    struct probe_plan *plan)
{
	struct object_list objs = {0}, chosen = {0};
	char lib_buf[PATH_MAX], *lib = NULL;
	const char *prefix = "";
	size_t i;
	int err;

	memset(plan, 0, sizeof(*plan));
	if (spec) {
		snprintf(lib_buf, sizeof(lib_buf), "%s", spec);
		lib = lib_buf;
		if (strchr(lib, ':')) {
			prefix = strchr(lib, ':') + 1;
			*strchr(lib, ':') = '\0';
		}
	}
	err = t->spawned ? objects_of_command(t->exe, &objs) : objects_of_process(t, &objs);
	if (err) {
		ls_error("cannot read the objects of PID %d: %s", t->pid, strerror(-err));
		free_objects(&objs);
		return LS_EXIT_NO_TARGET;
	}
	if (lib) {
		for (i = 0; i < objs.count; i++)
			if (matches_lib(objs.paths[i], lib))
				add_object(&chosen, objs.paths[i]);
		if (!chosen.count && lib[0] == '/')
			add_object(&chosen, lib);
		plan_prefix(t, &chosen, prefix, plan);
	} else {
		for (i = 0; i < sizeof(auto_prefixes) / sizeof(auto_prefixes[0]); i++)
			plan_prefix(t, &objs, auto_prefixes[i], plan);
	}
	plan->objects = objs.paths; /* taken over */
	plan->nobjects = objs.count;
	free_objects(&chosen);
	keep_kinds(plan, kinds);
	if ((kinds & (1u << LS_KIND_HEAP)) &&
	    (!plan_has(plan, PROG_ALLOC) || !plan_has(plan, PROG_FREE))) {
		if (lib)
			ls_error("'%s' with prefix '%s' defines no malloc and free in PID %d", lib,
				 prefix, t->pid);
		else
			ls_error("no allocator found in PID %d: no object defines malloc and free "
				 "(a stripped static binary?)",
				 t->pid);
		allocator__free_plan(plan);
		return LS_EXIT_ALLOCATOR;
	}
	return 0;
}

void allocator__free_plan(struct probe_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		free(plan->points[i].binary);
	free(plan->points);
	for (i = 0; i < plan->nobjects; i++)
		free(plan->objects[i]);
	free(plan->objects);
	memset(plan, 0, sizeof(*plan));
}

bool probe_point__returns(const struct probe_point *p)
{
	return p->fn->prog != PROG_FREE;
}

bool probe_point__allocates(const struct probe_point *p)
{
	return probe_point__returns(p) && p->fn->prog != PROG_WRAPPER;
}

/*
 * Only allocators whose insides we know: glibc's and jemalloc's malloc and
 * calloc allocate on their own. Not realloc (glibc's realloc(NULL, n) calls
 * malloc), memalign and its kin (glibc passes a small alignment on to
 * malloc), reallocarray (calls realloc), operator new (calls malloc), nor
 * any function of another allocator.
 */
bool probe_point__leaf(const struct probe_point *p)
{
	const char *base = strrchr(p->binary, '/');

	base = base ? base + 1 : p->binary;
	if (strcmp(p->symbol, "malloc") && strcmp(p->symbol, "calloc"))
		return false;
	return default_rank(p->binary) == 2 || !strncmp(base, "libjemalloc.so", 14);
}

/* The argument registers each entry program reads (bpf/heap.bpf.c). */
static unsigned registers_read(enum heap_prog prog)
{
	switch (prog) {
	case PROG_ALLOC:
	case PROG_FREE:
		return PLACE_KEEP_RDI;
	case PROG_ALLOC_ALIGNED:
	case PROG_CALLOC:
	case PROG_REALLOC:
		return PLACE_KEEP_RDI | PLACE_KEEP_RSI;
	case PROG_REALLOCARRAY:
	case PROG_POSIX_MEMALIGN:
		return PLACE_KEEP_RDI | PLACE_KEEP_RSI | PLACE_KEEP_RDX;
	case PROG_WRAPPER:
		return 0;
	}
	return PLACE_KEEP_RDI | PLACE_KEEP_RSI | PLACE_KEEP_RDX;
}

/*
 * A function with a uretprobe shares one breakpoint between its entry
 * program and the uretprobe, which takes over the return address at [sp]
 * when it hits: it may move past the first instructions only while they
 * leave the stack pointer where it was (jemalloc's malloc: `cmp` is
 * single-stepped, the `ja` after it is emulated).
 */
void allocator__place(struct probe_plan *plan, bool at_entry)
{
	size_t i;

	for (i = 0; i < plan->count; i++) {
		struct probe_point *p = &plan->points[i];
		enum placement_mode mode = at_entry		     ? PLACE_ENTRY_FORCED
					   : probe_point__returns(p) ? PLACE_RETURN
								     : PLACE_BEST;

		placement__for_function(p->binary, p->offset, p->size, registers_read(p->fn->prog),
					mode, &p->place);
	}
}
