# The runtime's system library as an imported target: Parallax::XNNPACK (when the library is
# there). Debian ships it without CMake or pkg-config files, so it is found by name.
# Parallax::runtime links the target rather than an absolute path, so the exported package finds
# it again on the machine that uses it: the build includes this file before runtime/, and the
# installed ParallaxConfig.cmake includes its installed copy. libpthreadpool is not linked: the
# runtime implements pthreadpool's API itself (runtime/src/thread_pool.h); XNNPACK still loads
# Debian's library as its own dependency, whose symbols ours take precedence over.
if(NOT TARGET Parallax::XNNPACK)
  find_library(PARALLAX_XNNPACK_LIBRARY XNNPACK)
  if(PARALLAX_XNNPACK_LIBRARY)
    add_library(Parallax::XNNPACK UNKNOWN IMPORTED)
    set_target_properties(Parallax::XNNPACK PROPERTIES
      IMPORTED_LOCATION "${PARALLAX_XNNPACK_LIBRARY}")
  endif()
endif()
