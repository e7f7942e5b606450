# End-to-end: a Go program (tests/fixtures/go/main.go, pure Go 1.19) with
# goroutine, fd and Go heap leaks at named functions and lines; exact counts,
# with and without a symbol table, as a PIE, started by leakscope and attached
# to with -p.

# go_sum FILE KIND FUNC: the summed values of KIND's folded lines whose stack
# passes through FUNC (it or a goroutine it created, "created by" frames)
go_sum() {
	awk -v k="[$2];" -v f=";$3;" 'index($0, k) == 1 && index($0, f) { s += $NF }
		END { print s + 0 }' "$1"
}

# The fixture's source as its binaries name it, and go_line MARKER: the line
# that ends with the comment "// leakscope: MARKER".
GO_SRC=$(realpath "$TESTS/fixtures/go/main.go")
go_line() {
	grep -n "// leakscope: $1\$" "$GO_SRC" | cut -d: -f1
}

# go_fd_frames JSON FUNC: "function file:line[ inlined]" for each frame of the
# fd stack through FUNC in the last report of JSON
go_fd_frames() {
	tail -n 1 "$1" | jq -r --arg f "$2" '.stacks[]
		| select(.kind == "fd" and (.frames | index($f)))
		| [.frames, .sources] | transpose[]
		| "\(.[0]) \(.[1].file // ""):\(.[1].line // 0)\(if .[1].inlined then " inlined" else "" end)"'
}

# Where the leaks are in the source: the `go` statement's line (a return
# address: the line of the call before it), and main.openDevNull, which the
# compiler inlines into main.openFiles, as a frame of its own, in the text
# report, the JSON and the pprof profile.
expect_go_lines() {
	local go=$(go_line "go blockedSenders") call=$(go_line "blockedSenders call")
	local open=$(go_line open) opencall=$(go_line "openDevNull call") want
	expect_match "file:line of the go statement and its callers" \
		"^goroutine +7 chan send +7 .* runtime\.newproc <- main\.blockedSenders \(main\.go:$go\) <- main\.leak \(main\.go:$call\) <- " \
		"$T/out"
	want="main.openDevNull $GO_SRC:$open inlined|main.openFiles $GO_SRC:$opencall"
	expect_eq "JSON: the inlined call, then its caller" "$want" \
		"$(go_fd_frames "$T/j" main.openFiles | grep -A1 "^main.openDevNull " | paste -sd'|')"
	expect_eq "JSON: 3 files there" 3 "$(tail -n 1 "$T/j" | jq '[.stacks[]
		| select(.kind == "fd" and (.frames | index("main.openDevNull"))) | .objects] | add')"
	expect_eq "folded: the inlined call a frame" 3 \
		"$(go_sum "$T/f" fd "main.openFiles;main.openDevNull;os.OpenFile")"
	HOME=$T GOCACHE=$T/gocache /usr/lib/go-1.19/bin/go tool pprof -raw "$T/p.pb.gz" \
		>"$T/raw" 2>&1
	want="main.openDevNull $GO_SRC:$open s=0|main.openFiles $GO_SRC:$opencall s=0"
	expect_eq "pprof: one location, two lines" "$want" \
		"$(grep -A1 " main\.openDevNull " "$T/raw" | sed -E 's/^ +([0-9]+: 0x[0-9a-f]+ M=[0-9]+ )?//' | paste -sd'|')"
}

expect_go_sites() {
	local f=$1
	expect_folded "$f" "main.blockedSenders;runtime.newproc" 7
	expect_folded "$f" "main.rangeOverOpen;runtime.newproc" 4
	expect_folded "$f" "main.sleepers;runtime.newproc" 2
	# (a thread the runtime starts for them may stay: only goroutines count)
	expect_no_match "goroutines that finished are gone" "^\[goroutine\];.*;main\.finishers;" "$f"
	expect_eq "files open at main.openFiles" 3 "$(go_sum "$f" fd main.openFiles)"
	# each unclosed body keeps its client connection and its transport's
	# read and write goroutines, created by a goroutine leakBodies started
	expect_eq "sockets of unclosed bodies" 2 "$(go_sum "$f" fd main.leakBodies)"
	expect_eq "goroutines of unclosed bodies" 4 "$(go_sum "$f" goroutine main.leakBodies)"
	# The 16 MiB string is one sampled allocation: the runtime samples every
	# allocation of at least 18x MemProfileRate (the cap of its exponential
	# sampling distance), and pprof's scaling 1/(1-exp(-16 MiB/512 KiB)) is 1
	# to 14 digits: exact.
	expect_folded "$f" "main.retainSubstring;runtime.mallocgc" 16777216
}

