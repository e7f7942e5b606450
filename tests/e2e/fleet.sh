# End-to-end: fleet mode (issue 7): verdicts over time, and the outputs
# other tools read.

# The fixture leaks 1000 bytes at leak_grow every 100 ms for 4 s, while
# cache_fill fills its 8 slots of 4096 bytes in the first 0.8 s and stops.
t_verdicts() {
	"$LEAKSCOPE" -i 0.5 --window 4 --folded "$T/f" -- "$FIX/verdicts" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_folded "$T/f" "main;leak_grow;malloc" 40000
	expect_folded "$T/f" "main;cache_fill;malloc" 32768
	sed -n '/final report/,$p' "$T/out" >"$T/final"
	expect_match "the leak is growing, with its rate" \
		"^heap +39\.1 KiB +40 .* growing \+[0-9.]+ KiB/s for [0-9]+ s +malloc <- leak_grow <- main" \
		"$T/final"
	expect_match "the cache is steady" \
		"^heap +32\.0 KiB +8 .* steady for [0-9]+ s +malloc <- cache_fill <- main" "$T/final"
	# (the oldest column is not pinned: ages are at generation granularity,
	# ~1.07 s, and the first report comes 0.5 s in, so it reads 0 s or 1 s)
	expect_match "the first report has no verdict yet" \
		"^heap .* [0-9]+ s  - +malloc <- (leak_grow|cache_fill)" "$T/out"
}
run_test "fleet: verdicts growing (leak) and steady (cache) at the final report" t_verdicts

t_leaks_only() {
	"$LEAKSCOPE" -i 0.5 --window 4 --leaks-only -- "$FIX/verdicts" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	sed -n '/final report/,$p' "$T/out" >"$T/final"
	expect_match "the leak is shown" "growing .* malloc <- leak_grow <- main" "$T/final"
	expect_no_match "the cache is not" "cache_fill" "$T/final"
}
run_test "fleet: --leaks-only shows only growing stacks" t_leaks_only

# The bytes of the heap stacks ending (root first) with TAIL in the last JSON
# report of FILE, by jq.
json_bytes() {
	tail -n 1 "$1" | jq --arg tail "$2" \
		'[.stacks[] | select(.kind == "heap") | select((.frames | reverse | join(";")) | endswith($tail)) | .bytes] | add // 0'
}

t_json() {
	"$LEAKSCOPE" -i 0.5 --json "$T/j" -- "$FIX/verdicts" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	# one object per line, one line per report (as many as text reports)
	expect_eq "a valid object per line" "$(grep -c '^leakscope: pid' "$T/out")" \
		"$(jq -c 'select(.report > 0)' "$T/j" | wc -l)"
	expect_eq "leak bytes" 40000 "$(json_bytes "$T/j" "main;leak_grow;malloc")"
	expect_eq "cache bytes" 32768 "$(json_bytes "$T/j" "main;cache_fill;malloc")"
	expect_eq "leak verdict" growing "$(tail -n 1 "$T/j" | jq -r \
		'.stacks[] | select(.frames[1] == "leak_grow") | .verdict')"
	expect_eq "cache verdict" steady "$(tail -n 1 "$T/j" | jq -r \
		'.stacks[] | select(.frames[1] == "cache_fill") | .verdict')"
	expect_eq "leak objects, process" "40 verdicts true 0" "$(tail -n 1 "$T/j" | jq -r \
		'(.stacks[] | select(.frames[1] == "leak_grow") | .objects | tostring) + " " +
		 .processes[0].comm + " " + (.final | tostring) + " " +
		 (.processes[0].exit_status | tostring)')"
	expect_eq "heap counters" "48 0" "$(tail -n 1 "$T/j" | jq -r \
		'.kinds.heap.counters | "\(.acquired) \(.released)"')"

	# --json -: the JSON on stdout, no text
	"$LEAKSCOPE" --json - -- "$FIX/heap_leaks" >"$T/j2" 2>"$T/err"
	grep -v '^leaked$' "$T/j2" >"$T/j3"
	expect_eq "one line of JSON" 1 "$(wc -l <"$T/j3")"
	local site
	for site in $HEAP_LEAKS_SITES; do
		expect_eq "bytes at ${site%:*}" "${site##*:}" "$(json_bytes "$T/j3" "${site%:*}")"
	done
}
run_test "fleet: --json, one object per report, exact values and verdicts" t_json

