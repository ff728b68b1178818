# The two commands of the quick start:
#   make run   - set up, build, and start taskgated on ./var/taskgate.db with
#                the demo catalog, communities and principals
#   make test  - set up, build, and run every test
BUILD_DIR ?= build
JOBS ?= 2
DB ?= ./var/taskgate.db

.PHONY: setup build run test format-check clean

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

format-check:
	@git ls-files '*.h' '*.cc' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD_DIR)
