# The layers' include views (cmake/TfjitLayers.cmake) in action: each probe compiles one include
# with a layer's include path, and must fail (forbidden) or succeed (allowed: the control that
# shows the view works).
#   cmake -DCXX=<compiler> -DLAYERS=<build>/layers -DSOURCE=<repo> -DWORK=<dir> -P layering.cmake
set(probes
  # layer     header                              expected
  "compiler   frontend/src/tensor_internal.h      forbidden"
  "compiler   runtime/kernels.h                   forbidden"
  "compiler   backends/cpu/matmul_fused.h         forbidden"
  "compiler   runtime/library_abi.h               allowed"
  "ir         runtime/kernels.h                   forbidden"
  "ir         core/shape_rules.h                  allowed"
  "runtime    compiler/compiler.h                 forbidden"
  "runtime    frontend/src/tensor_impl.h          forbidden"
  "runtime    tfjit/tensor.h                      forbidden"
  "backend_cpu tfjit/ops.h                        forbidden"
  "core       ops/op_info.h                       forbidden"
  "core       core/shape_rules.h                  allowed"
  "ops        runtime/kernels.h                   forbidden"
  "backend_cuda backends/cpu/matmul_fused.h       forbidden"
  "backend_cpu compiler/compiler.h                forbidden"
  "backend_cpu runtime/kernels.h                  allowed"
  "frontend   compiler/mlir_support.h             forbidden"
  "frontend   backends/cpu/matmul_fused.h         forbidden"
  "frontend   compiler/compiler.h                 allowed")
file(MAKE_DIRECTORY ${WORK})
set(failures "")
foreach(probe ${probes})
  string(REGEX REPLACE " +" ";" fields "${probe}")
  list(GET fields 0 layer)
  list(GET fields 1 header)
  list(GET fields 2 expected)
  set(file ${WORK}/probe.cpp)
  file(WRITE ${file} "#include \"${header}\"\n")
  set(public_api "")
  if(layer STREQUAL "frontend")
    set(public_api -I${SOURCE}/frontend/include)
  endif()
  execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -I${LAYERS}/${layer}
                          -I${SOURCE}/core/include ${public_api} ${file}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(expected STREQUAL "forbidden" AND rc EQUAL 0)
    string(APPEND failures "  ${layer} may include ${header}, which its layer forbids\n")
  elseif(expected STREQUAL "allowed" AND NOT rc EQUAL 0)
    string(APPEND failures "  ${layer} cannot include ${header}:\n${err}\n")
  endif()
endforeach()
# A quoted include relative to the file ("../frontend/...") would escape the views.
file(GLOB_RECURSE sources ${SOURCE}/core/* ${SOURCE}/ops/* ${SOURCE}/runtime/* ${SOURCE}/ir/*
     ${SOURCE}/compiler/* ${SOURCE}/backends/* ${SOURCE}/frontend/*)
foreach(source ${sources})
  if(source MATCHES "\\.(h|cpp|cu|inc)$")
    file(STRINGS ${source} escapes REGEX "^#include \"\\.\\.")
    if(escapes)
      string(APPEND failures "  ${source}: ${escapes}\n")
    endif()
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "layering:\n${failures}")
endif()
