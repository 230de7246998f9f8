# The part of an example app's CMakeLists.txt the apps share: the Parallax package, libpng, the
# <PREFIX>_MODEL / <PREFIX>_OPTIONS cache settings, the model compiled by parallax_add_model and
# the app linked against it with examples/common.
#
#   include(../common/example_app.cmake)
#   parallax_example_app(APP classifier PREFIX CLASSIFIER CLASS image_classifier
#                        MODEL_DOC "ONNX image classifier, ..." MISSING "e.g. a zoo model ..."
#                        SOURCES main.cpp)
find_package(Parallax 0.1 REQUIRED)
find_package(PNG REQUIRED)

function(parallax_example_app)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "APP;PREFIX;CLASS;MODEL_DOC;MISSING" "SOURCES")
  set(${ARG_PREFIX}_MODEL "" CACHE FILEPATH "${ARG_MODEL_DOC}")
  set(${ARG_PREFIX}_OPTIONS "" CACHE STRING "More parallax-compile options, e.g. --threads=4")
  if(NOT ${ARG_PREFIX}_MODEL)
    message(FATAL_ERROR "set -D${ARG_PREFIX}_MODEL=<model.onnx>, ${ARG_MISSING}")
  endif()

  # Compiles the model at build time into the class parallax::models::<CLASS>.
  parallax_add_model(TARGET ${ARG_CLASS} MODEL ${${ARG_PREFIX}_MODEL} NAME ${ARG_CLASS}
                     OPTIONS ${${ARG_PREFIX}_OPTIONS})

  set(common ${CMAKE_CURRENT_FUNCTION_LIST_DIR})
  add_executable(${ARG_APP} ${ARG_SOURCES} ${common}/app.cpp ${common}/image.cpp)
  target_include_directories(${ARG_APP} PRIVATE ${common})
  target_compile_options(${ARG_APP} PRIVATE -Wall -Wextra)
  target_link_libraries(${ARG_APP} PRIVATE ${ARG_CLASS} PNG::PNG)
endfunction()
