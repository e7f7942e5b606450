# leakscope: build, test, demo, install.
#
#   make            build build/leakscope
#   sudo make demo  install Debian packages, build, trace the demo program
#   sudo make test  install Debian packages, build, run every test
#   make lint       clang-format check
#   make bpf-headers each BPF header compiles alone (run by make test)
#   make install PREFIX=/usr/local

SHELL	:= /bin/bash
PREFIX	?= /usr/local
BUILD	:= build
CC	?= gcc
CLANG	?= clang
BPFTOOL	?= bpftool

# Debian 12 packages the build and the tests need.
DEB_PACKAGES := build-essential clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
		libcapstone-dev libjemalloc-dev libjemalloc2 clang-format valgrind \
		libclang-rt-14-dev binutils procps redis-server redis-tools \
		golang-1.19-go jq curl prometheus

CFLAGS	?= -O2 -g
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc -I$(BUILD)
LDLIBS	+= -lbpf -lelf -lz -lcapstone -lstdc++ -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -Ibpf -I$(BUILD)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SRCS	 := $(wildcard src/*.c)
OBJS	 := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
LIB_OBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))

# Unit tests: each links the userspace library (they never load BPF).
UNIT_TESTS := symbolize aggregate cli report report_build placement cfi gopclntab pclntab_formats verdict report_json protobuf prometheus heap_table \
	      go_versions leak_check
UNIT_BINS  := $(patsubst %,$(BUILD)/unit/test_%,$(UNIT_TESTS))

FUZZERS	:= proc_maps elf cli cfi gopclntab
FUZZ_MODS_proc_maps := proc_maps util
FUZZ_MODS_elf	    := elf_file elf_symtab go_elf gopclntab util
FUZZ_MODS_gopclntab := gopclntab
FUZZ_MODS_cli	    := cli cli_usage cli_value
# the kinds' names come from the kind table: the rest of the library, not instrumented
FUZZ_LINK_cli	    := $(filter-out $(BUILD)/obj/cli.o $(BUILD)/obj/cli_usage.o $(BUILD)/obj/cli_value.o,\
			   $(LIB_OBJS)) $(LDLIBS)
FUZZ_MODS_cfi	    := cfi cfi_cursor cfi_interp unwind_table elf_file
FUZZ_SECONDS ?= 20

.DELETE_ON_ERROR:
.PHONY: all print-deps deps matrix-deps demo test unit fixtures lint format install clean sanitize valgrind fuzz bench bench-host soak \
	verifier-report bpf-headers

all: $(BUILD)/leakscope

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/*.h) $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Each BPF header includes what it uses, at its top: it compiles alone, as
# the only include of a file, with the BPF build's flags.
BPF_HEADERS := $(wildcard bpf/*.bpf.h)
bpf-headers: $(BUILD)/vmlinux.h
	@for h in $(BPF_HEADERS); do \
		echo "#include \"$${h#bpf/}\"" | $(CLANG) $(BPF_CFLAGS) -x c -c - -o /dev/null \
			|| { echo "bpf-headers: $$h does not compile alone"; exit 1; }; \
		awk '/^#include/ && code { print FILENAME ":" FNR ": an include after code"; bad = 1 } \
			/^(static|struct|const|enum|extern|typedef|char|SEC|__)/ { code = 1 } \
			END { exit bad }' $$h || exit 1; \
	done; echo "bpf-headers: $(words $(BPF_HEADERS)) headers compile alone, includes at the top"

$(BUILD)/leakscope.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/leakscope.skel.h: $(BUILD)/leakscope.bpf.o
	$(BPFTOOL) gen skeleton $< name leakscope_bpf > $@

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) $(wildcard include/*.h) $(BUILD)/leakscope.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/leakscope: $(OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

# The kernel matrix's (make matrix): QEMU, a static busybox for the guest's
# init, depmod/modprobe and xz for the kernels' modules.
MATRIX_PACKAGES := qemu-system-x86 busybox-static kmod xz-utils

print-deps:
	@echo $(DEB_PACKAGES) $(MATRIX_PACKAGES)

# Installs what is missing, once; a no-op when everything is there.
deps matrix-deps:
	@missing=$$(for p in $(if $(filter matrix-deps,$@),$(MATRIX_PACKAGES),$(DEB_PACKAGES)); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

.SECONDEXPANSION:
$(BUILD)/unit/test_%: tests/unit/test_%.c tests/unit/check.h $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/unit/fixtures/.built: tests/unit/build_fixtures.sh tests/unit/fixtures/syms.c \
		tests/unit/fixtures/cfi.cc
	sh tests/unit/build_fixtures.sh $(@D)
	touch $@

unit: $(UNIT_BINS) $(BUILD)/unit/fixtures/.built fixtures

fixtures:
	$(MAKE) -s -C tests/fixtures BUILD=$(abspath $(BUILD))/fixtures

demo: deps all fixtures
	sh tools/demo.sh $(BUILD)

test: deps all unit fixtures $(BUILD)/verifier-report bpf-headers
	sh tests/run.sh $(BUILD)

# The whole suite with the userspace built under ASan and UBSan (the
# fixtures stay as they are: they are what is traced, not what is tested).
SAN_FLAGS ?=
override CFLAGS += $(SAN_FLAGS)
override LDFLAGS += $(SAN_FLAGS)
sanitize: deps
	$(MAKE) BUILD=build/sanitize \
		SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		test

# The unit tests under Valgrind's memcheck.
valgrind: unit
	@for t in $(UNIT_BINS); do \
		valgrind -q --leak-check=full --error-exitcode=1 --suppressions=tests/valgrind.supp \
			$$t $(BUILD)/unit/fixtures >/dev/null \
			|| { echo "valgrind: $$t"; exit 1; }; \
	done; echo "valgrind: $(words $(UNIT_BINS)) unit tests clean"

# libFuzzer targets for every parser, each run FUZZ_SECONDS from tests/fuzz/corpus;
# an input that runs 10 s is a hang and fails the run.
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(addprefix src/,$$(addsuffix .c,$$(FUZZ_MODS_$$*))) \
		$$(filter %.o,$$(FUZZ_LINK_$$*))
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD) \
		-fsanitize=fuzzer,address,undefined $(filter %.c,$^) -o $@ $(FUZZ_LINK_$*) -lelf -lz

fuzz: $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZERS))
	@for f in $(FUZZERS); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$f; \
		$(BUILD)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			$(BUILD)/fuzz/corpus/$$f tests/fuzz/corpus/$$f >$(BUILD)/fuzz/$$f.log 2>&1 \
			|| { tail -n 30 $(BUILD)/fuzz/$$f.log; echo "fuzz: $$f failed"; exit 1; }; \
		echo "fuzz: $$f: $$(grep -E '^Done|^#[0-9]+' $(BUILD)/fuzz/$$f.log | tail -n 1)"; \
	done

# The overhead benchmark (tools/bench/): a malloc/free microbenchmark, a
# loader of no-op programs at leakscope's probe points (the floor), a
# process holding a million blocks. bcc's memleak is compared when present.
BENCH_BUILD := $(BUILD)/bench
BENCH_ROUNDS ?= 11
BENCH_CFLAGS := -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror

# the floors' programs (tools/bench/noop*.bpf.c)
$(BENCH_BUILD)/%.bpf.o: tools/bench/%.bpf.c tools/bench/noop.bpf.h $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_BUILD)/noop.skel.h: $(BENCH_BUILD)/noop.bpf.o
	$(BPFTOOL) gen skeleton $< name noop_bpf > $@

$(BENCH_BUILD)/noop_kmem.skel.h: $(BENCH_BUILD)/noop_kmem.bpf.o
	$(BPFTOOL) gen skeleton $< name noop_kmem_bpf > $@

$(BENCH_BUILD)/noop_kmem: tools/bench/noop_kmem.c $(BENCH_BUILD)/noop_kmem.skel.h
	$(CC) $(CFLAGS) -I$(BENCH_BUILD) $< -o $@ $(LDFLAGS) $(LDLIBS)

$(BENCH_BUILD)/noop_probes: tools/bench/noop_probes.c $(BENCH_BUILD)/noop.skel.h $(LIB_OBJS)
	$(CC) $(CFLAGS) -I$(BENCH_BUILD) $< $(LIB_OBJS) -o $@ $(LDFLAGS) $(LDLIBS)

$(BENCH_BUILD)/%: tools/bench/%.c tools/bench/bench_clock.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< -o $@

# its "new" workload calls libstdc++'s operators
$(BENCH_BUILD)/mallocbench: tools/bench/mallocbench.c tools/bench/bench_clock.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< -o $@ -lstdc++

$(BENCH_BUILD)/soak_target: tools/bench/soak/soak_target.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< -o $@

# The 30-minute soak (SOAK_SECONDS to change it): leakscope's RSS and CPU over
# time on a churning, slowly leaking target.
SOAK_SECONDS ?= 1800
soak: deps all $(BENCH_BUILD)/soak_target
	bash tools/bench/soak/soak.sh $(BUILD) $(SOAK_SECONDS)

# Per BPF program on the running kernel: verified instructions, the stack
# of its deepest call chain, verification time; fails over budget.
$(BUILD)/verifier-report: tools/verifier_report.c $(LIB_OBJS)
	$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDFLAGS) $(LDLIBS)

verifier-report: $(BUILD)/verifier-report
	$(BUILD)/verifier-report
	$(BUILD)/verifier-report --fp-only

bench: deps all $(BENCH_BUILD)/noop_probes $(BENCH_BUILD)/mallocbench $(BENCH_BUILD)/million \
		$(BENCH_BUILD)/pipebench $(BENCH_BUILD)/noop_kmem
	bash tools/bench/bench.sh $(BUILD)
	bash tools/bench/host.sh $(BUILD) $(BENCH_ROUNDS)

# -a alone: untraced, sampled (the default) and, with HOST_EXACT=1, --host-exact
bench-host: deps all $(BENCH_BUILD)/mallocbench
	bash tools/bench/host.sh $(BUILD) $(BENCH_ROUNDS)

FORMATTED := src/*.c src/*.h include/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/unit/*.h \
	     tests/unit/fixtures/*.c tests/fuzz/*.c tests/fixtures/*.c tests/fixtures/*.cc \
	     tools/bench/*.c tools/bench/*.h tools/*.c

lint:
	clang-format --dry-run -Werror $(FORMATTED)

format:
	clang-format -i $(FORMATTED)

install: $(BUILD)/leakscope
	install -D -m 0755 $(BUILD)/leakscope $(DESTDIR)$(PREFIX)/sbin/leakscope
	install -D -m 0644 man/leakscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/leakscope.8

clean:
	rm -rf $(BUILD)

# ---- Kernel matrix (tests/matrix/) -------------------------------------------
# The same build run under Debian 12's own kernels, booted in QEMU (TCG: slow,
# ~20x): each kernel is fetched with apt-get download into $(BUILD)/matrix,
# never installed. MATRIX_TESTS: an extended regex of the test names to run
# there (empty: only the kernel's features are shown). Every kernel is run;
# the target fails if any of them did.
#   make matrix MATRIX_KERNELS=6.12 MATRIX_TESTS='heap: '
#   tests/matrix/run-in-kernel.sh 6.1 -- sh -c 'uname -r; bpftool prog list'
MATRIX_KERNELS ?= 6.1 6.12
MATRIX_CMD ?= sh tests/matrix/guest-tests.sh $(BUILD)
# What each matrix kernel runs (the rest runs on the host's): the verifier
# budget and the refusal fallbacks, heap from the start and by PID, fds and
# threads, unwinding without frame pointers, a Go target, what a process
# holds at exit and --check, kernel allocations and mappings, the whole
# host (sampled page faults, escalation, a Go program started later).
MATRIX_TESTS ?= ^(kernel: |heap: -- command, exact bytes|heap: -p attach|fd/thread: -- command|unwind: -O2 without frame pointers|unwind: fds of a -O2|go: -- command|fd/thread: what the process held|check: a command leaking fds|kmem: |mmap: |host: -a finds a steady leak|host: -a escalates a static|host: -a traces a Go program started later)
.PHONY: matrix

# $(value ...): a regex's '$' must reach the guest as it was typed, not as a
# make variable.
matrix: matrix-deps all unit fixtures $(BUILD)/verifier-report
	@failed=""; p=0; f=0; mkdir -p $(BUILD)/matrix; for k in $(MATRIX_KERNELS); do \
		for try in 1 2; do \
			BUILD=$(BUILD) MATRIX_TESTS='$(value MATRIX_TESTS)' \
				bash tests/matrix/run-in-kernel.sh $$k -- $(MATRIX_CMD) \
				| tee $(BUILD)/matrix/$$k.out; \
			rc=$${PIPESTATUS[0]}; \
			[ $$try = 1 ] && grep -q 'Kernel panic - not syncing' $(BUILD)/matrix/$$k.out || break; \
			echo "matrix: $$k: the emulated guest kernel panicked (seen: an int3 of its own text patching under QEMU's TCG); once more"; \
		done; \
		[ "$$rc" = 0 ] || failed="$$failed $$k"; \
		set -- $$(tr -d '\r' <$(BUILD)/matrix/$$k.out | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' | tail -n 1); \
		p=$$((p + $${1:-0})); f=$$((f + $${2:-1})); \
	done; \
	[ -z "$$failed" ] || echo "matrix: failed on:$$failed"; \
	echo "matrix: $$p passed, $$f failed"; \
	[ -z "$$failed" ] && [ "$$f" = 0 ]
