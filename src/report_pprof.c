// SPDX-License-Identifier: GPL-2.0
/*
 * pprof profiles (github.com/google/pprof, proto/profile.proto), gzipped,
 * for `go tool pprof`, Pyroscope and Parca: one profile per process, sample
 * types as in Go's heap profile (inuse_objects, inuse_space) for heap and
 * go-heap, and counts (fds, threads, goroutines) for the others; each
 * sample carries its kind as a label.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "protobuf.h"
#include "report.h"
#include "util.h"

/* Field numbers of profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	PROFILE_MAPPING = 3,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
};

/* The string table: each string once, index 0 is "". */
struct strings {
	const char **v;
	size_t count;
	uint32_t *slots; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	bool *function; /* by index: a frame name, so a function and a location */
};

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static void strings_grow(struct strings *t)
{
	size_t i, n = t->nslots ? t->nslots * 2 : 256;

	free(t->slots);
	t->slots = xcalloc(n, sizeof(*t->slots));
	t->nslots = n;
	for (i = 0; i < t->count; i++) {
		size_t s = hash_string(t->v[i]) & (n - 1);

		while (t->slots[s])
			s = (s + 1) & (n - 1);
		t->slots[s] = i + 1;
	}
}

/* The index of s (kept by pointer: it must outlive the table). */
static uint64_t intern(struct strings *t, const char *s)
{
	size_t slot;

	if (2 * (t->count + 1) > t->nslots)
		strings_grow(t);
	slot = hash_string(s) & (t->nslots - 1);
	while (t->slots[slot]) {
		if (!strcmp(t->v[t->slots[slot] - 1], s))
			return t->slots[slot] - 1;
		slot = (slot + 1) & (t->nslots - 1);
	}
	t->v = xrealloc(t->v, t->count + 1, sizeof(*t->v));
	t->function = xrealloc(t->function, t->count + 1, sizeof(*t->function));
	t->v[t->count] = s;
	t->function[t->count] = false;
	t->slots[slot] = ++t->count;
	return t->count - 1;
}

/* Where each kind's values go in a sample. */
struct layout {
	int slot[LS_KIND_MAX][2]; /* [objects, bytes], -1: none */
	size_t n;
};

static void add_type(struct pb *pb, struct pb *sub, struct strings *t, const char *type,
		     const char *unit)
{
	pb__uint(sub, VALUE_TYPE_TYPE, intern(t, type));
	pb__uint(sub, VALUE_TYPE_UNIT, intern(t, unit));
	pb__message(pb, PROFILE_SAMPLE_TYPE, sub);
}

/* Counts first, then inuse_objects and inuse_space: pprof shows the last
 * type unless told otherwise, as for Go's heap profiles. */
static void sample_types(struct pb *pb, struct strings *t, unsigned int kinds, struct layout *l)
{
	static const struct {
		enum ls_kind kind;
		const char *name;
	} counted[] = {
	    {LS_KIND_FD, "fds"}, {LS_KIND_THREAD, "threads"}, {LS_KIND_GOROUTINE, "goroutines"}};
	struct pb sub = {0};
	size_t i;
	int k;

	memset(l->slot, -1, sizeof(l->slot));
	l->n = 0;
	for (i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
		if (!(kinds & (1u << counted[i].kind)))
			continue;
		add_type(pb, &sub, t, counted[i].name, "count");
		l->slot[counted[i].kind][0] = l->n++;
	}
	if (kinds & ((1u << LS_KIND_HEAP) | (1u << LS_KIND_GO_HEAP))) {
		add_type(pb, &sub, t, "inuse_objects", "count");
		add_type(pb, &sub, t, "inuse_space", "bytes");
		for (k = 0; k < LS_KIND_MAX; k++) {
			if (!kind__has_bytes(k))
				continue;
			l->slot[k][0] = l->n;
			l->slot[k][1] = l->n + 1;
		}
		l->n += 2;
		pb__uint(&sub, VALUE_TYPE_TYPE, intern(t, "space"));
		pb__uint(&sub, VALUE_TYPE_UNIT, intern(t, "bytes"));
		pb__message(pb, PROFILE_PERIOD_TYPE, &sub);
	}
	pb__free(&sub);
}

/*
 * Locations: a frame with an address has one of its own (id 2k + 1, in
 * the mapping of its file); one without (the API frame, an unknown
 * process) the one of its function name (id 2 x the name's string index).
 */
struct locations {
	struct report_loc *locs; /* by id: 2k + 1 */
	uint64_t *functions, *mappings;
	size_t count;
	uint32_t *slots; /* open addressing by address: k + 1 */
	size_t nslots;
	struct report_loc *maps; /* mapping i + 1; start identifies it */
	size_t nmaps;
};

