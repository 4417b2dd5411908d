# The README's two commands: `make run` and `make test`. Both install the Debian
# packages mlpath needs (only when missing), then build.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=Release

.PHONY: run test build deps clean

deps:
	@./deploy/install-deps.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@echo "mlpath: no Slack or Discord credentials are needed for the terminal chat; starting 'mlpath chat'."
	@echo "mlpath: answers are stored in $${MLPATH_DB:-./mlpath.db}. Press Ctrl-D to leave; run 'make run' again to resume."
	$(BUILD_DIR)/mlpath chat

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
