# The two commands of the quick start:
#   make run   - set up, build, and start taskgated on ./var/taskgate.db with
#                the demo catalog, communities and principals
#   make test  - set up, build, and run every test
# And the benchmark (bench/README.md):
#   make bench - build taskgated and the load generator in Release in their
#                own build directory and measure; flags go in BENCH_ARGS,
#                e.g. make bench BENCH_ARGS='--sizes 10k,100k,1M'
BUILD_DIR ?= build
JOBS ?= 2
DB ?= ./var/taskgate.db
# Inside $(BUILD_DIR), so that `make clean` and .gitignore cover it.
BENCH_BUILD_DIR ?= $(BUILD_DIR)/bench-release
BENCH_JSON ?= $(BENCH_BUILD_DIR)/bench-results.json
BENCH_ARGS ?=

.PHONY: setup build run test bench format-check clean

setup:
	@bash deploy/setup.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/services/taskgated --db $(DB) --demo

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

$(BENCH_BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BENCH_BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

bench: setup $(BENCH_BUILD_DIR)/CMakeCache.txt
	cmake --build $(BENCH_BUILD_DIR) -j$(JOBS) --target taskgated taskgate_loadgen
	$(BENCH_BUILD_DIR)/bench/taskgate_loadgen \
	  --taskgated $(BENCH_BUILD_DIR)/services/taskgated \
	  --json $(BENCH_JSON) $(BENCH_ARGS)

format-check:
	@git ls-files '*.h' '*.cc' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD_DIR)