# expect_timers_consistent JSON: the timer kind's last report adds up:
# started - stopped or fired = live, nothing dropped, no stack below 0
expect_timers_consistent() {
	local t
	t=$(tail -n 1 "$1" | jq -r '.kinds.timer | "\(.counters.acquired - .counters.released)"
		+ " \(.objects) \(.counters.dropped_object_map_full + .counters.dropped_site_map_full)"')
	set -- "$1" $t
	expect_eq "timers: started - stopped or fired = live" "$2" "$3"
	expect_eq "timers: none dropped" 0 "$4"
	expect_eq "timers: no stack below 0" 0 "$(tail -n 1 "$1" | jq '[.stacks[]
		| select(.kind == "timer" and .objects < 0)] | length')"
}

# The timers: 6 tickers never stopped at main.leakTickers, at the line of
# their time.NewTicker; the stopped, fired and run ones of main.doneTimers
# gone; the 2 sleepers' time.Sleep, at the goroutines that sleep.
expect_go_timers() {
	local f=$1 line=$(go_line NewTicker)
	expect_eq "tickers never stopped" 6 "$(go_sum "$f" timer main.leakTickers)"
	expect_eq "timers stopped, fired, run: none live" 0 "$(go_sum "$f" timer main.doneTimers)"
	expect_folded "$f" "main.sleepers.func1;time.Sleep;runtime.modtimer" 2
	expect_match "the ticker's line" \
		"^timer +6 +6 .* runtime\.addtimer <- time\.startTimer .* <- time\.NewTicker .* <- main\.leakTickers \(main\.go:$line\)" \
		"$T/out"
	expect_timers_consistent "$T/j"
	expect_eq "the 88 of the fixture's own seen started" yes \
		"$([ "$(tail -n 1 "$T/j" | jq .kinds.timer.counters.acquired)" -ge 88 ] && echo yes)"
}

# go_run BINARY [OPTION...]: traced from its start
go_run() {
	local bin=$1
	shift
	report_when_leaked "$T/out" "$T/err" "$@" --folded "$T/f" --json "$T/j" --pprof "$T/p.pb.gz" \
		-- "$bin" run 4
	expect_eq "exit code" 0 "$LS_RC"
	expect_go_sites "$T/f"
	expect_go_lines
	expect_go_timers "$T/f"
	expect_match "wait reason: chan send" "^goroutine +7 chan send +7 " "$T/out"
	expect_match "wait reason: chan receive" "^goroutine +4 chan receive +4 " "$T/out"
	expect_match "wait reason: sleep" "^goroutine +2 sleep +2 " "$T/out"
	expect_match "go-heap in the summary" "go-heap: [0-9.]+ MiB in" "$T/out"
	expect_no_match "no C heap in a static Go program" "^heap " "$T/out"
}

t_go_spawned() {
	go_run "$FIX/goleaks"
}
run_test "go: -- command, exact goroutines, fds, go-heap per function and line" t_go_spawned

t_go_stripped() {
	go_run "$FIX/goleaks_stripped"
	expect_no_match "every frame named from .gopclntab" "goleaks_stripped\+0x" "$T/f"
}
run_test "go: stripped (-s -w), the same names and lines from .gopclntab" t_go_stripped

# go_attach BINARY: attached to with -p while it waits, leaks, goes on
go_attach() {
	"$1" wait >"$T/fix.out" 2>&1 </dev/null &
	local fix=$! rc
	wait_for "$T/fix.out" "^ready"
	"$LEAKSCOPE" -v -p "$fix" -i 60 --folded "$T/f" --json "$T/j" --pprof "$T/p.pb.gz" \
		>"$T/out" 2>"$T/err" &
	local ls=$!
	wait_for "$T/err" "tracing PID $fix"
	kill -USR1 "$fix"
	wait_for "$T/fix.out" "^leaked"
	kill -INT "$ls"
	wait "$ls"
	expect_go_sites "$T/f"
	expect_go_lines
	expect_go_timers "$T/f"
	expect_match "sampling turned on" "MemProfileRate set from 0 to 524288" "$T/err"
	expect_match "and restored" "MemProfileRate restored to 0" "$T/err"
	# the program goes on unharmed: same output, same exit code
	kill -TERM "$fix"
	wait "$fix"
	rc=$?
	expect_eq "fixture exit code" 3 "$rc"
	expect_eq "fixture output" "ready leaked 8 done" "$(echo $(cat "$T/fix.out"))"
}

