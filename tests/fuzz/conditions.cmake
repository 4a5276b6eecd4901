# libFuzzer target for the condition language (HERALD_FUZZ=ON, clang). The conditions sources are
# compiled into the target itself so they carry the fuzzer's coverage instrumentation.
file(GLOB _conditions_fuzz_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/conditions/*.cc)
add_executable(conditions_fuzz ${CMAKE_CURRENT_LIST_DIR}/conditions_fuzz.cc ${_conditions_fuzz_srcs})
target_include_directories(conditions_fuzz PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(conditions_fuzz PRIVATE herald_value PkgConfig::PCRE2)
target_compile_options(conditions_fuzz PRIVATE -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
target_link_options(conditions_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
herald_target_options(conditions_fuzz)

# Bounded run for `make test` (same seconds as the template engine's fuzzer).
if(NOT DEFINED HERALD_JINJA_FUZZ_SECONDS)
  set(HERALD_JINJA_FUZZ_SECONDS 20)
endif()
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/conditions_fuzz_corpus)
add_test(NAME conditions_fuzz_smoke
         COMMAND $<TARGET_FILE:conditions_fuzz> -max_total_time=${HERALD_JINJA_FUZZ_SECONDS}
                 -max_len=4096 -timeout=10 -rss_limit_mb=2048
                 ${CMAKE_CURRENT_BINARY_DIR}/conditions_fuzz_corpus
                 ${CMAKE_CURRENT_LIST_DIR}/conditions_corpus)
set_tests_properties(conditions_fuzz_smoke PROPERTIES TIMEOUT 120)
