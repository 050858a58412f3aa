# SPDX-License-Identifier: MIT
#
# The two commands a newcomer runs: `make demo` and `make test`.
# Everything builds with CMake in build/ (plain) and build-asan/ (ASan+UBSan).

JOBS      ?= $(shell nproc)
BUILD     ?= build
ASAN      ?= build-asan
FUZZBUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CTEST_ARGS ?= --output-on-failure

.PHONY: all deps build test test-plain test-asan demo gen format format-check fuzz bench update-golden clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN)/CMakeCache.txt:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DAU_SANITIZER=address,undefined

test: test-plain test-asan

test-plain: build
	cd $(BUILD) && ctest $(CTEST_ARGS) -j $(JOBS) -LE bench

test-asan: deps $(ASAN)/CMakeCache.txt
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ctest $(CTEST_ARGS) -j $(JOBS) -LE bench

demo: build
	@bash scripts/demo.sh $(BUILD)/bin

gen: deps
	protoc-c --c_out=gen -Iproto proto/au.proto

format: deps
	sh scripts/format-check.sh --fix

format-check: deps
	sh scripts/format-check.sh

fuzz: deps
	CC=clang cmake -S . -B $(FUZZBUILD) -DAU_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(FUZZBUILD) -j $(JOBS)
	@sh scripts/fuzz.sh $(FUZZBUILD)/bin $(FUZZ_SECONDS)

# Rewrite the golden files (printed configs, metactl tables) from what the
# programs print now; review the diff before committing it.
update-golden: build
	cd $(BUILD) && AU_UPDATE_GOLDEN=1 ctest $(CTEST_ARGS) \
	    -R '^(meta_conf_test|metactl_test|test_updater_conf)$$'

bench: build
	@bash scripts/bench.sh $(BUILD)/bin

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZBUILD)
