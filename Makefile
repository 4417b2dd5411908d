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
	@if [ -n "$$SLACK_SIGNING_SECRET$$DISCORD_PUBLIC_KEY$$DISCORD_BOT_TOKEN" ]; then \
	  echo "mlpath: platform credentials found: starting 'mlpath serve' on $${MLPATH_LISTEN:-127.0.0.1:3000}."; \
	  exec $(BUILD_DIR)/mlpath serve; \
	else \
	  echo "mlpath: no Slack or Discord credentials set: starting the terminal chat ('mlpath chat')."; \
	  echo "mlpath: answers are stored in $${MLPATH_DB:-./mlpath.db}. Press Ctrl-D to leave; run 'make run' again to resume."; \
	  exec $(BUILD_DIR)/mlpath chat; \
	fi

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
