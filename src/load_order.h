/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The objects of a target in the order the dynamic linker searches them for
 * a symbol: of a command not yet started (asked of its dynamic loader), or
 * of a running process (read from its maps). allocator.c binds the
 * allocator's functions along it.
 */
#ifndef LOAD_ORDER_H
#define LOAD_ORDER_H

#include <stddef.h>

struct target;

struct load_order {
	char **paths; /* each once, first place kept */
	size_t count;
};

/* Appends path unless it is there already. */
void load_order__add(struct load_order *l, const char *path);
void load_order__free(struct load_order *l);

/* The objects of the command `command` would load; 0 or -errno. */
int load_order__of_command(const char *command, struct load_order *l);

/* The objects of the running process (or of the host, t->host); 0 or -errno. */
int load_order__of_process(const struct target *t, struct load_order *l);

/* 2 for the C library, 1 for libstdc++, 0 for the rest: the defaults
 * everybody else overrides, searched last. */
int load_order__default_rank(const char *path);

#endif /* LOAD_ORDER_H */
