// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "go_code.h"
#include "go_elf.h"
#include "go_versions.h"

/* runtime.waitReasonStrings, as each version's binaries hold them */
#define WAIT_BASE                                                                                  \
	"|GC assist marking|IO wait|chan receive (nil chan)|chan send (nil chan)|dumping heap"     \
	"|garbage collection|garbage collection scan|panicwait|select|select (no cases)"           \
	"|GC assist wait|GC sweep wait|GC scavenge wait|chan receive|chan send|finalizer wait"     \
	"|force gc (idle)"
#define WAIT_119 WAIT_BASE "|semacquire|sleep|sync.Cond.Wait"
#define WAIT_120                                                                                   \
	WAIT_119 "|sync.Mutex.Lock|sync.RWMutex.RLock|sync.RWMutex.Lock|trace reader (blocked)"    \
		 "|wait for GC cycle|GC worker (idle)|GC worker (active)|preempted|debug call"     \
		 "|GC mark termination|stopping the world"
#define WAIT_122                                                                                   \
	WAIT_120 "|flushing proc caches|trace goroutine status|trace proc status"                  \
		 "|page trace flush|coroutine"
/* from sync.Cond.Wait on, 1.25 and 1.26 alike */
#define WAIT_TAIL_125                                                                              \
	"|sync.Cond.Wait|sync.Mutex.Lock|sync.RWMutex.RLock|sync.RWMutex.Lock"                     \
	"|sync.WaitGroup.Wait|trace reader (blocked)|wait for GC cycle|GC worker (idle)"           \
	"|GC worker (active)|preempted|debug call|GC mark termination|stopping the world"          \
	"|flushing proc caches|trace goroutine status|trace proc status|page trace flush"          \
	"|coroutine|GC weak to strong wait|synctest.Run|synctest.Wait|chan receive (durable)"      \
	"|chan send (durable)|select (durable)|sync.WaitGroup.Wait (durable)|cleanup wait"
#define WAIT_125 WAIT_BASE "|GOMAXPROCS updater (idle)|semacquire|sleep" WAIT_TAIL_125
/* 1.26 moved the waits a goroutine leak detector may call leaks together */
#define WAIT_126                                                                                   \
	"|GC assist marking|IO wait|dumping heap|garbage collection|garbage collection scan"       \
	"|panicwait|GC assist wait|GC sweep wait|GC scavenge wait|finalizer wait"                  \
	"|force gc (idle)|GOMAXPROCS updater (idle)|semacquire|sleep|chan receive (nil chan)"      \
	"|chan send (nil chan)|select (no cases)|select|chan receive|chan send" WAIT_TAIL_125
#define FUNCTIONS                                                                                  \
	.newproc1 = "runtime.newproc1", .newproc_call = "runtime.newproc.func1",                   \
	.goexit = "runtime.goexit0", .mprof_malloc = "runtime.mProf_Malloc",                       \
	.free_special = "runtime.freeSpecial"

/* the same from 1.18 to 1.22: addtimer's checks of t.period and t.status,
 * runOneTimer's reads of them; 1.23 rewrote timers (runtime.(*timer).modify,
 * stop, maybeAdd, unlockAndRun; timers nothing references are collected):
 * not read yet */
static const struct go_timers timers_118 = {
    "runtime.addtimer",
    "runtime.modtimer",
    "runtime.deltimer",
    "runtime.runOneTimer",
    "runtime.goroutineReady",
    16,
    64,
};

/*
 * Read from the binaries' code: g offsets from runtime.casgstatus (status),
 * runtime.goroutineheader (waitreason) and gosave_systemstack_switch (sched);
 * systemstack's `push rbp`; mProf_Malloc's use of its registers;
 * freeSpecial's kind byte and the case that calls mProf_Free;
 * runtime.waitReason.String's table.
 */
