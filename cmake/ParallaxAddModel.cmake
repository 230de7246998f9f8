# parallax_add_model: compile an ONNX model into C++ at build time and wrap it in a library.
#
#   parallax_add_model(TARGET detector MODEL models/yolov8n.onnx
#                      [NAME yolo]                     # class and file name; default: TARGET
#                      [WEIGHTS embed|file|c-array]    # default: embed
#                      [OUTPUT_DIR dir]                # default: <binary dir>/parallax/<TARGET>
#                      [OPTIONS --gpu opencl --threads 4 ...])   # more parallax-compile flags
#   target_link_libraries(app PRIVATE detector)
#
# Runs `parallax-compile MODEL -o DIR --name NAME --weights W OPTIONS` when the model or the
# compiler changed, and creates the static library TARGET from the generated NAME.cpp: its
# PUBLIC include directory is DIR (`#include "NAME.h"`) and it links Parallax::runtime. With
# WEIGHTS file the weights stay in DIR/NAME.weights.bin, whose path is the target property
# PARALLAX_WEIGHTS_FILE (the app passes it to NAME::create). The compiler is the target
# Parallax::compile: the installed tool under find_package(Parallax), or the one being built
# when a project includes this file from the Parallax source tree.
include_guard(GLOBAL)

function(parallax_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;MODEL;NAME;WEIGHTS;OUTPUT_DIR" "OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "parallax_add_model: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TARGET OR NOT arg_MODEL)
    message(FATAL_ERROR "parallax_add_model: TARGET and MODEL are required")
  endif()
  if(NOT TARGET Parallax::compile)
    message(FATAL_ERROR "parallax_add_model(${arg_TARGET}): no Parallax::compile target; "
                        "call find_package(Parallax) first")
  endif()
  set(name ${arg_NAME})
  if(NOT name)
    string(MAKE_C_IDENTIFIER "${arg_TARGET}" name)
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "parallax_add_model(${arg_TARGET}): NAME '${name}' is not a C++ identifier")
  endif()
  set(weights ${arg_WEIGHTS})
  if(NOT weights)
    set(weights embed)
  endif()
  if(NOT weights MATCHES "^(embed|file|c-array)$")
    message(FATAL_ERROR
            "parallax_add_model(${arg_TARGET}): WEIGHTS '${weights}': expected embed, file or c-array")
  endif()
  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${arg_OUTPUT_DIR}")
  if(NOT dir)
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/parallax/${arg_TARGET}")
  endif()
  get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")

  set(sources "${dir}/${name}.cpp")
  set(outputs "${dir}/${name}.h" "${dir}/${name}.cpp")
  if(weights STREQUAL "c-array")
    list(APPEND sources "${dir}/${name}_weights.cpp")
    list(APPEND outputs "${dir}/${name}_weights.cpp")
  else()
    list(APPEND outputs "${dir}/${name}.weights.bin")
  endif()

  # Rebuild when the compiler changes: a file dependency on its executable, plus (in-tree) a
  # target dependency so it is built first.
  set(compiler_deps "$<TARGET_FILE:Parallax::compile>")
  get_target_property(compiler_target Parallax::compile ALIASED_TARGET)
  if(compiler_target)
    list(APPEND compiler_deps ${compiler_target})
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "$<TARGET_FILE:Parallax::compile>" "${model}" -o "${dir}" --name ${name} --weights ${weights}
            ${arg_OPTIONS}
    DEPENDS "${model}" ${compiler_deps}
    COMMENT "parallax-compile ${arg_MODEL} -> ${name}.cpp"
    VERBATIM)

  add_library(${arg_TARGET} STATIC ${sources})
  target_include_directories(${arg_TARGET} PUBLIC "${dir}")
  target_link_libraries(${arg_TARGET} PUBLIC Parallax::runtime)
  target_compile_features(${arg_TARGET} PUBLIC cxx_std_17)
  set_target_properties(${arg_TARGET} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(weights STREQUAL "embed")
    # NAME.cpp pulls the weights in with the assembler's `.incbin "NAME.weights.bin"`: point the
    # assembler at DIR, and re-assemble when the weights change.
    target_compile_options(${arg_TARGET} PRIVATE "-Wa,-I${dir}")
    set_source_files_properties("${dir}/${name}.cpp" PROPERTIES
                                OBJECT_DEPENDS "${dir}/${name}.weights.bin")
  elseif(weights STREQUAL "file")
    set_target_properties(${arg_TARGET} PROPERTIES
                          PARALLAX_WEIGHTS_FILE "${dir}/${name}.weights.bin")
  endif()
  set_target_properties(${arg_TARGET} PROPERTIES PARALLAX_MODEL_NAME ${name}
                                                 PARALLAX_OUTPUT_DIR "${dir}")
endfunction()
