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

asan: setup
	cmake --preset asan-ubsan
	cmake --build build/asan -j $(JOBS)
	cd build/asan && ctest --output-on-failure -j $(JOBS) --timeout 900

fuzz: setup
	cmake --preset fuzz
	cmake --build build/fuzz -j $(JOBS)
	bash scripts/fuzz-smoke build/fuzz

format:
	find src tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