static const struct go_layout table[] = {
    {18, 19, "go1.19 (Debian's golang-1.19-go, tests/fixtures/go)", FUNCTIONS, 56, 104, 0x90, 0xb0,
     0, GO_RAX, 10, 2,
     WAIT_119 "|timer goroutine (idle)|trace reader (blocked)|wait for GC cycle"
	      "|GC worker (idle)|preempted|debug call",
     &timers_118},
    {20, 20, "go1.20.4 (esbuild 0.17.19)", FUNCTIONS, 56, 104, 0x90, 0xb0, 0, GO_RAX, 10, 2,
     WAIT_120, &timers_118},
    /* systemstack keeps a frame pointer from 1.21 on */
    {22, 22, "go1.22.5 (esbuild 0.23.1)", FUNCTIONS, 56, 104, 0x90, 0xb0, 1, GO_RAX, 10, 2,
     WAIT_122, &timers_118},
    /* g.syscallbp; mProf_Malloc(mp, p, size); _KindSpecialWeakHandle = 2 */
    {23, 23, "go1.23.5 (esbuild 0.25.0)", FUNCTIONS, 56, 104, 0x98, 0xb8, 1, GO_RBX, 10, 3,
     WAIT_122 "|GC weak to strong wait"},
    /* gobuf without ret; special.kind after a new field, profile = 4 */
    {25, 25, "go1.25.4 (esbuild 0.27.0)", FUNCTIONS, 56, 96, 0x90, 0xb0, 1, GO_RBX, 16, 4,
     WAIT_125},
    /* wait reasons renumbered */
    {26, 26, "go1.26.5 (esbuild 0.28.2)", FUNCTIONS, 56, 96, 0x90, 0xb0, 1, GO_RBX, 16, 4,
     WAIT_126},
};

#define ROWS (sizeof(table) / sizeof(table[0]))

const struct go_layout *go_layout__find(int minor)
{
	for (size_t i = 0; i < ROWS; i++)
		if (minor >= table[i].min && minor <= table[i].max)
			return &table[i];
	return NULL;
}

const char *go_layout__known(void)
{
	static char buf[128];
	size_t at = 0;

	if (buf[0])
		return buf;
	for (size_t i = 0; i < ROWS && at < sizeof(buf); i++) {
		int n = table[i].min == table[i].max
			    ? snprintf(buf + at, sizeof(buf) - at, "%s1.%d", i ? ", " : "",
				       table[i].min)
			    : snprintf(buf + at, sizeof(buf) - at, "%s1.%d-1.%d", i ? ", " : "",
				       table[i].min, table[i].max);
		at += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

/* The name of wait reason `i` in a '|'-separated list; its length in *len. */
static const char *nth(const char *list, unsigned i, size_t *len)
{
	const char *p = list;

	for (; i && p; i--) {
		p = strchr(p, '|');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	*len = strcspn(p, "|");
	return p;
}

static bool is(const char *name, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(name, prefix, n) && (len == n || name[n] == ' ');
}

enum detail go_layout__wait_detail(const struct go_layout *l, unsigned reason)
{
	size_t len = 0;
	const char *name = nth(l->wait_reasons, reason, &len);

	if (!name)
		return DETAIL_GO_WAITING;
	/* "chan receive", "... (nil chan)", "... (durable)" alike */
	if (is(name, len, "IO wait"))
		return DETAIL_GO_IO_WAIT;
	if (is(name, len, "chan receive"))
		return DETAIL_CHAN_RECEIVE;
	if (is(name, len, "chan send"))
		return DETAIL_CHAN_SEND;
	if (is(name, len, "select"))
		return DETAIL_GO_SELECT;
	if (is(name, len, "sleep"))
		return DETAIL_GO_SLEEP;
	return DETAIL_GO_WAITING;
}

int go_layout__check(const struct go_layout *l, const struct go_binary *b, char *why, size_t len)
{
	uint64_t array, s[2];
	unsigned count, i;
	size_t want_len;
	const char *want;
	char name[64];

	if (go_code__wait_reasons(b, &array, &count))
		return -ENOENT;
	for (i = 0; i < count; i++) {
		want = nth(l->wait_reasons, i, &want_len);
		if (go_binary__read(b, array + 16 * i, s, sizeof(s)) || s[1] >= sizeof(name) ||
		    (s[1] && go_binary__read(b, s[0], name, s[1])))
			return -ENOENT;
		name[s[1]] = '\0';
		if (!want || want_len != s[1] || memcmp(want, name, s[1])) {
			snprintf(why, len, "wait reason %u is \"%s\", not \"%.*s\"", i, name,
				 want ? (int)want_len : 0, want ? want : "");
			return -EPROTO;
		}
	}
	if (nth(l->wait_reasons, i, &want_len)) {
		snprintf(why, len, "%u wait reasons, not more", count);
		return -EPROTO;
	}
	return 0;
}
