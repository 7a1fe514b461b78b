# The layers of ../docs/architecture.md, enforced by the build. Each layer is an object library
# compiled against a *view* of the source tree: a folder in the build tree holding links to only
# what the layer may use. Including anything else is a build error ("No such file or directory").
#
#   tfjit_layer(<name> SOURCES <files...> USES <paths...> [PUBLIC_HEADERS <dirs...>] [MLIR])
#
# USES lists repository paths (folders or single headers: "runtime/library_abi.h") the layer may
# include, spelled as they are included. Every layer sees core's public vocabulary
# (core/include: tfjit/dtype.h, errors.h, shape.h, export.h); PUBLIC_HEADERS adds more include
# roots (frontend/include for the public API). Objects are built with hidden visibility: only
# the public headers' declarations are exported from libtfjit.so.
#
# MLIR layers (ir, compiler) keep default visibility: MLIR identifies traits and interfaces by
# function-local statics (TypeIDs) that must be one object per process, shared with libMLIR.so
# by symbol interposition; hidden copies would be distinct IDs (a constant would stop being
# ConstantLike). libtfjit.map then keeps their own symbols local and exports only those statics.
set(TFJIT_LAYERS "" CACHE INTERNAL "")

function(tfjit_layer name)
  cmake_parse_arguments(L "MLIR" "" "SOURCES;USES;PUBLIC_HEADERS" ${ARGN})
  set(view ${PROJECT_BINARY_DIR}/layers/${name})
  file(REMOVE_RECURSE ${view})
  foreach(path ${L_USES})
    if(NOT EXISTS ${PROJECT_SOURCE_DIR}/${path})
      message(FATAL_ERROR "tfjit_layer(${name}): USES ${path}: no such file or folder")
    endif()
    get_filename_component(parent ${view}/${path} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${path} ${view}/${path} SYMBOLIC)
  endforeach()
  add_library(tfjit_${name} OBJECT ${L_SOURCES})
  target_include_directories(tfjit_${name} PRIVATE ${view} ${PROJECT_SOURCE_DIR}/core/include)
  foreach(dir ${L_PUBLIC_HEADERS})
    target_include_directories(tfjit_${name} PRIVATE ${PROJECT_SOURCE_DIR}/${dir})
  endforeach()
  target_compile_options(tfjit_${name} PRIVATE ${TFJIT_WARNINGS})
  set_target_properties(tfjit_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(L_MLIR)
    # The generated ir/*.inc and compiler/*.inc, seen through their own view (not the whole
    # build tree, which holds the other layers' views).
    set(generated ${PROJECT_BINARY_DIR}/generated)
    foreach(dir ir compiler)
      if(NOT EXISTS ${generated}/${dir})
        file(MAKE_DIRECTORY ${generated} ${PROJECT_BINARY_DIR}/${dir})
        file(CREATE_LINK ${PROJECT_BINARY_DIR}/${dir} ${generated}/${dir} SYMBOLIC)
      endif()
    endforeach()
    target_include_directories(tfjit_${name} PRIVATE ${generated})
    target_include_directories(tfjit_${name} SYSTEM PRIVATE ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
    target_link_libraries(tfjit_${name} INTERFACE MLIR LLVM)
  else()
    set_target_properties(tfjit_${name} PROPERTIES
      CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  endif()
  set(TFJIT_LAYERS ${TFJIT_LAYERS} tfjit_${name} CACHE INTERNAL "")
endfunction()
