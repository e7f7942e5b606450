// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any text handed to the /proc/PID/maps parser.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       -o build/fuzz_proc_maps tests/fuzz/fuzz_proc_maps.c src/proc_maps.c src/util.c
 *   mkdir -p build/corpus/proc_maps
 *   build/fuzz_proc_maps -max_total_time=60 build/corpus/proc_maps tests/fuzz/corpus/proc_maps
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_maps m;
	struct map_entry e;
	char *line;

	if (proc_maps__parse((const char *)data, size, &m) == 0) {
		/* Whatever parsed must be found again at both ends of every entry. */
		for (size_t i = 0; i < m.count; i++) {
			const struct map_entry *a = proc_maps__find(&m, m.entries[i].start);
			const struct map_entry *b = proc_maps__find(&m, m.entries[i].end - 1);

			if (!a || !b)
				abort();
		}
		proc_maps__find(&m, 0);
		proc_maps__find(&m, UINT64_MAX);
		proc_maps__free(&m);
	}

	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (proc_maps__parse_line(line, &e) == 0)
		free(e.path);
	free(line);
	return 0;
}
