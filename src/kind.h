/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kinds of resource leakscope traces, as data: each kind is one module
 * (src/kind_*.c, with its BPF programs in bpf/) that fills in a struct kind,
 * and the shared stages (load, configure, snapshot, forget, print) loop over
 * the table in src/kind.c. Nothing outside a kind's module says its name.
 *
 * Adding a kind: an enum ls_kind value (include/leakscope.h), its BPF file,
 * its src/kind_NAME.c, and one line in the table.
 */
#ifndef KIND_H
#define KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "details.h"
#include "leakscope.h"

struct api_function;
struct leakscope_bpf;
struct options;
struct go_runtime;
struct report_process;
struct snapshot;

/* How a kind's objects and counters read in a report. */
struct kind_words {
	const char *objects;	 /* "blocks", "fds" */
	const char *acquired;	 /* "allocations", "opened" */
	const char *released;	 /* "frees", "closed" */
	const char *unknown;	 /* releases of objects never seen acquired */
	const char *preexisting; /* held but never seen acquired: "open before
				  * tracing"; NULL: not counted */
	const char *nested;	 /* -v: what CNT_NESTED counts; NULL: nothing */
};

/* What a kind's stages get to work with. */
struct kind_source {
	struct leakscope_bpf *skel;
	const struct options *opt;
	struct go_runtime *go;	      /* the target's Go runtime, NULL: none */
	struct report_process *procs; /* the traced processes */
	size_t nprocs;
};

struct kind {
	enum ls_kind id;
	const char *name; /* in --kinds, reports, folded roots "[name]", JSON */
	bool has_bytes;	  /* its objects have sizes: reported in bytes */
	struct kind_words words;
	/* sampled at a rate the user chose: the option and the counters'
	 * words then; NULL: never */
	const char *sample_option;
	struct kind_words sampled_words;
	bool size_filter; /* --min-size/--max-size apply to it */
	/* --check: held at exit at one stack, this many are a leak; 0: only
	 * a stack whose verdict was growing (memory kept to the end is not) */
	int64_t leak_at_exit;
	bool inside_runtime; /* stacks taken inside a language runtime
			      * ("runtime." frames): the report starts them
			      * at the first frame outside */
	/* not traced unless --kinds names it (its cost: every kernel
	 * allocation; its rows: every mapping the loader makes) */
	bool opt_in;
	/* pprof: a counted kind's sample type ("fds"); NULL for kinds with
	 * bytes (inuse_objects, inuse_space, as Go's heap profiles) */
	const char *pprof_type;
	/* its BPF programs: a program whose name starts with one of these is
	 * the kind's (NULL-ended) */
	const char *const *programs;
	/* the library functions probed for it (src/allocator.c plans them) */
	const struct api_function *functions;
	size_t nfunctions;

	/* Before load: its programs switched off when it is not traced, its
	 * maps sized, its settings written. */
	void (*configure)(const struct kind_source *src, bool traced);
	/* Adds the totals of its objects to the snapshot when they are not
	 * in the shared totals map (heap blocks: their table), and its
	 * sampling rate; NULL: nothing to add. */
	int (*gather)(const struct kind_source *src, struct snapshot *snap);
	/* Adds each outstanding object, described (what an fd is, what a
	 * thread waits on), and what each process holds that was never seen
	 * acquired; NULL: its objects have no details. */
	int (*describe)(const struct kind_source *src, struct snapshot *snap);
	/* Removes stale state a snapshot found (e.g. blocks of images left
	 * by exec); NULL: none. */
	void (*prune)(const struct kind_source *src, const struct snapshot *snap);
	/* Frees its objects of the processes in `gone` (sorted tgids). */
	void (*forget)(const struct kind_source *src, const uint32_t *gone, size_t n);
	/* Whether rows of `api` count in the kind's totals (the allocator's
	 * own mappings are shown, but are heap blocks); NULL: all do. */
	bool (*counted)(uint16_t api);
	/* Turns sampled totals into estimates; NULL: exact. */
	void (*estimate)(int64_t *bytes, int64_t *count, int64_t rate);
	/* A kind of Go's runtime with its own module: why a known runtime
	 * cannot be traced for it, in a few words (NULL: it can); a NULL hook:
	 * not such a kind. */
	const char *(*go_missing)(const struct go_runtime *go);
	/* After load: attaches the probes it places itself in process `pid`;
	 * NULL: none. 0 or LS_EXIT_*. */
	int (*attach)(const struct kind_source *src, int pid);
	/* After load, before the target runs: what it reads besides the maps
	 * (a ring buffer of its own); NULL: nothing. 0 or an exit code. */
	int (*start)(const struct kind_source *src);
	/* Each time the session wakes (at least once a second): its events
	 * taken in; NULL: none. */
	void (*tick)(const struct kind_source *src);
	/* Frees what start() made, before the skeleton goes; NULL: none. */
	void (*stop)(void);
};

extern const struct kind kind_heap, kind_fd, kind_thread, kind_goroutine, kind_go_heap;
extern const struct kind kind_timer, kind_kmem, kind_mmap, kind_growth;

/* The kind `id`; NULL for a value no kind has. */
const struct kind *kind__get(enum ls_kind id);
const char *kind__name(enum ls_kind id);
bool kind__has_bytes(enum ls_kind id);
/* Whether a row of kind `id` made by `api` counts in the kind's totals
 * (struct kind's counted()). */
bool kind__counts(enum ls_kind id, uint16_t api);
/* The kind named by the first `len` bytes of `name`, NULL for none. */
const struct kind *kind__by_name(const char *name, size_t len);
/* The kind owning BPF program `prog`, NULL for one of no kind. */
const struct kind *kind__of_program(const char *prog);
/* "heap, fd, thread, ...": the names, for messages. */
const char *kind__names(void);

/* The kinds traced without --kinds: all but the opt-in ones. */
unsigned int kinds__default(void);
/* Each traced kind's start(), tick() and stop(). */
int kinds__start(const struct kind_source *src);
void kinds__tick(const struct kind_source *src);
void kinds__stop(unsigned int traced);

/* Before load: each kind configures its programs and maps, traced or not. */
void kinds__configure(const struct kind_source *src);
/* After load: each traced kind attaches the probes it places itself. */
int kinds__attach(const struct kind_source *src, int pid);
/* Frees what every traced kind holds for the processes in `gone` (sorted
 * tgids), and their per-stack totals. */
void kinds__forget(const struct kind_source *src, const uint32_t *gone, size_t n);

/* Helpers for kinds whose objects are in an ls_object hash map. */
int kind__describe_objects(const struct kind_source *src, int map_fd, enum ls_kind id,
			   enum detail (*describe)(const struct report_process *p, uint64_t id,
						   const struct ls_object *obj, void *arg,
						   char *path, size_t len),
			   void *arg, struct snapshot *snap);
void kind__forget_objects(int map_fd, const uint32_t *gone, size_t n);
/* Deletes the entries of a map whose key (of `key_size` bytes) has a tgid
 * at `tgid_off` that is one of `gone` (sorted). */
void kind__forget_keys(int map_fd, size_t key_size, size_t tgid_off, const uint32_t *gone,
		       size_t n);
/* The same for the shared totals map. */
void kind__forget_totals(int map_fd, const uint32_t *gone, size_t n);
/* Sets the autoload of every program of `k` to `on`. */
void kind__autoload(const struct kind_source *src, const struct kind *k, bool on);

#endif /* KIND_H */
