# package.install: installs the build into a fresh prefix, then configures, builds and runs the
# app project in app/ against that prefix alone (find_package(Parallax) + parallax_add_model).
# Run as `cmake -DBUILD_DIR=... -DWORK_DIR=... -DAPP_DIR=... -DMODEL=... -DTEST_DATA=...
# [-DGENERATOR=Ninja] [-DAPP_FLAGS=-fsanitize=...] -P install_and_use.cmake`; fails (non-zero
# exit) at the first step that does not work, naming it. Also checks that the app rebuilds
# (re-runs parallax-compile) when its model changes, and only then.
foreach(var BUILD_DIR WORK_DIR APP_DIR MODEL TEST_DATA)
  if(NOT ${var})
    message(FATAL_ERROR "install_and_use.cmake: -D${var}=... is required")
  endif()
endforeach()

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(app_build ${WORK_DIR}/app-build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

step("install into ${prefix}" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/parallax-compile bin/parallax-run lib/cmake/Parallax/ParallaxConfig.cmake
          lib/cmake/Parallax/ParallaxConfigVersion.cmake lib/cmake/Parallax/ParallaxTargets.cmake
          lib/cmake/Parallax/ParallaxAddModel.cmake include/parallax/runtime/executor.h
          include/parallax/testdata/tensor_io.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install has no ${f}")
  endif()
endforeach()
# The installed compiler has its device profiles built in: it runs from the prefix alone.
step("installed parallax-compile runs (built-in device profiles)" ${prefix}/bin/parallax-compile ${MODEL}
     --emit=plan --device-profile snapdragon-8-gen-1)

# Only the prefix: no package registry, no build tree on any search path.
set(generator_args)
if(GENERATOR)
  set(generator_args -G ${GENERATOR})
endif()
# A copy of the model, so the test can touch it to check the rebuild.
file(COPY ${MODEL} DESTINATION ${WORK_DIR}/model)
get_filename_component(model_file ${MODEL} NAME)
set(model_copy ${WORK_DIR}/model/${model_file})
step("configure the app against the installed package"
     ${CMAKE_COMMAND} -S ${APP_DIR} -B ${app_build} ${generator_args}
     -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DPARALLAX_APP_MODEL=${model_copy}
     "-DCMAKE_CXX_FLAGS=${APP_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${APP_FLAGS}")
file(READ ${app_build}/CMakeCache.txt cache)
string(REGEX MATCH "Parallax_DIR:PATH=([^\n]*)" _ "${cache}")
if(NOT CMAKE_MATCH_1 STREQUAL "${prefix}/lib/cmake/Parallax")
  message(FATAL_ERROR "the app found Parallax in '${CMAKE_MATCH_1}', not in the prefix")
endif()
step("build the app" ${CMAKE_COMMAND} --build ${app_build})
step("run the app" ${app_build}/package_app ${TEST_DATA})
message(STATUS "${step_output}")

# parallax_add_model re-runs the compiler when the model changes, and only then.
step("rebuild with nothing changed" ${CMAKE_COMMAND} --build ${app_build})
if(step_output MATCHES "parallax-compile")
  message(FATAL_ERROR "an unchanged model was compiled again:\n${step_output}")
endif()
file(TOUCH ${model_copy})
step("rebuild after the model changed" ${CMAKE_COMMAND} --build ${app_build})
if(NOT step_output MATCHES "parallax-compile")
  message(FATAL_ERROR "a changed model was not compiled again:\n${step_output}")
endif()
step("run the rebuilt app" ${app_build}/package_app ${TEST_DATA})