# go tool pprof from Debian's golang-1.19-go, with its caches in $T
GO_PPROF=/usr/lib/go-1.19/bin/go

# pprof_cum FILE SAMPLE_INDEX FUNCTION: the cum value of FUNCTION in -top
pprof_cum() {
	local unit=
	[ "$2" = inuse_space ] && unit=-unit=B
	HOME=$T GOCACHE=$T/gocache "$GO_PPROF" tool pprof -top $unit -sample_index="$2" "$1" \
		2>/dev/null | awk -v fn="$3" '$NF == fn { print $4; exit }'
}

t_pprof() {
	"$LEAKSCOPE" --pprof "$T/heap.pb.gz" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_eq "gzip" "1f8b" "$(head -c 2 "$T/heap.pb.gz" | od -An -tx1 | tr -d ' \n')"
	HOME=$T GOCACHE=$T/gocache "$GO_PPROF" tool pprof -top "$T/heap.pb.gz" >"$T/top" 2>&1
	expect_match "go tool pprof reads it, inuse_space by default" "^Type: inuse_space" "$T/top"
	expect_match "the process in the comment" "^leakscope: pid [0-9]+ \(heap_leaks\)" "$T/top"
	local site fn
	for site in $HEAP_LEAKS_SITES; do
		fn=${site%:*}; fn=${fn#main;}; fn=${fn%;*}
		expect_eq "inuse_space at $fn" "${site##*:}B" "$(pprof_cum "$T/heap.pb.gz" inuse_space "$fn")"
	done
	expect_eq "inuse_objects at leak_malloc" 10 \
		"$(pprof_cum "$T/heap.pb.gz" inuse_objects leak_malloc)"
	expect_eq "inuse_objects at leak_strdup" 7 \
		"$(pprof_cum "$T/heap.pb.gz" inuse_objects leak_strdup)"
	# mappings with the files' build-ids, the executable first
	local id
	id=$(readelf -n "$FIX/heap_leaks" | awk '/Build ID/ { print $3 }')
	HOME=$T GOCACHE=$T/gocache "$GO_PPROF" tool pprof -raw "$T/heap.pb.gz" >"$T/raw" 2>&1
	expect_match "the executable's mapping and build-id" \
		"^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ $FIX/heap_leaks $id \[FN\]$" "$T/raw"
	expect_match "libc's mapping" " /.*/libc\.so\.6 [0-9a-f]{40} \[FN\]$" "$T/raw"
	expect_no_match "pprof knows the main binary" "Main binary filename not available" "$T/top"

	# fds and threads are counts
	report_when_leaked "$T/out2" "$T/err2" --pprof "$T/fd.pb.gz" -- "$FIX/fd_leaks"
	expect_eq "fds at open_leak" 7 "$(pprof_cum "$T/fd.pb.gz" fds open_leak)"
	expect_eq "fds at socket_leak" 3 "$(pprof_cum "$T/fd.pb.gz" fds socket_leak)"
	expect_eq "threads at spawn_stuck" 6 "$(pprof_cum "$T/fd.pb.gz" threads spawn_stuck)"
}
run_test "fleet: --pprof read by go tool pprof, exact values per function" t_pprof

# --listen, scraped by Debian's prometheus (both on 127.0.0.1 only), and
# /pprof and /folded fetched with curl. Everything started here is stopped
# here; every wait is bounded.
t_listen_prometheus() {
	local port=19464 prom_port=19090 ls prom fix i v=
	command -v prometheus >/dev/null || { fail "prometheus not installed"; return; }
	"$LEAKSCOPE" -v -i 1 --listen 127.0.0.1:$port -- "$FIX/heap_leaks" --wait \
		>"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing PID [0-9]+"
	fix=$(sed -n 's/.*tracing PID \([0-9]*\).*/\1/p' "$T/err" | head -n 1)
	wait_for "$T/out" "^ready"
	kill -USR1 "$fix"
	wait_for "$T/out" "^leaked"
	cat >"$T/prometheus.yml" <<-YAML
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: leakscope
	    scrape_interval: 1s
	    scrape_timeout: 1s
	    static_configs:
	      - targets: ['127.0.0.1:$port']
	YAML
	prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address=127.0.0.1:$prom_port >"$T/prometheus.log" 2>&1 &
	prom=$!
	# the fixture's leaks (25187 bytes) and its stdout buffer (4096)
	for i in $(seq 60); do
		v=$(curl -s --max-time 2 "http://127.0.0.1:$prom_port/api/v1/query" \
			--data-urlencode "query=leakscope_outstanding_bytes{kind=\"heap\",pid=\"$fix\",comm=\"heap_leaks\"}" |
			jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
		[ "$v" = 29283 ] && break
		sleep 0.5
	done
	expect_eq "outstanding heap bytes, from Prometheus's API" 29283 "$v"
	v=$(curl -s --max-time 2 "http://127.0.0.1:$prom_port/api/v1/query" \
		--data-urlencode "query=leakscope_outstanding_objects{kind=\"heap\",pid=\"$fix\"}" |
		jq -r '.data.result[0].value[1] // empty')
	expect_eq "outstanding heap blocks, from Prometheus's API" 35 "$v"

	curl -s --max-time 2 "http://127.0.0.1:$port/metrics" >"$T/metrics"
	expect_match "a growth-rate gauge" "^leakscope_growth_bytes_per_second\{pid=\"$fix\",comm=\"heap_leaks\",kind=\"heap\"\} " "$T/metrics"
	expect_match "drop counter" '^leakscope_dropped_total\{kind="heap"\} 0$' "$T/metrics"
	expect_match "lost stacks counter" '^leakscope_lost_stacks_total\{kind="heap"\} 0$' "$T/metrics"
	expect_no_match "no stack in a label" "leak_|malloc" "$T/metrics"
	curl -s --max-time 2 "http://127.0.0.1:$port/folded?pid=$fix" >"$T/folded"
	expect_heap_leaks_sites "$T/folded"
	curl -s --max-time 2 -o "$T/p.pb.gz" "http://127.0.0.1:$port/pprof?pid=$fix"
	expect_eq "pprof over HTTP at leak_realloc" 12288B "$(pprof_cum "$T/p.pb.gz" inuse_space leak_realloc)"
	expect_eq "unknown pid" 404 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		"http://127.0.0.1:$port/pprof?pid=1")"
	expect_eq "unknown path" 404 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		"http://127.0.0.1:$port/nothing")"

	kill -TERM "$prom"
	wait "$prom" 2>/dev/null
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	kill -TERM "$fix" 2>/dev/null
	expect_eq "the port is closed" 000 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		"http://127.0.0.1:$port/metrics")"
}
run_test "fleet: --listen /metrics scraped by prometheus, /pprof, /folded" t_listen_prometheus

