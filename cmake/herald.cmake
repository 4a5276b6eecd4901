# One build vocabulary: warnings, sanitizers and a helper per target kind.

function(herald_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports false positives for std::string concatenation.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(HERALD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(HERALD_SANITIZE)
    string(REPLACE ";" "," _san "${HERALD_SANITIZE}")
    target_compile_options(${target} PRIVATE -fsanitize=${_san} -fno-omit-frame-pointer)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12's sanitizer instrumentation makes -Wmaybe-uninitialized report std::function inside
      # libstdc++'s <regex> (striptags.cc, urls.cc); the uninstrumented builds keep the warning.
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
      # Boost.Asio's handler fences (std::atomic_thread_fence) draw -Wtsan: ThreadSanitizer does
      # not model fences. Asio's queues synchronise through mutexes, which it does model.
      if("thread" IN_LIST HERALD_SANITIZE)
        target_compile_options(${target} PRIVATE -Wno-tsan)
      endif()
    endif()
    target_link_options(${target} PRIVATE -fsanitize=${_san})
  endif()
endfunction()

# herald_resolve_deps(out dep...): each dep as a target name: a module name (e.g. "store")
# becomes its library herald_<name>; anything else (an imported target, a system library) is
# kept as given.
function(herald_resolve_deps out)
  set(_resolved "")
  foreach(d ${ARGN})
    if(TARGET herald_${d})
      list(APPEND _resolved herald_${d})
    else()
      list(APPEND _resolved ${d})
    endif()
  endforeach()
  set(${out} ${_resolved} PARENT_SCOPE)
endfunction()

# herald_module(name DEPS ...): static library herald_<name> from src/<name>/*.cc.
# Header-only modules become INTERFACE libraries.
function(herald_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cc
       ${CMAKE_SOURCE_DIR}/src/${name}/*/*.cc)
  herald_resolve_deps(_deps ${M_DEPS})
  if(_srcs)
    add_library(herald_${name} STATIC ${_srcs})
    target_include_directories(herald_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(herald_${name} PUBLIC ${_deps} Threads::Threads)
    herald_target_options(herald_${name})
  else()
    add_library(herald_${name} INTERFACE)
    target_include_directories(herald_${name} INTERFACE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(herald_${name} INTERFACE ${_deps} Threads::Threads)
  endif()
endfunction()

# herald_test(name SOURCES ... DEPS ...): a GoogleTest binary registered with CTest, linked with
# the shared test helpers (tests/support/, herald_test_support).
function(herald_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  herald_resolve_deps(_deps ${T_DEPS})
  target_link_libraries(${name} PRIVATE ${_deps} herald_test_support GTest::gtest GTest::gmock
                        GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    HERALD_SOURCE_DIR="${CMAKE_SOURCE_DIR}" HERALD_BINARY_DIR="${CMAKE_BINARY_DIR}")
  herald_target_options(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
endfunction()

# herald_unit_tests(module DEPS ...): tests/unit/<module>/*_test.cc as one binary, if present.
function(herald_unit_tests module)
  cmake_parse_arguments(U "" "" "DEPS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/${module}/*_test.cc)
  if(_srcs)
    herald_test(unit_${module} SOURCES ${_srcs} DEPS ${module} ${U_DEPS})
  endif()
endfunction()
