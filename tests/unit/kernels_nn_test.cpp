// Unit tests of the 'nn' kernel family: each kernel against hand-computed values.
#include <catch2/catch.hpp>

#include "kernel_harness.h"

using namespace parallax::test;