static uint64_t mapping_of(struct locations *L, const struct report_loc *loc)
{
	size_t i;

	if (!loc->path)
		return 0;
	for (i = 0; i < L->nmaps; i++)
		if (L->maps[i].start == loc->start)
			return i + 1;
	L->maps = xrealloc(L->maps, L->nmaps + 1, sizeof(*L->maps));
	L->maps[L->nmaps++] = *loc;
	return L->nmaps;
}

static void locations_grow(struct locations *L)
{
	size_t i, n = L->nslots ? 2 * L->nslots : 256;

	free(L->slots);
	L->slots = xcalloc(n, sizeof(*L->slots));
	L->nslots = n;
	for (i = 0; i < L->count; i++) {
		size_t s = (L->locs[i].addr * 0x9e3779b97f4a7c15ULL >> 20) & (n - 1);

		while (L->slots[s])
			s = (s + 1) & (n - 1);
		L->slots[s] = i + 1;
	}
}

/* The location id of `loc` (a frame of function `fn`). */
static uint64_t location_of(struct locations *L, const struct report_loc *loc, uint64_t fn)
{
	size_t s;

	if (2 * (L->count + 1) > L->nslots)
		locations_grow(L);
	s = (loc->addr * 0x9e3779b97f4a7c15ULL >> 20) & (L->nslots - 1);
	while (L->slots[s]) {
		if (L->locs[L->slots[s] - 1].addr == loc->addr)
			return 2 * (L->slots[s] - 1) + 1;
		s = (s + 1) & (L->nslots - 1);
	}
	L->locs = xrealloc(L->locs, L->count + 1, sizeof(*L->locs));
	L->functions = xrealloc(L->functions, L->count + 1, sizeof(*L->functions));
	L->mappings = xrealloc(L->mappings, L->count + 1, sizeof(*L->mappings));
	L->locs[L->count] = *loc;
	L->functions[L->count] = fn;
	L->mappings[L->count] = mapping_of(L, loc);
	L->slots[s] = ++L->count;
	return 2 * (L->count - 1) + 1;
}

/* The mappings and the locations with addresses; frees L. */
static void add_locations(struct pb *pb, struct strings *t, struct locations *L)
{
	struct pb m = {0}, line = {0};
	size_t i;

	for (i = 0; i < L->nmaps; i++) {
		pb__uint(&m, MAPPING_ID, i + 1);
		pb__uint(&m, MAPPING_MEMORY_START, L->maps[i].start);
		pb__uint(&m, MAPPING_MEMORY_LIMIT, L->maps[i].limit);
		pb__uint(&m, MAPPING_FILE_OFFSET, L->maps[i].offset);
		pb__uint(&m, MAPPING_FILENAME, intern(t, L->maps[i].path));
		if (L->maps[i].build_id)
			pb__uint(&m, MAPPING_BUILD_ID, intern(t, L->maps[i].build_id));
		pb__uint(&m, MAPPING_HAS_FUNCTIONS, 1);
		pb__message(pb, PROFILE_MAPPING, &m);
	}
	for (i = 0; i < L->count; i++) {
		pb__uint(&m, LOCATION_ID, 2 * i + 1);
		pb__uint(&m, LOCATION_MAPPING_ID, L->mappings[i]);
		/* a return address: the call is the instruction before it */
		pb__uint(&m, LOCATION_ADDRESS, L->locs[i].addr - 1);
		pb__uint(&line, LINE_FUNCTION_ID, L->functions[i]);
		pb__message(&m, LOCATION_LINE, &line);
		pb__message(pb, PROFILE_LOCATION, &m);
	}
	pb__free(&m);
	pb__free(&line);
	free(L->locs);
	free(L->functions);
	free(L->mappings);
	free(L->slots);
	free(L->maps);
}

/* The string index of a frame name, which is the id of its function: unique
 * and never 0 (pprof's ids must not be). */
static uint64_t intern_function(struct strings *t, const char *name)
{
	uint64_t i = intern(t, name);

	if (i == 0) /* "" is not a name */
		i = intern(t, "?");
	t->function[i] = true;
	return i;
}

/* Functions and their locations: one of each per distinct frame name. */
static void add_functions(struct pb *pb, struct strings *t)
{
	struct pb fn = {0}, line = {0};
	size_t i;

	for (i = 1; i < t->count; i++) {
		if (!t->function[i])
			continue;
		pb__uint(&fn, FUNCTION_ID, i);
		pb__uint(&fn, FUNCTION_NAME, i);
		pb__uint(&fn, FUNCTION_SYSTEM_NAME, i);
		pb__message(pb, PROFILE_FUNCTION, &fn);
		pb__uint(&fn, LOCATION_ID, 2 * i);
		pb__uint(&line, LINE_FUNCTION_ID, i);
		pb__message(&fn, LOCATION_LINE, &line);
		pb__message(pb, PROFILE_LOCATION, &fn);
	}
	pb__free(&fn);
	pb__free(&line);
}

