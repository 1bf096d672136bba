# The two commands: `make run` and `make test`. Everything else is a helper.
PRESET ?= release
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all setup build run test bench asan fuzz format clean

all: build

setup:
	@bash scripts/setup

$(BUILD)/build.ninja:
	cmake --preset $(PRESET)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/demo $(BUILD)/src/cli/retro

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	$(BUILD)/src/cli/retro bench cel

# The sanitizer smoke step under ASan+UBSan: the engine's and the policies'
# tests (the parsers, the evaluator and the loaders see hostile input), and
# the store's, the pipeline's and the runs' (threads, batches, recovery).
ASAN_TARGETS := base_test cel_core_test cel_parser_test cel_checker_test \
                cel_stdlib_test cel_ext_test cel_json_test cel_conformance policy_test \
                store_test pipeline_test run_manager_test run_json_test
asan: setup
	cmake --preset asan-ubsan
	cmake --build build/asan -j $(JOBS) --target $(ASAN_TARGETS)
	cd build/asan && ctest --output-on-failure -j $(JOBS) --timeout 900 \
	  -R '^[A-Za-z]+Test\.|^cel_conformance$$'

# The fuzz smoke step: the libFuzzer targets for FUZZ_SECONDS (default 60).
FUZZ_TARGETS ?= cel_fuzzer json_fuzzer policy_fuzzer
fuzz: setup
	cmake --preset fuzz
	cmake --build build/fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	bash scripts/fuzz-smoke build/fuzz

format:
	find src tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
