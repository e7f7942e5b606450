// SPDX-License-Identifier: GPL-2.0
/*
 * Folded stacks for flamegraph.pl and speedscope: one line per stack, root
 * first, the kind as the root frame: "[heap];main;leak_small;malloc 4000".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "kind.h"
#include "report.h"

/* ';' separates frames and a line ends the stack: neither may appear inside
 * one. Spaces may: the value is the last field. */
static void put_frame(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' ? ':' : *s == '\n' ? ' ' : *s, out);
}

void report_folded__print(FILE *out, const struct report *r, enum folded_value value)
{
	size_t i, k;

	for (i = 0; i < r->count; i++) {
		const struct report_entry *e = &r->entries[i];

		fprintf(out, "[%s]", kind__name(e->row.site.kind));
		/* with --follow-forks several processes share the file */
		if (r->nprocs > 1) {
			const struct report_process *proc = report__process(r, e->row.site.tgid);

			fprintf(out, ";%s %u", proc ? proc->comm : "?", e->row.site.tgid);
		}
		for (k = e->nframes; k-- > 0;) {
			fputc(';', out);
			put_frame(out, e->frames[k]);
		}
		/* heap blocks in bytes unless counts are asked for; the
		 * other kinds only have counts */
		fprintf(out, " %" PRId64 "\n",
			value == FOLDED_BYTES && kind__has_bytes(e->row.site.kind) ? e->row.bytes
										   : e->row.count);
	}
}

int report_folded__write(const char *path, const struct report *r, enum folded_value value)
{
	char tmp[4096];
	FILE *out;

	/* Written aside and renamed, so a reader never sees half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = fopen(tmp, "w");
	if (!out)
		return -errno;
	report_folded__print(out, r, value);
	if (ferror(out) | fclose(out) || rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}
