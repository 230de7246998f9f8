// Element types of runtime tensors, and the helpers kernels use to be generic over them.
//
// DType values are the ONNX TensorProto.DataType numbers, so a dtype read from a model needs
// no translation table. float16 and bfloat16 are storage types: they convert to and from float
// implicitly, and arithmetic on them happens in float (see compute_t).
//
// Usage (a kernel that works for every numeric type):
//   return dispatch(x.dtype, kNumericTypes, [&](auto tag) {
//     using T = typename decltype(tag)::type;
//     ... T* p = out->data_as<T>(); ...
//     return Status::ok();
//   });
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "parallax/runtime/status.h"

namespace parallax::rt {

enum class DType : uint8_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,  // recognised so errors can name it; no kernel stores strings
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

// Size of one element in bytes; 0 for kUndefined and kString.
size_t dtype_size(DType t);
// ONNX spelling ("float", "int64", "float16", ...); "undefined" for unknown values.
const char* dtype_name(DType t);
// True for the values listed in the enum above.
bool dtype_is_valid(int onnx_elem_type);
bool dtype_is_float(DType t);  // float16, bfloat16, float32, float64
bool dtype_is_signed_int(DType t);
bool dtype_is_unsigned_int(DType t);

// IEEE 754 binary16, stored as its bit pattern.
struct float16 {
  uint16_t bits = 0;
  float16() = default;
  float16(float f) : bits(from_float(f)) {}  // NOLINT: implicit by design
  operator float() const { return to_float(bits); }  // NOLINT
  static float16 from_bits(uint16_t b) {
    float16 h;
    h.bits = b;
    return h;
  }
  static uint16_t from_float(float f);
  static float to_float(uint16_t h);
};

// bfloat16: the top 16 bits of a float32, rounded to nearest even.
struct bfloat16 {
  uint16_t bits = 0;
  bfloat16() = default;
  bfloat16(float f) : bits(from_float(f)) {}  // NOLINT: implicit by design
  operator float() const { return to_float(bits); }  // NOLINT
  static bfloat16 from_bits(uint16_t b) {
    bfloat16 h;
    h.bits = b;
    return h;
  }
  static uint16_t from_float(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
  }
  static float to_float(uint16_t h) {
    uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

// The type arithmetic on T is done in: float for the 16-bit float types, T otherwise.
template <typename T> struct compute_type { using type = T; };
template <> struct compute_type<float16> { using type = float; };
template <> struct compute_type<bfloat16> { using type = float; };
template <typename T> using compute_t = typename compute_type<T>::type;

template <typename T> inline constexpr bool is_float_v =
    std::is_floating_point_v<T> || std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>;

// DType <-> C++ type.
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <> constexpr DType dtype_of<float16>() { return DType::kFloat16; }
template <> constexpr DType dtype_of<bfloat16>() { return DType::kBFloat16; }
template <> constexpr DType dtype_of<int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::kUInt8; }
template <> constexpr DType dtype_of<uint16_t>() { return DType::kUInt16; }
template <> constexpr DType dtype_of<uint32_t>() { return DType::kUInt32; }
template <> constexpr DType dtype_of<uint64_t>() { return DType::kUInt64; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }

template <typename T> struct TypeTag { using type = T; };

// Type sets for dispatch(). Each is a bit mask over DType values.
using TypeSet = uint32_t;
constexpr TypeSet type_bit(DType t) { return TypeSet{1} << static_cast<unsigned>(t); }
constexpr TypeSet kFloatTypes = type_bit(DType::kFloat32) | type_bit(DType::kFloat64) |
                                type_bit(DType::kFloat16) | type_bit(DType::kBFloat16);
constexpr TypeSet kSignedIntTypes = type_bit(DType::kInt8) | type_bit(DType::kInt16) |
                                    type_bit(DType::kInt32) | type_bit(DType::kInt64);
constexpr TypeSet kUnsignedIntTypes = type_bit(DType::kUInt8) | type_bit(DType::kUInt16) |
                                      type_bit(DType::kUInt32) | type_bit(DType::kUInt64);
constexpr TypeSet kIntTypes = kSignedIntTypes | kUnsignedIntTypes;
constexpr TypeSet kNumericTypes = kFloatTypes | kIntTypes;
constexpr TypeSet kSignedTypes = kFloatTypes | kSignedIntTypes;
constexpr TypeSet kAllTypes = kNumericTypes | type_bit(DType::kBool);
constexpr TypeSet kBoolType = type_bit(DType::kBool);

// Calls f(TypeTag<T>{}) for the C++ type T of `t` when `t` is in `allowed`; otherwise returns
// an Unsupported status naming the dtype. f must return Status. Only the types in `allowed` are
// instantiated, so a lambda may use operations that only make sense for those types.
template <TypeSet allowed, typename F> Status dispatch_set(DType t, F&& f) {
  if (!(allowed & type_bit(t))) {
    return Status::unsupported(std::string("element type ") + dtype_name(t) +
                               " is not supported here");
  }
#define PARALLAX_DISPATCH_CASE(ENUM, TYPE)                  \
  case DType::ENUM:                                         \
    if constexpr ((allowed & type_bit(DType::ENUM)) != 0) { \
      return f(TypeTag<TYPE>{});                            \
    }                                                       \
    break;
  switch (t) {
    PARALLAX_DISPATCH_CASE(kFloat32, float)
    PARALLAX_DISPATCH_CASE(kFloat64, double)
    PARALLAX_DISPATCH_CASE(kFloat16, float16)
    PARALLAX_DISPATCH_CASE(kBFloat16, bfloat16)
    PARALLAX_DISPATCH_CASE(kInt8, int8_t)
    PARALLAX_DISPATCH_CASE(kInt16, int16_t)
    PARALLAX_DISPATCH_CASE(kInt32, int32_t)
    PARALLAX_DISPATCH_CASE(kInt64, int64_t)
    PARALLAX_DISPATCH_CASE(kUInt8, uint8_t)
    PARALLAX_DISPATCH_CASE(kUInt16, uint16_t)
    PARALLAX_DISPATCH_CASE(kUInt32, uint32_t)
    PARALLAX_DISPATCH_CASE(kUInt64, uint64_t)
    PARALLAX_DISPATCH_CASE(kBool, bool)
    default:
      break;
  }
#undef PARALLAX_DISPATCH_CASE
  return Status::unsupported(std::string("element type ") + dtype_name(t) + " is not supported");
}

// Shorthand: dispatch(t, kNumericTypes, f) with the set as a value.
#define PARALLAX_DISPATCH(DTYPE, SET, ...) ::parallax::rt::dispatch_set<(SET)>((DTYPE), __VA_ARGS__)

}  // namespace parallax::rt

namespace std {
template <> class numeric_limits<parallax::rt::float16> {
 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = true;
  static constexpr bool is_integer = false;
  static constexpr bool has_infinity = true;
  static constexpr bool has_quiet_NaN = true;
  static parallax::rt::float16 lowest() { return parallax::rt::float16::from_bits(0xfbff); }
  static parallax::rt::float16 min() { return parallax::rt::float16::from_bits(0x0400); }
  static parallax::rt::float16 max() { return parallax::rt::float16::from_bits(0x7bff); }
  static parallax::rt::float16 infinity() { return parallax::rt::float16::from_bits(0x7c00); }
  static parallax::rt::float16 quiet_NaN() { return parallax::rt::float16::from_bits(0x7e00); }
  static parallax::rt::float16 epsilon() { return parallax::rt::float16::from_bits(0x1400); }
};
template <> class numeric_limits<parallax::rt::bfloat16> {
 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = true;
  static constexpr bool is_integer = false;
  static constexpr bool has_infinity = true;
  static constexpr bool has_quiet_NaN = true;
  static parallax::rt::bfloat16 lowest() { return parallax::rt::bfloat16::from_bits(0xff7f); }
  static parallax::rt::bfloat16 min() { return parallax::rt::bfloat16::from_bits(0x0080); }
  static parallax::rt::bfloat16 max() { return parallax::rt::bfloat16::from_bits(0x7f7f); }
  static parallax::rt::bfloat16 infinity() { return parallax::rt::bfloat16::from_bits(0x7f80); }
  static parallax::rt::bfloat16 quiet_NaN() { return parallax::rt::bfloat16::from_bits(0x7fc0); }
  static parallax::rt::bfloat16 epsilon() { return parallax::rt::bfloat16::from_bits(0x3c00); }
};
}  // namespace std
