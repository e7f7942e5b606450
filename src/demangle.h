/* SPDX-License-Identifier: GPL-2.0 */
/* C++ symbol names as people read them. */
#ifndef DEMANGLE_H
#define DEMANGLE_H

/* The demangled form of `name` (malloc'd), or a copy of it when it is not a
 * mangled C++ name. */
char *demangle(const char *name);

#endif /* DEMANGLE_H */
