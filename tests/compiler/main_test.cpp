// The Catch2 main of parallax_compiler_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
