// Index handling shared by the Gather* and Scatter* kernels: reading an index (int32 or int64,
// negative counting from the end) with a bounds check, and the reductions Scatter* apply.
//
//   int64_t i = 0;
//   PARALLAX_RETURN_IF_ERROR(read_index(*indices, k, dim, &i));  // i in [0, dim)
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "copy.h"

namespace parallax::rt::kernels {

inline Status check_index_tensor(const Tensor& t) {
  if (t.dtype != DType::kInt64 && t.dtype != DType::kInt32) {
    return Status::invalid("indices must be int32 or int64, got " +
                           std::string(dtype_name(t.dtype)));
  }
  return Status::ok();
}

// Element k of `indices`, mapped into [0, dim).
inline Status read_index(const Tensor& indices, int64_t k, int64_t dim, int64_t* out) {
  int64_t v = indices.dtype == DType::kInt64 ? indices.data_as<int64_t>()[k]
                                             : indices.data_as<int32_t>()[k];
  if (v < -dim || v >= dim) {
    return Status::out_of_range("index " + std::to_string(v) + " is out of range for a dim of " +
                                std::to_string(dim));
  }
  *out = v < 0 ? v + dim : v;
  return Status::ok();
}

// How Scatter* combine an update with the element already there (attribute `reduction`).
enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

inline Status parse_reduction(const KernelContext& ctx, Reduction* out) {
  const std::string_view r = attr_view(ctx, "reduction", "none");
  static constexpr std::pair<std::string_view, Reduction> kNames[] = {{"none", Reduction::kNone},
                                                                      {"add", Reduction::kAdd},
                                                                      {"mul", Reduction::kMul},
                                                                      {"max", Reduction::kMax},
                                                                      {"min", Reduction::kMin}};
  for (const auto& [name, value] : kNames) {
    if (r == name) {
      *out = value;
      return Status::ok();
    }
  }
  return Status::invalid("unknown reduction '" + std::string(r) + "'");
}

template <typename T>
inline void reduce_into(T& dst, T src, Reduction r) {
  using C = compute_t<T>;
  const C a = static_cast<C>(dst), b = static_cast<C>(src);
  switch (r) {
    case Reduction::kNone: dst = src; return;
    case Reduction::kAdd: dst = static_cast<T>(a + b); return;
    case Reduction::kMul: dst = static_cast<T>(a * b); return;
    case Reduction::kMax: dst = static_cast<T>(a < b ? b : a); return;
    case Reduction::kMin: dst = static_cast<T>(b < a ? b : a); return;
  }
}

// Dispatch for a Scatter* body: a plain overwrite only moves bytes, so it runs on the
// element-size type (covering every dtype); a reduction needs the real numeric type.
template <typename F>
Status dispatch_scatter(DType t, Reduction r, F&& f) {
  if (r == Reduction::kNone) return dispatch_size(t, f);
  return PARALLAX_DISPATCH(t, kNumericTypes, f);
}

}  // namespace parallax::rt::kernels
