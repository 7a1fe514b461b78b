# One pass test: runs tfjit-opt with the test's `// RUN-OPT:` arguments on the file. With
# -verify-diagnostics, tfjit-opt itself checks the `expected-error` comments; otherwise its output
# is checked with FileCheck against the test's CHECK lines.
#   cmake -DOPT=<tfjit-opt> -DFILECHECK=<FileCheck> -DTEST=<file.mlir> -P run.cmake
file(STRINGS ${TEST} run_line REGEX "^// RUN-OPT:")
if(NOT run_line)
  message(FATAL_ERROR "${TEST}: no `// RUN-OPT:` line")
endif()
string(REGEX REPLACE "^// RUN-OPT: *" "" args "${run_line}")
separate_arguments(args UNIX_COMMAND "${args}")  # quotes group an option's words
execute_process(COMMAND ${OPT} ${args} ${TEST} OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tfjit-opt ${args} failed (${rc}):\n${err}")
endif()
if(args MATCHES "verify-diagnostics")
  return()
endif()
get_filename_component(name ${TEST} NAME)
set(output ${WORK}/${name}.out)
file(WRITE ${output} "${out}")
execute_process(COMMAND ${FILECHECK} ${TEST} --input-file=${output} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "FileCheck failed")
endif()
