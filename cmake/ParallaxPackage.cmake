# Install rules and the CMake package, included at the end of the top-level CMakeLists.txt.
#
#   cmake --install build --prefix P   ->  P/bin/parallax-compile, P/bin/parallax-run,
#                                          P/lib/libparallax_runtime.a, P/lib/libparallax_testdata.a,
#                                          P/include/parallax/{runtime,testdata}/*.h,
#                                          P/lib/cmake/Parallax/*.cmake
#
# Targets a user sees: Parallax::runtime, Parallax::testdata, Parallax::compile (the compiler,
# an executable), Parallax::run, and the function parallax_add_model (ParallaxAddModel.cmake).
# The build tree exports the same package (build/ParallaxConfig.cmake), so tests and in-tree
# projects can use it without installing: -DParallax_DIR=<build dir>.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(parallax_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(parallax-compile PROPERTIES EXPORT_NAME compile)
set_target_properties(parallax-run PROPERTIES EXPORT_NAME run)
# In-tree code calls parallax_add_model with the same target names an installed package has.
add_executable(Parallax::compile ALIAS parallax-compile)
add_executable(Parallax::run ALIAS parallax-run)

set(PARALLAX_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Parallax)

install(TARGETS parallax_runtime parallax-compile parallax-run EXPORT ParallaxTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# testdata needs protobuf and ONNX at link time, so it is a separate export set that the config
# loads only when those are found: an app that only runs models needs neither.
install(TARGETS parallax_testdata EXPORT ParallaxTestdataTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/ ${PROJECT_SOURCE_DIR}/testdata/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

install(EXPORT ParallaxTargets NAMESPACE Parallax:: DESTINATION ${PARALLAX_CMAKE_INSTALL_DIR})
install(EXPORT ParallaxTestdataTargets NAMESPACE Parallax::
        DESTINATION ${PARALLAX_CMAKE_INSTALL_DIR})
export(EXPORT ParallaxTargets NAMESPACE Parallax:: FILE ${PROJECT_BINARY_DIR}/ParallaxTargets.cmake)
export(EXPORT ParallaxTestdataTargets NAMESPACE Parallax::
       FILE ${PROJECT_BINARY_DIR}/ParallaxTestdataTargets.cmake)

# The config says whether the runtime was built with XNNPACK (then the library must be found).
set(PARALLAX_CONFIG_NEEDS_XNNPACK ${PARALLAX_XNNPACK})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ParallaxConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
# Install tree.
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ParallaxConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/install-config/ParallaxConfig.cmake
                              INSTALL_DESTINATION ${PARALLAX_CMAKE_INSTALL_DIR})
install(FILES ${PROJECT_BINARY_DIR}/install-config/ParallaxConfig.cmake
              ${PROJECT_BINARY_DIR}/ParallaxConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/ParallaxAddModel.cmake
              ${PROJECT_SOURCE_DIR}/cmake/ParallaxDependencies.cmake
        DESTINATION ${PARALLAX_CMAKE_INSTALL_DIR})
# Build tree: the same config next to copies of the modules it includes.
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ParallaxConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ParallaxConfig.cmake
                              INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
                              INSTALL_PREFIX ${PROJECT_BINARY_DIR})
configure_file(${PROJECT_SOURCE_DIR}/cmake/ParallaxAddModel.cmake
               ${PROJECT_BINARY_DIR}/ParallaxAddModel.cmake COPYONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/ParallaxDependencies.cmake
               ${PROJECT_BINARY_DIR}/ParallaxDependencies.cmake COPYONLY)

include(${PROJECT_SOURCE_DIR}/cmake/ParallaxAddModel.cmake)
