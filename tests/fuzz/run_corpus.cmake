# Runs a libFuzzer harness once on every file matching GLOBS ('|'-separated;
# a pattern matching nothing is fine): the regression test of a fuzz target.
# libFuzzer given files, not folders, executes each once and fuzzes nothing.
# Names starting with '.' are skipped.
string(REPLACE "|" ";" globs "${GLOBS}")
set(inputs "")
foreach(g ${globs})
  file(GLOB found LIST_DIRECTORIES false "${g}")
  foreach(f ${found})
    get_filename_component(n "${f}" NAME)
    if(NOT n MATCHES "^\\.")
      list(APPEND inputs "${f}")
    endif()
  endforeach()
endforeach()
list(SORT inputs)
list(LENGTH inputs n)
if(n EQUAL 0)
  message(FATAL_ERROR "no inputs match ${GLOBS}")
endif()
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND "${FUZZER}" -timeout=120 -rss_limit_mb=4096 -artifact_prefix=${WORK} ${inputs}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}) on one of its ${n} inputs (the one it names above)")
endif()
message(STATUS "${n} inputs ran clean")
