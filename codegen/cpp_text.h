// C++ source text for generated code: literals that read back exactly, identifiers that compile.
//
// Everything here is deterministic (no locale, no pointer values), so the same Program always
// prints the same bytes.
//
//   out += "{" + cpp_string("conv1") + ", " + cpp_float(0.1f) + "}";  // {"conv1", 0.100000001f}
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace parallax::codegen {

// A string literal holding exactly `bytes` (non-printable bytes, '"', '\\' and '?' as 3-digit
// octal escapes, so nothing after an escape can extend it and no trigraph forms).
std::string cpp_string(std::string_view bytes);
// A float literal that reads back to the same value (%.9g + f; inf and nan via numeric_limits).
std::string cpp_float(float v);
// A double literal that reads back to the same value (%.17g).
std::string cpp_double(double v);
// A decimal integer literal; INT64_MIN as INT64_MIN.
std::string cpp_int(int64_t v);

// True when `s` is a C++ identifier that is not a keyword and not reserved (no "__", no leading
// underscore + capital).
bool is_cpp_identifier(std::string_view s);
// `s` made into an identifier: invalid characters become '_', a leading digit gets a '_' in
// front... and the result is unique among `taken` (a "_2", "_3" ... suffix), then added to it.
std::string make_identifier(std::string_view s, std::set<std::string>* taken);

}  // namespace parallax::codegen
