// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"
#include "util.h"

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static void read_comm(struct target *t)
{
	char *s = proc_comm(t->pid);

	if (!s)
		return;
	snprintf(t->comm, sizeof(t->comm), "%s", s);
	free(s);
}

/* State (field 3) and flags (field 9) of /proc/PID/stat; they follow the
 * ")" that ends the command name, which may itself hold spaces. */
static int read_stat(pid_t pid, char *state, unsigned long *flags)
{
	char path[64], *s, *p;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	s = read_file(path, NULL);
	if (!s)
		return -errno;
	p = strrchr(s, ')');
	ok = p && sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", state, flags) == 2;
	free(s);
	return ok ? 0 : -EINVAL;
}

#define PF_KTHREAD 0x00200000

static int attach(struct target *t, pid_t pid)
{
	unsigned long flags = 0;
	char state = 0;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->release_fd = -1;
	t->pidfd = pidfd_open(pid);
	if (t->pidfd < 0) {
		if (errno == ESRCH)
			ls_error("no process with PID %d", pid);
		else
			ls_error("cannot watch PID %d: %s", pid, strerror(errno));
		return LS_EXIT_NO_TARGET;
	}
	if (read_stat(pid, &state, &flags) == 0) {
		if (flags & PF_KTHREAD) {
			ls_error("PID %d is a kernel thread: it has no user-space heap", pid);
			return LS_EXIT_NO_TARGET;
		}
		if (state == 'Z' || state == 'X') {
			ls_error("PID %d has exited", pid);
			return LS_EXIT_NO_TARGET;
		}
	}
	read_comm(t);
	return 0;
}

int target__attach(struct target *t, pid_t pid)
{
	/* Its own allocations would feed the very ring buffer it reads. */
	if (pid == getpid()) {
		memset(t, 0, sizeof(*t));
		t->pidfd = t->release_fd = -1;
		ls_error("PID %d is leakscope itself", pid);
		return LS_EXIT_NO_TARGET;
	}
	return attach(t, pid);
}

int target__host(struct target *t)
{
	int rc = attach(t, getpid());

	t->host = true;
	return rc;
}

/* The path execvp() would run, so the allocator can be found before exec. */
static char *resolve_command(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : realpath(name, NULL);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", name);
		if (!access(buf, X_OK))
			return realpath(buf, NULL);
		path += n + (path[n] == ':');
	}
	return NULL;
}

int target__spawn(struct target *t, char **argv)
{
	int gate[2];
	char go;

	memset(t, 0, sizeof(*t));
	t->release_fd = -1;
	t->exe = resolve_command(argv[0]);
	if (!t->exe) {
		ls_error("cannot run '%s': no such executable", argv[0]);
		return LS_EXIT_NO_TARGET;
	}
	if (pipe2(gate, O_CLOEXEC))
		return ls_error("pipe: %s", strerror(errno)), LS_EXIT_FAILURE;
	t->pid = fork();
	if (t->pid < 0)
		return ls_error("fork: %s", strerror(errno)), LS_EXIT_FAILURE;
	if (t->pid == 0) {
		/* The child waits for the probes; if leakscope dies first the
		 * read sees EOF and the command does not run untraced. */
		close(gate[1]);
		if (read(gate[0], &go, 1) != 1)
			_exit(127);
		execv(t->exe, argv);
		fprintf(stderr, "leakscope: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(gate[0]);
	t->release_fd = gate[1];
	t->spawned = true;
	t->pidfd = pidfd_open(t->pid);
	snprintf(t->comm, sizeof(t->comm), "%s", strrchr(t->exe, '/') + 1);
	return 0;
}

int target__release(struct target *t)
{
	char go = 1;

	if (t->release_fd < 0)
		return 0;
	if (write(t->release_fd, &go, 1) != 1)
		return -errno;
	close(t->release_fd);
	t->release_fd = -1;
	return 0;
}

bool target__wait_exit(struct target *t, int timeout_ms)
{
	struct pollfd pfd = {.fd = t->pidfd, .events = POLLIN};
	int status;

	if (t->exited)
		return true;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	t->exited = true;
	if (t->spawned && waitpid(t->pid, &status, 0) == t->pid)
		t->exit_status = status;
	return true;
}

void target__path(const struct target *t, const char *path, char *out, size_t len)
{
	/* A spawned command shares our mount namespace; a running process may
	 * be in a container, whose files are reachable through its root. */
	if (t->spawned)
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "/proc/%d/root%s", t->pid, path);
}

void target__close(struct target *t)
{
	if (t->release_fd >= 0)
		close(t->release_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t->exe);
}