t_go_attached() {
	go_attach "$FIX/goleaks"
}
run_test "go: -p attach, sampling on and restored, program unharmed" t_go_attached

# -buildmode=pie: .data.rel.ro.gopclntab, an interpreter but no libc, and
# MemProfileRate where the kernel loaded the executable
t_go_pie() {
	go_attach "$FIX/goleaks_pie"
	expect_no_match "no C heap without cgo" "^\[heap\]" "$T/f"
}
run_test "go: -p attach to a PIE, the same exact values and lines" t_go_pie

# a started PIE: stopped at main.main where the kernel loaded it, sampling
# turned on there as with -p
t_go_pie_spawned() {
	go_run "$FIX/goleaks_pie" -v
	expect_match "sampling turned on" "MemProfileRate set from 0 to 524288" "$T/err"
}
run_test "go: -- command, a PIE: sampling turned on at main.main, the same exact values" \
	t_go_pie_spawned

t_go_kinds() {
	report_when_leaked "$T/out" "$T/err" --kinds goroutine --folded "$T/f" -- "$FIX/goleaks" run 3
	expect_eq "exit code" 0 "$LS_RC"
	expect_folded "$T/f" "main.blockedSenders;runtime.newproc" 7
	expect_no_match "only goroutines" "^\[(fd|go-heap|thread)\]" "$T/f"
	expect_error "Go kinds of a C program" 2 "not Go" \
		"$LEAKSCOPE" --kinds goroutine,go-heap -d 1 -- "$FIX/heap_leaks"
}
run_test "go: --kinds goroutine; the Go kinds need a Go program" t_go_kinds

# A ticker leaked every 100 ms (and one stopped, and a time.After waited
# for): 40 live at main.tickEvery, a stack whose verdict is growing.
t_go_timers_growing() {
	"$LEAKSCOPE" -i 0.5 --window 4 --json "$T/j" --folded "$T/f" -- "$FIX/goleaks" tick 40 \
		>"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_eq "tickers never stopped" 40 "$(go_sum "$T/f" timer main.tickEvery)"
	expect_eq "one stack there, growing" growing "$(tail -n 1 "$T/j" | jq -r '.stacks[]
		| select(.kind == "timer" and (.frames | index("main.tickEvery"))) | .verdict')"
	expect_match "in the text report" \
		"^timer +40 +40 .* growing \+[0-9.]+/s for [0-9]+ s +runtime\.addtimer <- time\.startTimer .* <- main\.tickEvery " \
		"$T/out"
	expect_timers_consistent "$T/j"
}
run_test "go: timers, a ticker never stopped is a growing stack; stopped and fired ones go" \
	t_go_timers_growing

# Go 1.20 to 1.26: esbuild's own stripped, static binaries (npm's
# @esbuild/linux-x64), fetched once into $BUILD/npm. `esbuild --serve` is a
# net/http server: each client connection held open is one goroutine that
# net/http.(*Server).Serve created, and one socket it accepted.
# VERSION:GO:LINE, LINE the `go c.serve(connCtx)` of net/http/server.go there.
GO_ESBUILDS="0.17.19:1.20.4:3089 0.23.1:1.22.5:3290 0.25.0:1.23.5:3360 0.27.0:1.25.4:3493 0.28.2:1.26.5:3464"
GO_HELD=5

# esbuild_fetch VERSION: the binary's path on stdout; why not on stderr
esbuild_fetch() {
	local dir=$BUILD/npm/esbuild-$1
	if [ ! -x "$dir/package/bin/esbuild" ]; then
		if ! command -v npm >/dev/null; then
			echo "npm not installed" >&2
			return 1
		fi
		rm -rf "$dir" && mkdir -p "$dir"
		if ! (cd "$dir" && timeout 120 npm pack --silent --fetch-retries=0 \
			"@esbuild/linux-x64@$1" >npm.out 2>npm.err &&
			tar xzf "esbuild-linux-x64-$1.tgz"); then
			echo "npm pack @esbuild/linux-x64@$1 failed (no network?):" \
				"$(grep -m1 -i err "$dir/npm.err")" >&2
			rm -rf "$dir"
			return 1
		fi
	fi
	echo "$dir/package/bin/esbuild"
}

# socket fds of process $1
go_sockets() {
	ls -l /proc/"$1"/fd 2>/dev/null | grep -c "socket:"
}