# --push against a receiver on 127.0.0.1 (tests/fixtures/http_sink.c): each
# report sends one well-formed Pyroscope /ingest request per process and
# kind; the last ones carry the fixture's exact bytes.
t_push() {
	local port=19040 sink ls r q from until body len
	"$FIX/http_sink" $port "$T" 100 20 >"$T/sink.out" 2>&1 &
	sink=$!
	wait_for "$T/sink.out" "^listening"
	"$LEAKSCOPE" -i 1 --kinds heap --push "http://127.0.0.1:$port/prefix/" -- "$FIX/verdicts" \
		>"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	kill -TERM "$sink" 2>/dev/null
	wait "$sink" 2>/dev/null
	local n
	n=$(ls "$T"/request.* 2>/dev/null | wc -l)
	[ "$n" -ge 4 ] || fail "expected a request per report (at least 4), got $n"
	expect_eq "no push errors" "" "$(cat "$T/err")"
	local last=0
	for r in $(ls "$T"/request.* | sort -t. -k2 -n); do
		head -n 1 "$r" | tr -d '\r' >"$T/line"
		expect_match "request line" \
			'^POST /prefix/ingest\?name=leakscope\.heap%7Bpid%3D[0-9]+%2Ccomm%3Dverdicts%7D&from=[0-9]+&until=[0-9]+&format=folded&units=bytes&aggregationType=sum&spyName=leakscope HTTP/1\.[01]$' \
			"$T/line"
		q=$(cat "$T/line")
		from=$(echo "$q" | sed 's/.*&from=\([0-9]*\).*/\1/')
		until=$(echo "$q" | sed 's/.*&until=\([0-9]*\).*/\1/')
		[ "$from" -lt "$until" ] || fail "from $from is not before until $until"
		[ "$from" -ge "$last" ] || fail "from $from goes back before the previous until $last"
		last=$until
		len=$(tr -d '\r' <"$r" | sed -n 's/^Content-Length: //p')
		body=$(awk 'f { print } /^\r?$/ { f = 1 }' "$r")
		expect_eq "Content-Length is the body's" "$len" "$(printf '%s\n' "$body" | wc -c)"
		printf '%s\n' "$body" | grep -Evq '^[^ ]+( [^ ]+)* [0-9]+$' &&
			fail "a body line is not 'frames value': $(printf '%s\n' "$body" | grep -Ev ' [0-9]+$' | head -n 1)"
	done
	# the final report: the leak's and the cache's exact bytes
	awk 'f { print } /^\r?$/ { f = 1 }' "$r" >"$T/last.folded"
	expect_folded "$T/last.folded" "main;leak_grow;malloc" 40000
	expect_folded "$T/last.folded" "main;cache_fill;malloc" 32768
}
run_test "fleet: --push, well-formed Pyroscope /ingest requests with exact values" t_push

