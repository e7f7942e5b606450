/* SPDX-License-Identifier: GPL-2.0 */
/* The --help text of leakscope's command line (cli.c). */
#ifndef CLI_USAGE_H
#define CLI_USAGE_H

#include <stdio.h>

void cli_usage__print(FILE *out);

#endif /* CLI_USAGE_H */
