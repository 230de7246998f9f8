// Shape and Tensor: the run-time view of an n-dimensional array.
//
// A Shape has a fixed capacity (kMaxRank) so shapes are computed on the stack and no step ever
// allocates to describe one. A Tensor is a non-owning view: dtype + shape + pointer. Who owns
// the bytes is said where the view is handed out (the executor owns tensor storage; constants
// live in the Program).
//
//   Shape s{2, 3};                 // rank 2
//   int64_t n = s.numel();         // 6
//   const float* p = t.data_as<float>();
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "parallax/runtime/dtype.h"

namespace parallax::rt {

constexpr int kMaxRank = 8;

struct Shape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};

  Shape() = default;
  Shape(std::initializer_list<int64_t> d) {
    for (int64_t v : d) dims[rank++] = v;
  }
  // Builds a shape from `n` dims; returns false (and leaves *out unchanged) when n > kMaxRank.
  static bool from(const int64_t* d, int n, Shape* out) {
    if (n < 0 || n > kMaxRank) return false;
    out->rank = n;
    for (int i = 0; i < n; ++i) out->dims[i] = d[i];
    return true;
  }

  int64_t operator[](int i) const { return dims[i]; }
  int64_t& operator[](int i) { return dims[i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
  bool operator==(const Shape& o) const {
    if (rank != o.rank) return false;
    for (int i = 0; i < rank; ++i)
      if (dims[i] != o.dims[i]) return false;
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  // "[2, 3, 4]"; for error messages.
  std::string to_string() const;
};

struct Tensor {
  DType dtype = DType::kUndefined;
  Shape shape;
  void* data = nullptr;

  int64_t numel() const { return shape.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  template <typename T> T* data_as() { return static_cast<T*>(data); }
  template <typename T> const T* data_as() const { return static_cast<const T*>(data); }
};

// Row-major strides (in elements) of `s`.
inline void contiguous_strides(const Shape& s, int64_t* strides) {
  int64_t acc = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    strides[i] = acc;
    acc *= s.dims[i];
  }
}

}  // namespace parallax::rt
