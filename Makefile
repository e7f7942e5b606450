# leakscope: build, test, demo, install.
#
#   make            build build/leakscope
#   sudo make demo  install Debian packages, build, trace the demo program
#   sudo make test  install Debian packages, build, run every test
#   make lint       clang-format check
#   make install PREFIX=/usr/local

PREFIX	?= /usr/local
BUILD	:= build
CC	?= gcc
CLANG	?= clang
BPFTOOL	?= bpftool

# Debian 12 packages the build and the tests need.
DEB_PACKAGES := build-essential clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
		libcapstone-dev libjemalloc-dev libjemalloc2 clang-format valgrind \
		libclang-rt-14-dev binutils procps

CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc -I$(BUILD)
LDLIBS	+= -lbpf -lelf -lz -lcapstone -lstdc++
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -Ibpf -I$(BUILD)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SRCS	 := $(wildcard src/*.c)
OBJS	 := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
LIB_OBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))

.DELETE_ON_ERROR:
.PHONY: all deps demo test unit e2e lint format install clean sanitize valgrind fuzz bench

all: $(BUILD)/leakscope

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/common.bpf.h include/leakscope.h $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/leakscope.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/leakscope.skel.h: $(BUILD)/leakscope.bpf.o
	$(BPFTOOL) gen skeleton $< name leakscope_bpf > $@

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) include/leakscope.h $(BUILD)/leakscope.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/leakscope: $(OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

# Installs what is missing, once; a no-op when everything is there.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

demo: deps all
	$(MAKE) -s -C tests/fixtures BUILD=$(abspath $(BUILD))/fixtures
	sh tools/demo.sh $(BUILD)

test: deps all
	$(MAKE) -s -C tests/fixtures BUILD=$(abspath $(BUILD))/fixtures
	sh tests/run.sh $(BUILD)

lint:
	clang-format --dry-run -Werror src/*.c src/*.h include/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/unit/*.h tests/fixtures/*.c tests/fixtures/*.cc

format:
	clang-format -i src/*.c src/*.h include/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/unit/*.h tests/fixtures/*.c tests/fixtures/*.cc

install: $(BUILD)/leakscope
	install -D -m 0755 $(BUILD)/leakscope $(DESTDIR)$(PREFIX)/sbin/leakscope
	install -D -m 0644 man/leakscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/leakscope.8

clean:
	rm -rf $(BUILD)
