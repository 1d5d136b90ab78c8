# Helpers that give every espfab target the same warnings, sanitizers and layout.

add_library(espfab_options INTERFACE)
target_compile_options(espfab_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>
  $<$<BOOL:${ESPFAB_WERROR}>:-Werror>)
if(ESPFAB_SANITIZE)
  target_compile_options(espfab_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                  -fno-sanitize-recover=undefined)
  target_link_options(espfab_options INTERFACE -fsanitize=address,undefined)
endif()
if(ESPFAB_TSAN)
  target_compile_options(espfab_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(espfab_options INTERFACE -fsanitize=thread)
endif()
if(ESPFAB_FUZZ)
  target_compile_options(espfab_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                  -fno-sanitize-recover=undefined)
  target_link_options(espfab_options INTERFACE -fsanitize=address,undefined)
endif()

# espfab_module(NAME SOURCES ... DEPENDS ...): one static library per module under src/NAME,
# target espfab_NAME, alias espfab::NAME; headers are included as "NAME/file.hpp".
function(espfab_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(espfab_${name} STATIC ${ARG_SOURCES})
  add_library(espfab::${name} ALIAS espfab_${name})
  target_include_directories(espfab_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(espfab_${name} PUBLIC ${ARG_DEPENDS} PRIVATE espfab_options)
endfunction()

# espfab_test(NAME LABEL label SOURCES ... DEPENDS ... [FIXTURES ...]): one GoogleTest binary, each
# test case registered with ctest under the label (and requiring the ctest fixtures, if given).
function(espfab_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPENDS;FIXTURES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPENDS} espfab_test_support GTest::gtest_main GTest::gmock
                                        espfab_options)
  set(properties LABELS ${ARG_LABEL})
  if(ARG_FIXTURES)
    list(APPEND properties FIXTURES_REQUIRED "${ARG_FIXTURES}")
  endif()
  gtest_discover_tests(${name} PROPERTIES ${properties} DISCOVERY_TIMEOUT 60)
endfunction()
