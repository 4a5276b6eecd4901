# Herald: `make run` installs what is missing, builds build/herald and starts the server;
# `make test` does the same set-up and runs every test. Both work on a fresh Debian 12 (root).

BUILD_DIR ?= build
BUILD_TYPE ?= Release
LISTEN ?= 127.0.0.1:8080
STORE ?= sqlite://var/herald.db

# Debian packages needed to build and run.
BUILD_PKGS := g++ cmake ninja-build pkg-config libboost-dev libcurl4-openssl-dev libssl-dev \
  libsqlite3-dev libhiredis-dev libsimdjson-dev libpcre2-dev libcli11-dev libtomlplusplus-dev \
  libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
# Extra packages the tests use (oracle, fuzzer, servers, load tools).
TEST_PKGS := python3 python3-jinja2 clang libclang-rt-14-dev redis-server curl wrk chromium

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build run test test-main test-sanitize test-fuzz clean bench

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

# Every test: the Release build's suites (unit, conformance, differential, integration, UI),
# then the user-facing engines' tests under AddressSanitizer+UBSan, then a bounded fuzz run.
# Each stage prints how long it took, and the whole run its total; the first failure stops it.
test: test-deps
	@bash -c 'all=$$SECONDS; for s in test-main test-sanitize test-fuzz; do start=$$SECONDS; \
	  $(MAKE) --no-print-directory $$s; rc=$$?; \
	  echo "== stage $$s: $$((SECONDS - start)) s (exit $$rc)"; [ $$rc = 0 ] || exit $$rc; done; \
	  echo "== make test: $$((SECONDS - all)) s in all"'

test-main: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)
	cd $(BUILD_DIR) && ctest --output-on-failure

SANITIZE_TESTS := unit_value unit_conditions unit_jinja jinja_conformance jinja_cyclic jinja_hostile \
  unit_http
test-sanitize:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  "-DHERALD_SANITIZE=address;undefined" > /dev/null
	cmake --build build-asan --target $(SANITIZE_TESTS)
	cd build-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -R '^($(subst $(eval) ,|,$(SANITIZE_TESTS)))$$'

FUZZ_SECONDS ?= 20
test-fuzz:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
	  -DHERALD_FUZZ=ON -DHERALD_JINJA_FUZZ_SECONDS=$(FUZZ_SECONDS) > /dev/null
	cmake --build build-fuzz --target jinja_fuzz conditions_fuzz handler_fuzz ingest_fuzz
	cd build-fuzz && ctest --output-on-failure -R 'fuzz'

bench: build
	cmake --build $(BUILD_DIR) --target benchmarks

clean:
	rm -rf $(BUILD_DIR)
