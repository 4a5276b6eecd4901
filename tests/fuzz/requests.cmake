# libFuzzer targets for requests (HERALD_FUZZ=ON, clang):
#   handler_fuzz  the whole request handler `herald serve` runs (routing, auth, API, UI, ingest)
#   ingest_fuzz   the ingest JSON path (event parsing) and rule matching
# Both link Herald's module libraries; so that libFuzzer is guided by their code too, the
# libraries of this build get coverage instrumentation and the sanitizers (this build tree is
# only used for fuzzing).
foreach(_m common value jinja conditions model validation ingest matching store http auth api receiver
           delivery web app)
  if(TARGET herald_${_m})
    get_target_property(_type herald_${_m} TYPE)
    if(NOT _type STREQUAL "INTERFACE_LIBRARY")
      target_compile_options(herald_${_m} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                             -fno-omit-frame-pointer)
      target_link_options(herald_${_m} INTERFACE -fsanitize=address,undefined)
    endif()
  endif()
endforeach()

if(NOT DEFINED HERALD_JINJA_FUZZ_SECONDS)
  set(HERALD_JINJA_FUZZ_SECONDS 20)
endif()

function(herald_request_fuzzer name)
  cmake_parse_arguments(F "" "MAX_LEN" "DEPS" ${ARGN})
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.cc)
  target_link_libraries(${name} PRIVATE ${F_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  herald_target_options(${name})
  # Bounded run for `make test-fuzz` (FUZZ_SECONDS): new inputs go to a scratch corpus in the
  # build tree, seeds come from tests/fuzz/<name>_corpus/.
  string(REPLACE "_fuzz" "" _base ${name})
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
  add_test(NAME ${name}_smoke
           COMMAND ${name} -max_total_time=${HERALD_JINJA_FUZZ_SECONDS} -max_len=${F_MAX_LEN}
                   -timeout=30 -rss_limit_mb=4096 -print_final_stats=1
                   ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus
                   ${CMAKE_CURRENT_LIST_DIR}/${_base}_corpus)
  set_tests_properties(${name}_smoke PROPERTIES TIMEOUT 180)
endfunction()

herald_request_fuzzer(handler_fuzz MAX_LEN 8192 DEPS herald_app herald_test_support)
herald_request_fuzzer(ingest_fuzz MAX_LEN 65536 DEPS herald_ingest herald_matching)
