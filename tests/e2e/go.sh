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

# go_run BINARY: traced from its start
go_run() {
	report_when_leaked "$T/out" "$T/err" --folded "$T/f" --json "$T/j" --pprof "$T/p.pb.gz" \
		-- "$1" run 4
	expect_eq "exit code" 0 "$LS_RC"
	expect_go_sites "$T/f"
	expect_go_lines
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

t_go_kinds() {
	report_when_leaked "$T/out" "$T/err" --kinds goroutine --folded "$T/f" -- "$FIX/goleaks" run 3
	expect_eq "exit code" 0 "$LS_RC"
	expect_folded "$T/f" "main.blockedSenders;runtime.newproc" 7
	expect_no_match "only goroutines" "^\[(fd|go-heap|thread)\]" "$T/f"
	expect_error "Go kinds of a C program" 2 "not Go" \
		"$LEAKSCOPE" --kinds goroutine,go-heap -d 1 -- "$FIX/heap_leaks"
}
run_test "go: --kinds goroutine; the Go kinds need a Go program" t_go_kinds
