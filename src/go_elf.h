/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a Go executable says about itself: its Go version (.go.buildinfo or
 * runtime.buildVersion),
 * its .gopclntab (with the inline trees moduledata.gofunc points at), and its
 * functions and variables by name (.symtab, else .gopclntab), for placing
 * probes on the runtime.
 */
#ifndef GO_ELF_H
#define GO_ELF_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gopclntab.h"

/* The .gopclntab of an ELF file, or NULL (not Go, or an unknown format). */
struct gopclntab *go_elf__pclntab(Elf *e, size_t file_size);

/* "go1.19.8" from .go.buildinfo (Go 1.18+ layout), else from the string
 * runtime.buildVersion, into buf; -ENOENT. */
int go_elf__version(Elf *e, size_t file_size, char *buf, size_t len);

/* The minor version of "go1.N..." (19 for "go1.19.8"), 0 when unknown. */
int go_elf__minor(const char *version);

struct go_binary;

/* NULL + errno (ENOEXEC: not a Go executable). */
struct go_binary *go_binary__open(const char *path);
void go_binary__close(struct go_binary *b);
const char *go_binary__version(const struct go_binary *b);
/* Its entry point (e_entry), 0 when unknown. */
uint64_t go_binary__entry(const struct go_binary *b);
/* Whether the file has a .symtab (names did not need .gopclntab). */
int go_binary__has_symtab(const struct go_binary *b);
/* Whether it loads shared libraries (DT_NEEDED): cgo, and with it libc's
 * malloc. A PIE without cgo has an interpreter but loads none. */
bool go_binary__loads_libraries(const struct go_binary *b);
/* A function's vaddr and size, from .symtab or else .gopclntab; -ENOENT. */
int go_binary__function(const struct go_binary *b, const char *name, uint64_t *vaddr,
			uint64_t *size);
/* A variable's vaddr from .symtab; -ENOENT (stripped binaries have none). */
int go_binary__variable(const struct go_binary *b, const char *name, uint64_t *vaddr);
/* The file offset of a vaddr in a PT_LOAD segment; -ENOENT. */
int go_binary__offset(const struct go_binary *b, uint64_t vaddr, uint64_t *offset);
/* Whether vaddr is in a writable PT_LOAD (data or bss). */
bool go_binary__writable(const struct go_binary *b, uint64_t vaddr);
/* Reads `len` bytes of the file image at vaddr; -errno. */
int go_binary__read(const struct go_binary *b, uint64_t vaddr, void *buf, size_t len);

#endif /* GO_ELF_H */
