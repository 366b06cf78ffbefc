# Thin wrapper: the two commands of README's quick start.
#   make demo   — throwaway OpenLDAP directory + idbridged + the example fleet host
#   make test   — every test (unit, integration against real servers, sanitizers)
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test test-fast asan tsan fuzz demo deps clean

all: build

build:
	@bash .ci/install-deps build
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)

# Everything: the main build's tests, then unit tests under ASan+UBSan and the
# concurrency tests under TSan.
test:
	@bash .ci/install-deps test
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)
	cd build && ctest --output-on-failure -j $(JOBS) --timeout 600
	$(MAKE) --no-print-directory asan tsan fuzz

asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIDB_SANITIZE=address,undefined -DIDB_BUILD_BENCH=OFF >/dev/null
	cmake --build build-asan -j $(JOBS) --target idb_unit_tests
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L unit

tsan:
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIDB_SANITIZE=thread -DIDB_BUILD_BENCH=OFF >/dev/null
	cmake --build build-tsan -j $(JOBS) --target idb_tsan_tests
	# Every test of the binaries built here; Samba's binary (a plain add_test) is not one of them.
	cd build-tsan && ctest --output-on-failure -j $(JOBS) -L 'unit|integration' -E '^ldap_samba_ad_test$$'

# Every fuzz target (tests/fuzz) for FUZZ_SECONDS each over its seed corpus,
# built with clang under ASan+UBSan. Longer run: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 8
fuzz:
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DIDB_SANITIZE=address,undefined -DIDB_FUZZ=ON -DIDB_WERROR=OFF -DIDB_BUILD_BENCH=OFF \
	  -DIDB_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target idb_fuzzers
	cd build-fuzz && ctest --output-on-failure -L fuzz

demo:
	@bash .ci/install-deps demo
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)
	bash tests/support/demo.sh $(if $(ONESHOT),--oneshot,)

clean:
	rm -rf build build-asan build-tsan build-fuzz
