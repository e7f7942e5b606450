// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/maps parser. A line looks like
 *
 *   7f1c2a000000-7f1c2a022000 r-xp 00001000 fe:01 1234567    /usr/lib/libc.so.6
 *
 * The parser is hand-written rather than sscanf-based because it is a fuzz
 * target: every field is length- and overflow-checked, and the path (which may
 * contain spaces) is everything after the padding that follows the inode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_maps.h"
#include "util.h"

/* Parse a hex number of at most 16 digits; advances *p. */
static int parse_hex(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	for (;; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n == 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (n == 0)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int parse_dec(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static int parse_perms(const char **p, char perms[5])
{
	static const char allowed[4][3] = {"r-", "w-", "x-", "ps"};
	const char *s = *p;

	for (int i = 0; i < 4; i++) {
		if (s[i] == '\0' || !memchr(allowed[i], s[i], 2))
			return -EINVAL;
		perms[i] = s[i];
	}
	perms[4] = '\0';
	*p = s + 4;
	return 0;
}

int proc_maps__parse_line(const char *line, struct map_entry *out)
{
	const char *p = line;
	uint64_t major, minor;
	size_t plen;

	memset(out, 0, sizeof(*out));
	if (!line)
		return -EINVAL;
	if (parse_hex(&p, &out->start) || expect(&p, '-') || parse_hex(&p, &out->end) ||
	    expect(&p, ' ') || parse_perms(&p, out->perms) || expect(&p, ' ') ||
	    parse_hex(&p, &out->offset) || expect(&p, ' ') || parse_hex(&p, &major) ||
	    expect(&p, ':') || parse_hex(&p, &minor) || expect(&p, ' ') ||
	    parse_dec(&p, &out->inode))
		goto bad;
	if (out->start >= out->end || major > 0xfff || minor > 0xfffff)
		goto bad;
	out->dev_major = (unsigned int)major;
	out->dev_minor = (unsigned int)minor;

	/* No path at all (anonymous), or padding then the path. */
	if (*p != '\0' && *p != '\n' && *p != ' ')
		goto bad;
	while (*p == ' ')
		p++;
	plen = strlen(p);
	if (plen && p[plen - 1] == '\n')
		plen--;
	/* The kernel escapes '\n' in names, so one can only be a line break. */
	if (memchr(p, '\n', plen))
		goto bad;
	out->path = strndup(p, plen);
	if (!out->path)
		return -ENOMEM;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

static int cmp_start(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int proc_maps__parse(const char *text, size_t len, struct proc_maps *out)
{
	struct map_entry *entries = NULL;
	size_t count = 0, cap = 0, pos = 0;
	char *line = NULL;
	int err = 0;

	out->entries = NULL;
	out->count = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		if (n == 0) {
			pos++;
			continue;
		}
		/* An embedded NUL would silently truncate the line: refuse it. */
		if (memchr(text + pos, '\0', n)) {
			err = -EINVAL;
			goto fail;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct map_entry *ne = realloc(entries, ncap * sizeof(*ne));

			if (!ne) {
				err = -ENOMEM;
				goto fail;
			}
			entries = ne;
			cap = ncap;
		}
		line = strndup(text + pos, n);
		if (!line) {
			err = -ENOMEM;
			goto fail;
		}
		err = proc_maps__parse_line(line, &entries[count]);
		free(line);
		if (err)
			goto fail;
		count++;
		pos += n + 1;
	}
	/* The kernel prints in address order; sorting anyway keeps find() correct. */
	if (count)
		qsort(entries, count, sizeof(*entries), cmp_start);
	/* Overlaps cannot come from the kernel and would make find() miss entries. */
	for (size_t i = 1; i < count; i++) {
		if (entries[i].start < entries[i - 1].end) {
			err = -EINVAL;
			goto fail;
		}
	}
	out->entries = entries;
	out->count = count;
	return 0;
fail:
	for (size_t i = 0; i < count; i++)
		free(entries[i].path);
	free(entries);
	return err;
}

int proc_maps__read(int pid, struct proc_maps *out)
{
	char path[64], *buf;
	size_t len = 0;
	int err;

	out->entries = NULL;
	out->count = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	buf = read_file(path, &len);
	if (!buf)
		return -errno;
	err = proc_maps__parse(buf, len, out);
	free(buf);
	return err;
}

const struct map_entry *proc_maps__find(const struct proc_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->count;

	/* Find the last entry with start <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->entries[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (addr >= m->entries[lo - 1].end)
		return NULL;
	return &m->entries[lo - 1];
}

void proc_maps__free(struct proc_maps *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->entries[i].path);
	free(m->entries);
	m->entries = NULL;
	m->count = 0;
}