# esbuild_leaks PID PORT: four reads of a 16 MiB file (each one sampled: at
# least 18x MemProfileRate), then $GO_HELD connections held open (fds 20..)
esbuild_leaks() {
	local pid=$1 port=$2 before i
	for i in 1 2 3 4; do
		curl -s -H "Connection: close" -o /dev/null "http://127.0.0.1:$port/big.bin" ||
			fail "GET big.bin"
	done
	before=$(go_sockets "$pid")
	for i in $(seq $GO_HELD); do
		eval "exec $((19 + i))<>/dev/tcp/127.0.0.1/$port"
	done
	wait_until_sockets "$pid" $((before + GO_HELD))
	sleep 0.3 # accepted; its goroutine follows
}

wait_until_sockets() {
	local i
	for i in $(seq 100); do
		[ "$(go_sockets "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "the server accepted $(go_sockets "$1") sockets, not $2"
}

esbuild_release() {
	local i
	for i in $(seq $GO_HELD); do
		eval "exec $((19 + i))>&-"
	done
	exec 8>&- # esbuild stops when its stdin closes
}

# expect_esbuild GO LINE: what every run on Go GO shows
expect_esbuild() {
	local go=$1 line=$2 serve="net/http.(*Server).Serve"
	expect_match "version from the binary" "Go go$go \(stripped" "$T/err"
	expect_match "its row in the table, wait reasons compared" \
		"Go runtime as in go$go \(esbuild .*\), wait reasons the same" "$T/err"
	# esbuild links runtime/pprof (its --heap option): sampling is on
	expect_match "heap sampling on already" "MemProfileRate is 524288 already" "$T/err"
	# goroutines: exactly the held connections at their creator, with the
	# line of the go statement, each waiting on its socket (the GC workers
	# a request started count there too, "created by" a connection)
	expect_folded "$T/f" "$serve;runtime.newproc" $GO_HELD
	expect_match "wait reason IO wait, $serve (server.go:$line) right after runtime.newproc" \
		"^goroutine +$GO_HELD IO wait +$GO_HELD .* runtime\.newproc <- net/http\.\(\*Server\)\.Serve \(server\.go:$line\) <- " \
		"$T/out"
	# fds with Go stacks: the accepted sockets
	expect_eq "sockets accepted in $serve" $GO_HELD "$(go_sum "$T/f" fd "$serve")"
	# go-heap: the 16 MiB reads are sampled with certainty and scaled by 1:
	# in use, a multiple of 16 MiB, exactly; the GCs the next reads caused
	# freed at least one (which of them is the GC's timing)
	local read="github.com/evanw/esbuild/internal/fs.(*realOpenedFile).Read" bytes
	bytes=$(go_sum "$T/f" go-heap "$read")
	expect_eq "16 MiB reads in use at $read: a multiple of 16 MiB" 0 $((bytes % 16777216))
	expect_eq "at least one of the 4 freed" yes "$([ "$bytes" -le $((3 * 16777216)) ] && echo yes)"
	expect_match "the 4 reads sampled" \
		"^counters go-heap: ([4-9]|[1-9][0-9]+) allocations sampled, [1-9][0-9]* sampled objects freed" "$T/out"
	expect_no_match "nothing absurd in use" "go-heap: [0-9.]+ (GiB|TiB)" "$T/out"
	expect_esbuild_timers "$go"
}

# Timers: Go 1.20 and 1.22 keep them as 1.19 does: the kind attaches and
# adds up; Go 1.23 rewrote them: one line says they are not traced.
expect_esbuild_timers() {
	if [ "${1#1.}" \< 23 ]; then
		expect_match "timer probes attached" "probe runtime\.runOneTimer " "$T/err"
		expect_timers_consistent "$T/j"
	else
		expect_match "said in one line" \
			"^leakscope: Go go$1: its timers \(rewritten in Go 1\.23\) not known to leakscope: timers not traced$" \
			"$T/err"
		expect_eq "in one line" 1 "$(grep -c "timers" "$T/err")"
		expect_no_match "no timers" "^\[timer\]" "$T/f"
		expect_eq "no timer kind in the report" null "$(tail -n 1 "$T/j" | jq .kinds.timer)"
	fi
}

# The creator stack of the server's goroutine, as far as main: the call
# to cli.Run that the compiler inlined into main.main.func1 (spawned only:
# with -p that goroutine was created before).
expect_esbuild_inlined() {
	expect_eq "the inlined frame, file:line, then its caller" \
		"github.com/evanw/esbuild/pkg/cli.Run github.com/evanw/esbuild/pkg/cli/cli.go:31 inlined|main.main.func1" \
		"$(go_fd_frames "$T/j" "net/http.(*Server).Serve" | grep -A1 " inlined$" | sed 's/ [^ ]*:[0-9]*$//; s/^\(main.main.func1\).*/\1/' | paste -sd'|')"
}

# esbuild_run VERSION GO LINE MODE (spawned or attached)
esbuild_run() {
	local bin port=$((20000 + RANDOM % 20000)) ls es www=$T/www
	if ! bin=$(esbuild_fetch "$1" 2>"$T/why"); then
		skip "$(cat "$T/why")"
		return
	fi
	mkdir -p "$www" && echo hi >"$www/index.html"
	head -c 16777216 /dev/zero >"$www/big.bin"
	mkfifo "$T/in"
	if [ "$4" = spawned ]; then
		"$LEAKSCOPE" -v -i 600 --folded "$T/f" --json "$T/j" -- \
			"$bin" --serve=127.0.0.1:$port --servedir="$www" <"$T/in" >"$T/out" 2>"$T/err" &
		ls=$!
		exec 8>"$T/in"
		wait_for "$T/err" "Local: http://127.0.0.1:$port/" 20
		es=$(pgrep -P "$ls" -x esbuild)
	else
		"$bin" --serve=127.0.0.1:$port --servedir="$www" <"$T/in" >"$T/es.out" 2>&1 &
		es=$!
		exec 8>"$T/in"
		wait_for "$T/es.out" "Local: http://127.0.0.1:$port/" 20
		"$LEAKSCOPE" -v -p "$es" -i 600 --folded "$T/f" --json "$T/j" >"$T/out" 2>"$T/err" &
		ls=$!
		wait_for "$T/err" "tracing PID $es"
	fi
	esbuild_leaks "$es" "$port"
	kill -INT "$ls"
	wait "$ls"
	esbuild_release
	wait "$es" 2>/dev/null
	expect_esbuild "$2" "$3"
	[ "$4" = attached ] || expect_esbuild_inlined
}

for v in $GO_ESBUILDS; do
	IFS=: read -r ESB GOV LINE <<<"$v"
	eval "t_go_esbuild_${GOV//./_}_spawned() { esbuild_run $ESB $GOV $LINE spawned; }"
	eval "t_go_esbuild_${GOV//./_}_attached() { esbuild_run $ESB $GOV $LINE attached; }"
	run_test "go $GOV: esbuild $ESB -- command, goroutines, fds, go-heap exact" \
		"t_go_esbuild_${GOV//./_}_spawned"
	run_test "go $GOV: esbuild $ESB -p attach, the same exact values" \
		"t_go_esbuild_${GOV//./_}_attached"
done

# A Go version leakscope does not know: the 1.19 fixture saying it is 1.21
# (no row), or 1.20 (a row, whose wait reasons its runtime does not have):
# one line says so, goroutines and the Go heap are not traced, fds are, with
# their Go stacks; asked for goroutines only, nothing is left to trace.
go_as_version() {
	LC_ALL=C sed 's/go1\.19\./go1.'"$1"'./g' "$FIX/goleaks_stripped" >"$T/goleaks_$1"
	chmod +x "$T/goleaks_$1"
}

t_go_unknown() {
	local v why
	for v in 21 20; do
		go_as_version $v
		report_when_leaked "$T/out" "$T/err" --folded "$T/f" -- "$T/goleaks_$v" run 4
		expect_eq "exit code" 0 "$LS_RC"
		why="a version leakscope does not know \(it knows Go 1\.18-1\.19, 1\.20, 1\.22, 1\.23, 1\.25, 1\.26\)"
		[ $v = 21 ] || why="not the runtime of leakscope's Go 1\.20: wait reason 21 is \"timer goroutine \(idle\)\", not \"sync\.Mutex\.Lock\""
		expect_match "said (1.$v)" "^leakscope: Go go1\.$v\.[0-9]+: $why: goroutines and the Go heap not traced$" "$T/err"
		expect_eq "in one line (1.$v)" 1 "$(grep -c "go1\.$v" "$T/err")"
		expect_no_match "no goroutines, no Go heap (1.$v)" "^\[(goroutine|go-heap)\]" "$T/f"
		expect_eq "fds with Go stacks (1.$v)" 3 "$(go_sum "$T/f" fd main.openFiles)"
	done
	expect_error "only Go kinds of an unknown version" 2 \
		"^leakscope: nothing to trace: Go go1\.21\.[0-9]+: a version leakscope does not know" \
		"$LEAKSCOPE" --kinds goroutine,go-heap -d 1 -- "$T/goleaks_21" run 1
}
run_test "go: a version not in the table (1.21), or whose runtime differs from its row: said in one line" \
	t_go_unknown
