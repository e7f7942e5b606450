// SPDX-License-Identifier: GPL-2.0
/* The table of kinds, and what kinds whose objects sit in a hash map share. */
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "kind.h"
#include "leakscope.skel.h"
#include "report.h"
#include "snapshot.h"
#include "util.h"

static const struct kind *const table[LS_KIND_MAX] = {
    [LS_KIND_HEAP] = &kind_heap,       [LS_KIND_FD] = &kind_fd,
    [LS_KIND_THREAD] = &kind_thread,   [LS_KIND_GOROUTINE] = &kind_goroutine,
    [LS_KIND_GO_HEAP] = &kind_go_heap, [LS_KIND_TIMER] = &kind_timer,
    [LS_KIND_KMEM] = &kind_kmem,       [LS_KIND_MMAP] = &kind_mmap,
    [LS_KIND_GROWTH] = &kind_growth,
};

const struct kind *kind__get(enum ls_kind id)
{
	return (unsigned)id < LS_KIND_MAX ? table[id] : NULL;
}

const char *kind__name(enum ls_kind id)
{
	const struct kind *k = kind__get(id);

	return k ? k->name : "?";
}

bool kind__has_bytes(enum ls_kind id)
{
	const struct kind *k = kind__get(id);

	return k && k->has_bytes;
}

bool kind__counts(enum ls_kind id, uint16_t api)
{
	const struct kind *k = kind__get(id);

	return k && (!k->counted || k->counted(api));
}

const struct kind *kind__by_name(const char *name, size_t len)
{
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		if (strlen(table[k]->name) == len && !strncmp(name, table[k]->name, len))
			return table[k];
	return NULL;
}

const struct kind *kind__of_program(const char *prog)
{
	const char *const *p;
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		for (p = table[k]->programs; p && *p; p++)
			if (!strncmp(prog, *p, strlen(*p)))
				return table[k];
	return NULL;
}

const char *kind__names(void)
{
	static char names[128];
	size_t used = 0;
	int k;

	if (names[0])
		return names;
	for (k = 0; k < LS_KIND_MAX; k++)
		used += snprintf(names + used, sizeof(names) - used, "%s%s", k ? ", " : "",
				 table[k]->name);
	return names;
}

void kind__autoload(const struct kind_source *src, const struct kind *k, bool on)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, src->skel->obj)
	{
		if (kind__of_program(bpf_program__name(prog)) == k)
			bpf_program__set_autoload(prog, on && bpf_program__autoload(prog));
	}
}

static struct report_process *process_of(const struct kind_source *src, uint32_t tgid)
{
	size_t i;

	for (i = 0; i < src->nprocs; i++)
		if (src->procs[i].pid == (int)tgid)
			return &src->procs[i];
	return NULL;
}

int kind__describe_objects(const struct kind_source *src, int map_fd, enum ls_kind id,
			   enum detail (*describe)(const struct report_process *p, uint64_t id,
						   const struct ls_object *obj, void *arg,
						   char *path, size_t len),
			   void *arg, struct snapshot *snap)
{
	const struct kind *k = kind__get(id);
	struct ls_object_key key, last;
	bool first = true;

	while (bpf_map_get_next_key(map_fd, first ? NULL : &last, &key) == 0) {
		struct report_process *proc;
		struct snapshot_object *o;
		struct ls_object obj;

		first = false;
		last = key;
		proc = process_of(src, key.tgid);
		if (!proc || bpf_map_lookup_elem(map_fd, &key, &obj))
			continue;
		/* it was counted as held before tracing: it was not */
		if (k->words.preexisting && snap->preexisting[proc - src->procs][id] > 0)
			snap->preexisting[proc - src->procs][id]--;
		o = snapshot__add_object(snap);
		o->where = obj.where;
		o->what = describe(proc, key.id, &obj, arg, o->path, sizeof(o->path));
	}
	return 0;
}

/* The keys are collected first: deleting while walking would restart the
 * walk. */
void kind__forget_keys(int map, size_t key_size, size_t tgid_off, const uint32_t *gone, size_t n)
{
	char key[64], next[64];
	bool first = true;
	void *doomed = NULL;
	size_t ndoomed = 0, i;

	while (bpf_map_get_next_key(map, first ? NULL : key, next) == 0) {
		uint32_t tgid;

		first = false;
		memcpy(key, next, key_size);
		memcpy(&tgid, next + tgid_off, sizeof(tgid));
		if (!bsearch(&tgid, gone, n, sizeof(*gone), cmp_u32))
			continue;
		doomed = xrealloc(doomed, ndoomed + 1, key_size);
		memcpy((char *)doomed + ndoomed++ * key_size, next, key_size);
	}
	for (i = 0; i < ndoomed; i++)
		bpf_map_delete_elem(map, (char *)doomed + i * key_size);
	free(doomed);
}

void kind__forget_objects(int map_fd, const uint32_t *gone, size_t n)
{
	kind__forget_keys(map_fd, sizeof(struct ls_object_key),
			  offsetof(struct ls_object_key, tgid), gone, n);
}

void kind__forget_totals(int map_fd, const uint32_t *gone, size_t n)
{
	kind__forget_keys(map_fd, sizeof(struct ls_totals_key),
			  offsetof(struct ls_totals_key, site.tgid), gone, n);
}

void kinds__configure(const struct kind_source *src)
{
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		table[k]->configure(src, src->opt->kinds & (1u << k));
}

int kinds__attach(const struct kind_source *src, int pid)
{
	int k, err;

	for (k = 0; k < LS_KIND_MAX; k++)
		if ((src->opt->kinds & (1u << k)) && table[k]->attach) {
			err = table[k]->attach(src, pid);
			if (err)
				return err;
		}
	return 0;
}

void kinds__forget(const struct kind_source *src, const uint32_t *gone, size_t n)
{
	int k;

	if (!n)
		return;
	kind__forget_totals(bpf_map__fd(src->skel->maps.totals), gone, n);
	for (k = 0; k < LS_KIND_MAX; k++)
		if ((src->opt->kinds & (1u << k)) && table[k]->forget)
			table[k]->forget(src, gone, n);
}

unsigned int kinds__default(void)
{
	unsigned int bits = 0;
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		if (!table[k]->opt_in)
			bits |= 1u << k;
	return bits;
}

int kinds__start(const struct kind_source *src)
{
	int k, err;

	for (k = 0; k < LS_KIND_MAX; k++) {
		if (!(src->opt->kinds & (1u << k)) || !table[k]->start)
			continue;
		err = table[k]->start(src);
		if (err)
			return err;
	}
	return 0;
}

void kinds__tick(const struct kind_source *src)
{
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		if ((src->opt->kinds & (1u << k)) && table[k]->tick)
			table[k]->tick(src);
}

void kinds__stop(unsigned int traced)
{
	int k;

	for (k = 0; k < LS_KIND_MAX; k++)
		if ((traced & (1u << k)) && table[k]->stop)
			table[k]->stop();
}
