#!/bin/sh
# The demo: trace a toy server that leaks a session on one request in ten
# and fills a cache that then stays put. Prints a report every 2 s and
# writes folded stacks for flamegraph.pl.
#
# Usage: tools/demo.sh BUILD_DIR
set -e
B=${1:-build}
echo "\$ leakscope -i 2 --folded $B/demo.folded -- $B/fixtures/demo"
"$B/leakscope" -i 2 --folded "$B/demo.folded" -- "$B/fixtures/demo"
echo "Folded stacks in $B/demo.folded (make an SVG: flamegraph.pl $B/demo.folded > demo.svg):"
cat "$B/demo.folded"