t_fleet_bad_options() {
	expect_error "--push without http://" 2 "invalid --push 'ftp://x'" \
		"$LEAKSCOPE" --push ftp://x -- /bin/true
	expect_error "--listen without a port" 2 "invalid --listen '127.0.0.1'" \
		"$LEAKSCOPE" --listen 127.0.0.1 -- /bin/true
	expect_error "--window 1" 2 "invalid --window '1'" "$LEAKSCOPE" --window 1 -- /bin/true
	expect_error "--json into a missing directory" 7 "cannot write $T/no/j" \
		"$LEAKSCOPE" --json "$T/no/j" -- /bin/true
}
run_test "fleet: bad --push, --listen, --window, --json" t_fleet_bad_options

# json_site FILE LINE PID FUNCTION: "bytes objects" of PID's heap stack whose
# caller is FUNCTION, in report LINE of FILE ("$" for the last), "" if none.
json_site() {
	sed -n "$2p" "$1" | jq -r --argjson pid "$3" --arg fn "$4" \
		'[.stacks[] | select(.pid == $pid and .kind == "heap" and .frames[1] == $fn)] |
		 if length > 0 then "\(map(.bytes) | add) \(map(.objects) | add)" else "" end'
}

# wait_done FILE...: until each file says "done" (host_leaks), 10 s at most
wait_done() {
	local f
	for f in "$@"; do
		wait_for "$f" "^done" 10 || return 1
	done
}

# more_reports JSON N: until N more reports (lines) are in JSON than now,
# 10 s at most. The first may have been gathered before this call; the
# second was gathered after the first was written: after this call.
more_reports() {
	local want=$(($(wc -l <"$1") + $2))
	wait_until 10 "$2 more reports in $(basename "$1")" eval "[ \$(wc -l <'$1') -ge $want ]"
}

# --host-exact: processes started after leakscope, leaking at different
# rates, and a busy one that leaks nothing; it samples (4096) and the blocks
# are larger, so the values are exact. One of them exits: reported once,
# then forgotten. (-a without it: tests/e2e/host.sh)
t_all() {
	local ls fast slow busy
	"$LEAKSCOPE" -v --host-exact --kinds heap -i 1 --json "$T/j" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing the host" 20
	"$FIX/host_leaks" fast >"$T/fast" 2>&1 &
	fast=$!
	"$FIX/host_leaks" slow >"$T/slow" 2>&1 &
	slow=$!
	"$FIX/host_leaks" busy >"$T/busy" 2>&1 &
	busy=$!
	wait_done "$T/fast" "$T/slow" "$T/busy"
	# a report gathered after they are done, while the fast one lives: the
	# processes are found in the maps at a report
	more_reports "$T/j" 2
	kill -TERM "$fast"
	wait "$fast" 2>/dev/null
	# a report that sees it exited
	wait_for "$T/out" "^process $fast +host_leaks +exited with "
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	kill -TERM "$slow" "$busy"
	wait "$slow" "$busy" 2>/dev/null
	# the last report with the fast one, the final report for the others
	local last_fast
	last_fast=$(grep -n "\"pid\":$fast,\"comm\":\"host_leaks\",\"kind\":\"heap\"" "$T/j" | tail -n 1 | cut -d: -f1)
	expect_eq "fast leak, bytes and blocks" "163840 20" "$(json_site "$T/j" "${last_fast:-1}" "$fast" leak_fast)"
	expect_eq "slow leak, bytes and blocks" "81920 5" "$(json_site "$T/j" '$' "$slow" leak_slow)"
	expect_eq "the busy process holds nothing" "" \
		"$(tail -n 1 "$T/j" | jq -r --argjson pid "$busy" '.stacks[] | select(.pid == $pid) | .frames[1]')"
	expect_eq "the exited process said once" 1 \
		"$(grep -cE "^process $fast +host_leaks +exited with 160\.0 KiB in 20 objects outstanding$" "$T/out")"
	expect_eq "and then forgotten" "" \
		"$(tail -n 1 "$T/j" | jq -r --argjson pid "$fast" '.processes[] | select(.pid == $pid) | .comm')"
	expect_match "processes ranked in the text report" "^process +$slow +host_leaks +80\.0 KiB +in +5 objects" "$T/out"
	expect_no_match "leakscope does not trace itself" "^process +$ls " "$T/out"
}
run_test "fleet: --host-exact, processes started later, exact values per process, exits" t_all

