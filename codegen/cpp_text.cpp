#include "codegen/cpp_text.h"

#include <cmath>
#include <cstdio>
#include <iterator>

namespace parallax::codegen {
namespace {

constexpr const char* kKeywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
    "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
    "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
    "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
    "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
    "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast",
    "struct", "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef",
    "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
    "while", "xor", "xor_eq",
    // Names the generated code itself uses where a model's names become identifiers.
    "px_inputs", "px_outputs", "px_model", "impl_"};

bool is_keyword(std::string_view s) {
  for (const char* k : kKeywords)
    if (s == k) return true;
  return false;
}

bool ident_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

std::string printf_string(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string cpp_string(std::string_view bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
      out += static_cast<char>(c);
    } else {
      const char esc[] = {'\\', static_cast<char>('0' + (c >> 6)),
                          static_cast<char>('0' + ((c >> 3) & 7)),
                          static_cast<char>('0' + (c & 7))};
      out.append(esc, sizeof(esc));
    }
  }
  return out + "\"";
}

std::string cpp_float(float v) {
  if (std::isnan(v)) return "std::numeric_limits<float>::quiet_NaN()";
  if (std::isinf(v))
    return v > 0 ? "std::numeric_limits<float>::infinity()"
                 : "-std::numeric_limits<float>::infinity()";
  return printf_string("%.9g", v) + "f";
}

std::string cpp_double(double v) {
  if (std::isnan(v)) return "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(v))
    return v > 0 ? "std::numeric_limits<double>::infinity()"
                 : "-std::numeric_limits<double>::infinity()";
  return printf_string("%.17g", v);
}

std::string cpp_int(int64_t v) {
  if (v == INT64_MIN) return "INT64_MIN";
  return std::to_string(v);
}

bool is_cpp_identifier(std::string_view s) {
  if (s.empty() || !ident_char(s[0], true)) return false;
  for (char c : s)
    if (!ident_char(c, false)) return false;
  if (s.find("__") != std::string_view::npos) return false;
  if (s.size() > 1 && s[0] == '_' && s[1] >= 'A' && s[1] <= 'Z') return false;
  return !is_keyword(s);
}

std::string make_identifier(std::string_view s, std::set<std::string>* taken) {
  std::string id;
  for (char c : s) id += ident_char(c, false) ? c : '_';
  if (id.empty() || !ident_char(id[0], true)) id = "_" + id;
  // Collapse "__" runs and avoid "_X" at the front: both are reserved.
  std::string clean;
  for (char c : id)
    if (!(c == '_' && !clean.empty() && clean.back() == '_')) clean += c;
  if (clean.size() > 1 && clean[0] == '_' && clean[1] >= 'A' && clean[1] <= 'Z')
    clean = "t" + clean;
  if (clean == "_") clean = "t_";
  if (is_keyword(clean)) clean += clean.back() == '_' ? "v" : "_";
  std::string unique = clean;
  const std::string sep = clean.back() == '_' ? "" : "_";
  for (int k = 2; taken->count(unique) > 0; ++k) unique = clean + sep + std::to_string(k);
  taken->insert(unique);
  return unique;
}

}  // namespace parallax::codegen
