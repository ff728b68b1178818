# Helpers in the manner of abseil's absl_cc_library: every module is a target
# named taskgate_<name> with the alias taskgate::<name>, and our own code is
# compiled with warnings as errors (third-party headers come in as SYSTEM).

add_library(taskgate_copts INTERFACE)
target_compile_options(taskgate_copts INTERFACE -Wall -Wextra -Werror)
target_include_directories(taskgate_copts INTERFACE ${PROJECT_SOURCE_DIR})

# taskgate_cc_library(NAME n SRCS ... HDRS ... DEPS ... PRIVATE_DEPS ...)
function(taskgate_cc_library)
  cmake_parse_arguments(TG "" "NAME" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  if(TG_SRCS)
    add_library(taskgate_${TG_NAME} STATIC ${TG_SRCS} ${TG_HDRS})
    target_link_libraries(taskgate_${TG_NAME}
      PUBLIC taskgate_copts ${TG_DEPS} PRIVATE ${TG_PRIVATE_DEPS})
  else()
    add_library(taskgate_${TG_NAME} INTERFACE ${TG_HDRS})
    target_link_libraries(taskgate_${TG_NAME} INTERFACE taskgate_copts ${TG_DEPS})
  endif()
  add_library(taskgate::${TG_NAME} ALIAS taskgate_${TG_NAME})
endfunction()

# taskgate_cc_test(NAME n SRCS ... DEPS ...): one gtest binary, each test
# registered with ctest through gtest_discover_tests.
function(taskgate_cc_test)
  cmake_parse_arguments(TG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${TG_NAME} ${TG_SRCS})
  target_link_libraries(${TG_NAME} PRIVATE taskgate_copts ${TG_DEPS}
    GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${TG_NAME} DISCOVERY_TIMEOUT 60)
endfunction()
