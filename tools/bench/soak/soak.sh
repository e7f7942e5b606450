#!/bin/bash
# The soak benchmark: a churning, slowly leaking target (soak_target.c)
# traced for SECONDS (default 1800) with a report every 10 s. Records
# leakscope's RSS and CPU over time, how late each report was, and the
# growth rate it found for the leak (the target leaks 1000 B/s). Not a
# test: it prints a summary, a CSV and a chart for the README.
#
# Usage: tools/bench/soak/soak.sh BUILD_DIR [SECONDS] [OUT_DIR]
set -u
B=$(cd "${1:-build}" && pwd)
SECS=${2:-1800}
OUT=${3:-$B/soak}
INTERVAL=10
mkdir -p "$OUT"
CSV=$OUT/soak.csv
CLK=$(getconf CLK_TCK)

"$B/bench/soak_target" &
TARGET=$!
"$B/leakscope" -p "$TARGET" -i $INTERVAL -d "$SECS" --top 3 >"$OUT/reports.txt" 2>"$OUT/stderr.txt" &
LS=$!
START=$(date +%s.%N)
echo "seconds,rss_kib,cpu_percent" >"$CSV"
prev_ticks=0
prev_t=$START
while kill -0 "$LS" 2>/dev/null; do
	sleep $INTERVAL
	now=$(date +%s.%N)
	rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$LS/status 2>/dev/null) || break
	[ -n "$rss" ] || break
	ticks=$(awk '{ print $14 + $15 }' /proc/$LS/stat 2>/dev/null) || break
	awk -v t="$now" -v t0="$START" -v tp="$prev_t" -v k="$ticks" -v kp="$prev_ticks" \
		-v hz="$CLK" -v rss="$rss" \
		'BEGIN { printf "%.0f,%s,%.2f\n", t - t0, rss, (k - kp) * 100 / hz / (t - tp) }' >>"$CSV"
	prev_ticks=$ticks
	prev_t=$now
done
wait "$LS"
kill "$TARGET"
wait "$TARGET" 2>/dev/null

# How late was each report? They are due every INTERVAL seconds after start.
awk -v iv=$INTERVAL '
	/^leakscope: pid .*report [0-9]+, traced/ {
		n++
		if (match($0, /traced [0-9.]+ (s|min|h)/)) {
			split(substr($0, RSTART, RLENGTH), a, " ")
			t = a[2] * (a[3] == "min" ? 60 : a[3] == "h" ? 3600 : 1)
		}
	}
	END { print n " reports" }' "$OUT/reports.txt" >"$OUT/summary.txt"
# The leak's rate in the last periodic report.
grep -E "soak_leak" "$OUT/reports.txt" | grep -o "growing +[0-9.]* [KMG]*i*B/s" | tail -n 1 \
	| sed 's/^/leak rate found: /' >>"$OUT/summary.txt"
awk -F, 'NR > 1 { if ($2 > max) max = $2; if (NR == 2) first = $2; last = $2; c += $3; n++ }
	END { printf "leakscope RSS: first %d KiB, last %d KiB, max %d KiB; mean CPU %.2f %%\n",
		first, last, max, c / n }' "$CSV" >>"$OUT/summary.txt"
# Report lateness: wall-clock gaps between consecutive report lines.
awk -v iv=$INTERVAL '
	/^leakscope: pid .*report [0-9]+,/ {
		split($0, f, ", "); t = f[length(f)]; sub(/,.*/, "", t)
		split(t, hms, ":"); s = hms[1] * 3600 + hms[2] * 60 + hms[3]
		if (prev != "" && s - prev > max) max = s - prev
		prev = s
	}
	END { printf "longest gap between reports: %d s (interval %d s)\n", max, iv }' \
	"$OUT/reports.txt" >>"$OUT/summary.txt"
cat "$OUT/summary.txt"

# A chart for the README: one row per ~1/15 of the run, RSS as a bar.
awk -F, 'NR > 1 { t[++n] = $1; r[n] = $2; c[n] = $3; if ($2 > max) max = $2 }
	END {
		step = n > 15 ? int(n / 15) : 1
		printf "%8s %10s %6s\n", "time", "RSS", "CPU"
		for (i = 1; i <= n; i += step) {
			bar = ""
			for (k = 0; k < int(40 * r[i] / max); k++) bar = bar "#"
			printf "%6.1f m %7d KiB %5.2f%% %s\n", t[i] / 60, r[i], c[i], bar
		}
	}' "$CSV" >"$OUT/chart.txt"
cat "$OUT/chart.txt"
