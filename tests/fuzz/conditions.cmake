# libFuzzer target for the condition language (HERALD_FUZZ=ON, clang). The conditions sources are
# compiled into the target itself so they carry the fuzzer's coverage instrumentation.
file(GLOB _conditions_fuzz_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/conditions/*.cc)
add_executable(conditions_fuzz ${CMAKE_CURRENT_LIST_DIR}/conditions_fuzz.cc ${_conditions_fuzz_srcs})
target_include_directories(conditions_fuzz PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(conditions_fuzz PRIVATE herald_value PkgConfig::PCRE2)
target_compile_options(conditions_fuzz PRIVATE -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
target_link_options(conditions_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
herald_target_options(conditions_fuzz)
