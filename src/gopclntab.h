/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Go's own symbol table, .gopclntab, which even stripped Go binaries keep:
 * function names and entries, file:line of every pc, and the inlined calls
 * at a pc (FUNCDATA_InlTree, PCDATA_InlTreeIndex). Go 1.18 and later (pcHeader
 * magic 0xfffffff0 for 1.18-1.19, 0xfffffff1 for 1.20 and later). Pure: it
 * reads from buffers (untrusted: every offset is checked), no I/O.
 */
#ifndef GOPCLNTAB_H
#define GOPCLNTAB_H

#include <stddef.h>
#include <stdint.h>

struct gopclntab;

/* One frame at a pc: the innermost inlined call first. Strings point into
 * the table and live as long as it. */
struct go_frame {
	const char *function;
	const char *file; /* "" when unknown */
	int line;	  /* 0 when unknown */
};

/*
 * Parses the table in `pcln` (the .gopclntab section, copied). `gofunc`, the
 * bytes from moduledata.gofunc to the end of its section (copied), holds the
 * inline trees; NULL: no inlined frames. NULL + errno (ENOEXEC) when it is
 * not a table this parser knows.
 */
struct gopclntab *gopclntab__new(const void *pcln, size_t len, const void *gofunc,
				 size_t gofunc_len);
void gopclntab__free(struct gopclntab *t);

/* 18 for the 1.18-1.19 format, 20 for 1.20 and later. */
int gopclntab__format(const struct gopclntab *t);
/* The text start the entries are relative to (pcHeader.textStart); 0 when
 * the header leaves it to moduledata.text (Go 1.26). */
uint64_t gopclntab__text_start(const struct gopclntab *t);
/* Sets it from moduledata.text where the header had 0. */
void gopclntab__set_text_start(struct gopclntab *t, uint64_t text);

/* The function containing vaddr `pc` (outermost, as a symbol table would
 * name it) and the offset into it; NULL when none. */
const char *gopclntab__lookup(const struct gopclntab *t, uint64_t pc, uint64_t *offset);
/* Fills up to `max` frames for `pc`, innermost (inlined) first, the
 * function containing pc last (at the line of the outermost inlined call,
 * even when the inner ones did not fit); returns how many. */
size_t gopclntab__frames(const struct gopclntab *t, uint64_t pc, struct go_frame *out, size_t max);
/* The entry and size of the function called `name`; 0 or -ENOENT. */
int gopclntab__find(const struct gopclntab *t, const char *name, uint64_t *entry, uint64_t *size);

#endif /* GOPCLNTAB_H */
