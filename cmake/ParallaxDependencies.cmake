# The runtime's system libraries as imported targets: Parallax::pthreadpool and (when the library
# is there) Parallax::XNNPACK. Debian ships both without CMake or pkg-config files, so they are
# found by name. Parallax::runtime links these targets rather than absolute paths, so the
# exported package finds them again on the machine that uses it: the build includes this file
# before runtime/, and the installed ParallaxConfig.cmake includes its installed copy.
if(NOT TARGET Parallax::pthreadpool)
  find_library(PARALLAX_PTHREADPOOL_LIBRARY pthreadpool)
  if(PARALLAX_PTHREADPOOL_LIBRARY)
    add_library(Parallax::pthreadpool UNKNOWN IMPORTED)
    set_target_properties(Parallax::pthreadpool PROPERTIES
      IMPORTED_LOCATION "${PARALLAX_PTHREADPOOL_LIBRARY}")
  endif()
endif()
if(NOT TARGET Parallax::XNNPACK)
  find_library(PARALLAX_XNNPACK_LIBRARY XNNPACK)
  if(PARALLAX_XNNPACK_LIBRARY)
    add_library(Parallax::XNNPACK UNKNOWN IMPORTED)
    set_target_properties(Parallax::XNNPACK PROPERTIES
      IMPORTED_LOCATION "${PARALLAX_XNNPACK_LIBRARY}"
      INTERFACE_LINK_LIBRARIES "$<$<TARGET_EXISTS:Parallax::pthreadpool>:Parallax::pthreadpool>")
  endif()
endif()
