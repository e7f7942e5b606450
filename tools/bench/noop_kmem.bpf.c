// SPDX-License-Identifier: GPL-2.0
/*
 * The kmem kind's floor: programs that do nothing at the tracepoints it
 * attaches to (every kernel allocation and free on the machine).
 */
#include "noop.bpf.h"

NOOP("tp_btf/kmalloc", noop_kmalloc)
NOOP("tp_btf/kmem_cache_alloc", noop_cache_alloc)
NOOP("tp_btf/kfree", noop_kfree)
NOOP("tp_btf/kmem_cache_free", noop_cache_free)
NOOP("tp_btf/mm_page_alloc", noop_page_alloc)
NOOP("tp_btf/mm_page_free", noop_page_free)
NOOP("tp_btf/percpu_alloc_percpu", noop_percpu_alloc)
NOOP("tp_btf/percpu_free_percpu", noop_percpu_free)
