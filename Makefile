# Entry points. CMake does the building; this file only names the common tasks.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
LISTEN     ?= 127.0.0.1:8080
DATA_DIR   ?= var
PREFIX     ?= /usr/local
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all build setup setup-build run test test-asan bench format clean install fuzz

all: build

setup-build:
	@scripts/setup.sh --build

setup:
	@scripts/setup.sh

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: setup-build
	@$(MAKE) --no-print-directory build
	@scripts/run.sh $(BUILD)/hookd $(DATA_DIR) $(LISTEN)

test: setup
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHOOKD_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -L unit -j $(JOBS)

bench: setup
	@$(MAKE) --no-print-directory build
	bench/run.sh $(BUILD)

# libhookd-verify (library, header, hookd-verify.pc) and whatever else has install rules.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# libFuzzer targets (tests/fuzz/fuzz_*.c) built with clang in $(FUZZ_BUILD), each run
# for $(FUZZ_SECONDS) s from its seed corpus (tests/fuzz/run.sh).
fuzz:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOOKD_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