# --cgroup: only the processes of one cgroup v2, made here and removed here.
t_cgroup() {
	local root cg ls inside outside
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$root" ] || { fail "no cgroup v2 mounted"; return; }
	cg=$root/leakscope-test-$$
	mkdir "$cg" || { fail "cannot create $cg"; return; }
	"$LEAKSCOPE" -v --host-exact --cgroup "$cg" --kinds heap -i 1 --json "$T/j" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing the host" 20
	sh -c "echo \$\$ > '$cg/cgroup.procs' && exec '$FIX/host_leaks' fast" >"$T/in" 2>&1 &
	inside=$!
	"$FIX/host_leaks" slow >"$T/outside" 2>&1 &
	outside=$!
	# what they leaked is in the maps: the final report finds them there
	wait_done "$T/in" "$T/outside"
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	kill -TERM "$inside" "$outside"
	wait "$inside" "$outside" 2>/dev/null
	rmdir "$cg" || fail "cannot remove $cg"
	expect_eq "the process in the cgroup" "163840 20" "$(json_site "$T/j" '$' "$inside" leak_fast)"
	expect_eq "each process with its cgroup" "/leakscope-test-$$" \
		"$(tail -n 1 "$T/j" | jq -r --argjson pid "$inside" '.processes[] | select(.pid == $pid) | .cgroup')"
	expect_match "in the text too" "^process +$inside +host_leaks .*, cgroup /leakscope-test-$$$" "$T/out"
	expect_eq "only processes of the cgroup" "$inside" \
		"$(jq -r '.stacks[].pid' "$T/j" | sort -u | tr '\n' ' ' | sed 's/ $//')"
}
run_test "fleet: --cgroup traces only the processes of the cgroup" t_cgroup

t_comm() {
	local ls fast other
	"$LEAKSCOPE" -v --host-exact --comm host_leaks --kinds heap -i 1 --json "$T/j" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing the host" 20
	"$FIX/host_leaks" slow >"$T/slow" 2>&1 &
	fast=$!
	# the same leaks under another name
	cp "$FIX/host_leaks" "$T/other_name"
	"$T/other_name" slow >"$T/other" 2>&1 &
	other=$!
	wait_done "$T/slow" "$T/other"
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	kill -TERM "$fast" "$other"
	wait "$fast" "$other" 2>/dev/null
	expect_eq "the process of that name" "81920 5" "$(json_site "$T/j" '$' "$fast" leak_slow)"
	expect_eq "only processes of that name" "host_leaks" \
		"$(jq -r '.stacks[].comm' "$T/j" | sort -u | tr '\n' ' ' | sed 's/ $//')"
}
run_test "fleet: --comm traces only the processes of that name" t_comm

t_all_bad_options() {
	expect_error "-a with -p" 2 "no -p PID or -- COMMAND" "$LEAKSCOPE" -a -p 1
	expect_error "--cgroup with a command" 2 "no -p PID or -- COMMAND" \
		"$LEAKSCOPE" --cgroup /sys/fs/cgroup -- /bin/true
	expect_error "--comm too long" 2 "invalid --comm" "$LEAKSCOPE" --comm 0123456789abcdef
	expect_error "--cgroup that does not exist" 3 "no cgroup $T/none" \
		"$LEAKSCOPE" --cgroup "$T/none"
	expect_error "--cgroup that is no cgroup" 3 "is not a cgroup v2 directory" \
		"$LEAKSCOPE" --cgroup "$T"
}
run_test "fleet: bad -a, --cgroup, --comm" t_all_bad_options
