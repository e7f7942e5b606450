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

#include "kind.h"
#include "pprof_tables.h"
#include "protobuf.h"
#include "report.h"
#include "util.h"

/* Where each kind's values go in a sample. */
struct layout {
	int slot[LS_KIND_MAX][2]; /* [objects, bytes], -1: none */
	size_t n;
};

static void add_type(struct pb *pb, struct pb *sub, struct pprof_strings *t, const char *type,
		     const char *unit)
{
	pb__uint(sub, VALUE_TYPE_TYPE, pprof__intern(t, type));
	pb__uint(sub, VALUE_TYPE_UNIT, pprof__intern(t, unit));
	pb__message(pb, PROFILE_SAMPLE_TYPE, sub);
}

/* Counts first, then inuse_objects and inuse_space: pprof shows the last
 * type unless told otherwise, as for Go's heap profiles. */
static void sample_types(struct pb *pb, struct pprof_strings *t, unsigned int kinds,
			 struct layout *l)
{
	struct pb sub = {0};
	bool bytes = false;
	int k;

	memset(l->slot, -1, sizeof(l->slot));
	l->n = 0;
	for (k = 0; k < LS_KIND_MAX; k++) {
		if (!(kinds & (1u << k)))
			continue;
		if (kind__get(k)->has_bytes) {
			bytes = true;
			continue;
		}
		add_type(pb, &sub, t, kind__get(k)->pprof_type, "count");
		l->slot[k][0] = l->n++;
	}
	if (bytes) {
		add_type(pb, &sub, t, "inuse_objects", "count");
		add_type(pb, &sub, t, "inuse_space", "bytes");
		for (k = 0; k < LS_KIND_MAX; k++) {
			if (!kind__has_bytes(k))
				continue;
			l->slot[k][0] = l->n;
			l->slot[k][1] = l->n + 1;
		}
		l->n += 2;
		pb__uint(&sub, VALUE_TYPE_TYPE, pprof__intern(t, "space"));
		pb__uint(&sub, VALUE_TYPE_UNIT, pprof__intern(t, "bytes"));
		pb__message(pb, PROFILE_PERIOD_TYPE, &sub);
	}
	pb__free(&sub);
}

/* How many frames from frame k have its address: the calls inlined there
 * and the function they were inlined into. */
static size_t step(const struct report_entry *e, size_t k)
{
	size_t n = 1;

	while (report_entry__loc(e, k + n - 1)->inlined && k + n < e->nframes)
		n++;
	return n;
}

static void add_samples(struct pb *pb, struct pprof_strings *t, struct pprof_locations *L,
			const struct report *r, int pid, const struct layout *l)
{
	struct pb sample = {0}, label = {0};
	uint64_t *ids = NULL, *fns = NULL, values[8];
	size_t i, k, n;

	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];
		enum ls_kind kind = e->row.site.kind % LS_KIND_MAX;

		if ((int)e->row.site.tgid != pid || l->slot[kind][0] < 0)
			continue;
		ids = xrealloc(ids, e->nframes + 1, sizeof(*ids));
		fns = xrealloc(fns, e->nframes + 1, sizeof(*fns));
		for (k = 0; k < e->nframes; k++)
			fns[k] =
			    pprof__intern_function(t, e->frames[k], report_entry__loc(e, k)->file);
		/* leaf first, as pprof has it; inlined calls share their location */
		for (k = 0, n = 0; k < e->nframes; k += step(e, k), n++)
			ids[n] = report_entry__loc(e, k)->addr
				     ? pprof__location(L, e, k, step(e, k), fns + k)
				     : 2 * fns[k];
		pb__packed(&sample, SAMPLE_LOCATION_ID, ids, n);
		memset(values, 0, sizeof(values));
		values[l->slot[kind][0]] = e->row.count;
		if (l->slot[kind][1] >= 0)
			values[l->slot[kind][1]] = e->row.bytes;
		pb__packed(&sample, SAMPLE_VALUE, values, l->n);
		pb__uint(&label, LABEL_KEY, pprof__intern(t, "kind"));
		pb__uint(&label, LABEL_STR, pprof__intern(t, kind__name(kind)));
		pb__message(&sample, SAMPLE_LABEL, &label);
		pb__message(pb, PROFILE_SAMPLE, &sample);
	}
	free(ids);
	free(fns);
	pb__free(&sample);
	pb__free(&label);
}

static bool has_bytes(const struct layout *l)
{
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		if (l->slot[k][1] >= 0)
			return true;
	return false;
}

int report_pprof__encode(const struct report *r, int pid, uint8_t **out, size_t *len)
{
	const struct report_process *p = report__process(r, pid);
	struct pprof_locations locs = {0};
	struct pprof_strings t = {0};
	struct pb pb = {0};
	struct layout l;
	char comment[128];
	size_t i;
	int err;

	*out = NULL;
	*len = 0;
	if (!p)
		return -ESRCH;
	pprof__intern(&t, "");
	sample_types(&pb, &t, r->kinds, &l);
	snprintf(comment, sizeof(comment), "leakscope: pid %d (%s), report %lu", p->pid, p->comm,
		 r->seq);
	pb__uint(&pb, PROFILE_COMMENT, pprof__intern(&t, comment));
	add_samples(&pb, &t, &locs, r, pid, &l);
	pprof__add_functions(&pb, &t);
	pprof__add_locations(&pb, &t, &locs);
	for (i = 0; i < t.count; i++)
		pb__string(&pb, PROFILE_STRING_TABLE, t.v[i]);
	pb__uint(&pb, PROFILE_TIME_NANOS, (uint64_t)time(NULL) * 1000000000ULL);
	pb__uint(&pb, PROFILE_DURATION_NANOS, r->traced_ns);
	if (has_bytes(&l)) {
		pb__uint(&pb, PROFILE_PERIOD, 1);
		pb__uint(&pb, PROFILE_DEFAULT_SAMPLE_TYPE, pprof__intern(&t, "inuse_space"));
	}
	err = pb__gzip(pb.buf, pb.len, out, len);
	pb__free(&pb);
	pprof__strings_free(&t);
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
