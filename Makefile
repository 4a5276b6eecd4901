# Herald: `make run` installs what is missing, builds build/herald and starts the server;
# `make test` does the same set-up and runs every test. Both work on a fresh Debian 12 (root).

BUILD_DIR ?= build
BUILD_TYPE ?= Release
LISTEN ?= 127.0.0.1:8080
STORE ?= sqlite://var/herald.db

# Debian packages needed to build and run.
BUILD_PKGS := g++ cmake ninja-build pkg-config libboost-dev libcurl4-openssl-dev libssl-dev \
  libsqlite3-dev libsimdjson-dev libpcre2-dev libcli11-dev libtomlplusplus-dev libgtest-dev \
  libgmock-dev libpq-dev
# Extra packages the tests use (format check, oracle, NetBox's client, fuzzer, load tools, browser,
# the PostgreSQL server for the PostgreSQL store's tests).
TEST_PKGS := clang-format python3 python3-jinja2 python3-pynetbox clang libclang-rt-14-dev curl wrk chromium \
  postgresql

# ctest runs this many test binaries at once (each test uses its own ports, dirs and servers).
TEST_JOBS ?= $(shell nproc)
# Sanitizer builds: -O1 with line tables only (-g1) is what the sanitizers recommend, and it
# compiles much faster than RelWithDebInfo's -O2 -g while keeping file:line in every report.
SANITIZE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build run test format-check format test-main test-sanitize test-tsan \
  test-fuzz clean bench

all: build

deps:
	@missing=$$(for p in $(BUILD_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

test-deps: deps
	@missing=$$(for p in $(TEST_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
	@# Node.js may come from another repository (nodesource bundles npm): install Debian's only
	@# when the commands are missing, never over an existing install.
	@command -v node >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs; }
	@command -v npm >/dev/null || { DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	@if [ ! -d tests/ui/node_modules/playwright-core ]; then \
	  cd tests/ui && npm ci --no-audit --no-fund; fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target herald

run: build
	@mkdir -p var
	./$(BUILD_DIR)/herald serve --listen $(LISTEN) --store $(STORE)

# Every test: the format check, the Release build's suites (unit, conformance, differential,
# integration, UI), the user-facing engines' tests under AddressSanitizer+UBSan, the threaded
# modules' tests under ThreadSanitizer, then a bounded fuzz run. Every build treats warnings as
# errors. Each stage prints how long it took, and the whole run its total; the first failure
# stops it.
test: test-deps
	@bash -c 'all=$$SECONDS; for s in format-check test-main test-sanitize test-tsan test-fuzz; do \
	  start=$$SECONDS; \
	  $(MAKE) --no-print-directory $$s; rc=$$?; \
	  echo "== stage $$s: $$((SECONDS - start)) s (exit $$rc)"; [ $$rc = 0 ] || exit $$rc; done; \
	  echo "== make test: $$((SECONDS - all)) s in all"'

# clang-format (version 14, Debian's) over every tracked C++ source and header; generated tables
# (*.inc) are not matched. `make format` rewrites the files in place.
CLANG_FORMAT ?= clang-format
FORMAT_FILES = $(shell git ls-files -- '*.cc' '*.h' ':(exclude)third_party/**')
format-check:
	@echo "clang-format --dry-run --Werror over $(words $(FORMAT_FILES)) files"
	@$(CLANG_FORMAT) --dry-run --Werror --ferror-limit=1 $(FORMAT_FILES) || \
	  { echo "format-check: the files above are not clang-formatted; run make format"; exit 1; }

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

test-main:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHERALD_WERROR=ON \
	  > /dev/null
	cmake --build $(BUILD_DIR)
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(TEST_JOBS)

SANITIZE_TESTS := unit_value unit_conditions unit_jinja jinja_conformance jinja_language jinja_cyclic jinja_hostile \
  unit_http
test-sanitize:
	cmake -S . -B build-asan -G Ninja $(SANITIZE_FLAGS) -DHERALD_WERROR=ON \
	  "-DHERALD_SANITIZE=address;undefined" > /dev/null
	cmake --build build-asan --target $(SANITIZE_TESTS)
	cd build-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -j$(TEST_JOBS) -R '^($(subst $(eval) ,|,$(SANITIZE_TESTS)))$$'

# The modules that run threads (the store's writer and write queue, the delivery transport, the
# API's ingest pool, the HTTP server) under ThreadSanitizer; any report fails the test.
TSAN_TESTS := unit_store unit_delivery unit_api unit_http
test-tsan:
	cmake -S . -B build-tsan -G Ninja $(SANITIZE_FLAGS) -DHERALD_WERROR=ON \
	  -DHERALD_SANITIZE=thread > /dev/null
	cmake --build build-tsan --target $(TSAN_TESTS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j$(TEST_JOBS) -R '^($(subst $(eval) ,|,$(TSAN_TESTS)))$$'

FUZZ_SECONDS ?= 20
test-fuzz:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
	  -DHERALD_WERROR=ON -DHERALD_FUZZ=ON -DHERALD_JINJA_FUZZ_SECONDS=$(FUZZ_SECONDS) > /dev/null
	cmake --build build-fuzz --target jinja_fuzz conditions_fuzz handler_fuzz ingest_fuzz
	cd build-fuzz && ctest --output-on-failure -R 'fuzz'

bench: build
	cmake --build $(BUILD_DIR) --target benchmarks

clean:
	rm -rf $(BUILD_DIR)
