/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turns raw user-space return addresses of one process into function names,
 * and for Go code into file:line and the calls the compiler inlined there.
 * ELF symbol tables are cached for the program's life, shared between all
 * symbolizers by build-id (or by device and inode when a file has none).
 * Not thread-safe: use from one thread.
 */
#ifndef SYMBOLIZER_H
#define SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The strings stay valid until symbolizer__free() / symbolizer__cache_clear(). */
struct frame {
	const char *function; /* NULL when unknown */
	/* basename of the mapped file, its "[name]" in maps ("[vdso]", "[heap]"), "[anon]" or
	 * "[unknown]" */
	const char *module;
	/* into the function when known, else the module's ELF vaddr (or file offset, or offset into
	 * the mapping when there is no file) */
	uint64_t offset;
	const char *file; /* source file (Go code); NULL when unknown */
	int line;	  /* 0 when unknown */
};

/* Most frames one address gives: the calls inlined there, then its function. */
#define SYMBOLIZER_MAX_INLINE 16

/* The file mapping an address is in (for pprof's mappings). */
struct frame_mapping {
	const char *path;     /* as in /proc/PID/maps */
	const char *build_id; /* hex; NULL when unknown */
	uint64_t start, limit, offset;
};

struct symbolizer;

/* NULL + errno; does not read anything yet: call symbolizer__refresh(). */
struct symbolizer *symbolizer__new(int pid);
/*
 * Re-read /proc/PID/maps and open any new files. -errno on failure (-ESRCH when the process
 * is gone), and then the previous maps stay in use so a dead target's stacks still resolve.
 */
int symbolizer__refresh(struct symbolizer *s);
/* Adds one mapping of a file, as BPF saw it made: for a process that exits
 * before its maps are read. The file is one read before (the same device
 * and inode) or `path`, when that is it (NULL: none). 0, -ENOENT when the
 * file is neither, -ENOMEM. */
struct map_entry;
int symbolizer__add_mapping(struct symbolizer *s, const struct map_entry *e, const char *path);
/*
 * addr is a return address: the call instruction before it is what gets looked up. Fills
 * up to `max` frames (max >= 1), returns how many: for Go code the calls inlined at the
 * call, innermost first (as Go's tracebacks and pprof list them), then the function
 * containing it; one frame for other code.
 */
size_t symbolizer__resolve(struct symbolizer *s, uint64_t addr, struct frame *out, size_t max);
/* The mapping of return address addr; false when it is in none or not in a
 * file. The strings live as long as the symbolizer (build-id: the cache). */
bool symbolizer__mapping(struct symbolizer *s, uint64_t addr, struct frame_mapping *out);
/* "func" when known, else "module+0xoff"; returns what snprintf() returns. */
int frame__format(const struct frame *f, char *buf, size_t len);
void symbolizer__free(struct symbolizer *s);

/* Drop every cached symbol table; only when no symbolizer is alive (tests, valgrind). */
void symbolizer__cache_clear(void);

#endif /* SYMBOLIZER_H */