static void add_samples(struct pb *pb, struct strings *t, struct locations *L,
			const struct report *r, int pid, const struct layout *l)
{
	struct pb sample = {0}, label = {0};
	uint64_t *ids = NULL, values[8];
	size_t i, k;

	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];
		enum ls_kind kind = e->row.site.kind % LS_KIND_MAX;

		if ((int)e->row.site.tgid != pid || l->slot[kind][0] < 0)
			continue;
		ids = xrealloc(ids, e->nframes + 1, sizeof(*ids));
		for (k = 0; k < e->nframes; k++) { /* leaf first, as pprof has it */
			uint64_t fn = intern_function(t, e->frames[k]);

			ids[k] =
			    e->locs && e->locs[k].addr ? location_of(L, &e->locs[k], fn) : 2 * fn;
		}
		pb__packed(&sample, SAMPLE_LOCATION_ID, ids, e->nframes);
		memset(values, 0, sizeof(values));
		values[l->slot[kind][0]] = e->row.count;
		if (l->slot[kind][1] >= 0)
			values[l->slot[kind][1]] = e->row.bytes;
		pb__packed(&sample, SAMPLE_VALUE, values, l->n);
		pb__uint(&label, LABEL_KEY, intern(t, "kind"));
		pb__uint(&label, LABEL_STR, intern(t, kind__name(kind)));
		pb__message(&sample, SAMPLE_LABEL, &label);
		pb__message(pb, PROFILE_SAMPLE, &sample);
	}
	free(ids);
	pb__free(&sample);
	pb__free(&label);
}

int report_pprof__encode(const struct report *r, int pid, uint8_t **out, size_t *len)
{
	const struct report_process *p = report__process(r, pid);
	struct locations locs = {0};
	struct strings t = {0};
	struct pb pb = {0};
	struct layout l;
	char comment[128];
	size_t i;
	int err;

	*out = NULL;
	*len = 0;
	if (!p)
		return -ESRCH;
	intern(&t, "");
	sample_types(&pb, &t, r->kinds, &l);
	snprintf(comment, sizeof(comment), "leakscope: pid %d (%s), report %lu", p->pid, p->comm,
		 r->seq);
	pb__uint(&pb, PROFILE_COMMENT, intern(&t, comment));
	add_samples(&pb, &t, &locs, r, pid, &l);
	add_functions(&pb, &t);
	add_locations(&pb, &t, &locs);
	for (i = 0; i < t.count; i++)
		pb__string(&pb, PROFILE_STRING_TABLE, t.v[i]);
	pb__uint(&pb, PROFILE_TIME_NANOS, (uint64_t)time(NULL) * 1000000000ULL);
	pb__uint(&pb, PROFILE_DURATION_NANOS, r->traced_ns);
	if (l.slot[LS_KIND_HEAP][1] >= 0 || l.slot[LS_KIND_GO_HEAP][1] >= 0) {
		pb__uint(&pb, PROFILE_PERIOD, 1);
		pb__uint(&pb, PROFILE_DEFAULT_SAMPLE_TYPE, intern(&t, "inuse_space"));
	}
	err = pb__gzip(pb.buf, pb.len, out, len);
	pb__free(&pb);
	free(t.v);
	free(t.slots);
	free(t.function);
	return err;
}

/* "heap.pb.gz" -> "heap.PID.pb.gz"; other names get ".PID" at the end. */
static void path_of_process(char *buf, size_t len, const char *path, int pid)
{
	const char *suffix = ".pb.gz";
	size_t n = strlen(path), s = strlen(suffix);

	if (n > s && !strcmp(path + n - s, suffix))
		snprintf(buf, len, "%.*s.%d%s", (int)(n - s), path, pid, suffix);
	else
		snprintf(buf, len, "%s.%d", path, pid);
}

/* Written aside and renamed, so a reader never sees half a profile. */
static int write_file(const char *path, const uint8_t *data, size_t len)
{
	char tmp[4200];
	FILE *out;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	out = fopen(tmp, "wb");
	if (!out)
		return -errno;
	if ((fwrite(data, 1, len, out) != len) | fclose(out) || rename(tmp, path)) {
		int err = errno ? -errno : -EIO;

		unlink(tmp);
		return err;
	}
	return 0;
}

int report_pprof__write(const char *path, const struct report *r)
{
	char buf[4096];
	size_t i, len;
	uint8_t *data;
	int err = 0;

	for (i = 0; i < r->nprocs && !err; i++) {
		if (r->nprocs > 1)
			path_of_process(buf, sizeof(buf), path, r->procs[i].pid);
		err = report_pprof__encode(r, r->procs[i].pid, &data, &len);
		if (!err)
			err = write_file(r->nprocs > 1 ? buf : path, data, len);
		free(data);
	}
	return err;
}
