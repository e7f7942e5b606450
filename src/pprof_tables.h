/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tables of a pprof profile (src/report_pprof.c): strings, functions
 * with their source files, mappings, and locations with a line per frame at
 * an address (the calls inlined there, innermost first, then the function).
 */
#ifndef PPROF_TABLES_H
#define PPROF_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protobuf.h"
#include "report.h"

/* Field numbers of profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	PROFILE_MAPPING = 3,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

/* The string table: each string once, index 0 is "". */
struct pprof_strings {
	const char **v;
	size_t count;
	uint32_t *slots; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	bool *function;	    /* by index: a frame name, so a function and a location */
	uint64_t *filename; /* by index: a function's source file (string index), 0: none */
};

/*
 * Locations: an address has one of its own (id 2k + 1, in the mapping of
 * its file), with a line per frame there (Go: the calls inlined at it,
 * innermost first, then its function); a frame without one (the API frame,
 * an unknown process) the one of its function name (id 2 x the name's
 * string index).
 */
struct pprof_line {
	uint64_t function;
	int64_t line; /* 0: unknown */
};

struct pprof_locations {
	struct report_loc *locs; /* by id: 2k + 1 */
	uint64_t *mappings;
	size_t *line_at; /* location k's lines: lines[line_at[k] .. line_at[k + 1]) */
	struct pprof_line *lines;
	size_t count, nlines;
	uint32_t *slots; /* open addressing by address: k + 1 */
	size_t nslots;
	struct report_loc *maps; /* mapping i + 1; start identifies it */
	size_t nmaps;
};

/* The index of s (kept by pointer: it must outlive the table). */
uint64_t pprof__intern(struct pprof_strings *t, const char *s);
/* The string index of a frame name, which is the id of its function: unique
 * and never 0 (pprof's ids must not be). `file`: its source file or NULL. */
uint64_t pprof__intern_function(struct pprof_strings *t, const char *name, const char *file);
/* Functions and their locations: one of each per distinct frame name. */
void pprof__add_functions(struct pb *pb, struct pprof_strings *t);
void pprof__strings_free(struct pprof_strings *t);
/* The location id of the `n` frames of e from frame k, which share an
 * address; `fns` are their functions. */
uint64_t pprof__location(struct pprof_locations *L, const struct report_entry *e, size_t k,
			 size_t n, const uint64_t *fns);
/* The mappings and the locations with addresses; frees L. */
void pprof__add_locations(struct pb *pb, struct pprof_strings *t, struct pprof_locations *L);

#endif /* PPROF_TABLES_H */
