// Helpers shared by the reference kernels: broadcasting, axis handling, reading index tensors.
// Everything here is header-only and allocation-free.
#pragma once

#include <cstdint>
#include <string>

#include "parallax/runtime/kernel.h"

namespace parallax::rt::kernels {

// ONNX (numpy) multidirectional broadcasting of a and b into *out.
inline Status broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
  const int rank = a.rank > b.rank ? a.rank : b.rank;
  Shape r;
  r.rank = rank;
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank);
    const int ib = i - (rank - b.rank);
    const int64_t da = ia >= 0 ? a.dims[ia] : 1;
    const int64_t db = ib >= 0 ? b.dims[ib] : 1;
    if (da == db || db == 1) {
      r.dims[i] = da;
    } else if (da == 1) {
      r.dims[i] = db;
    } else {
      return Status::invalid("shapes " + a.to_string() + " and " + b.to_string() +
                             " cannot be broadcast");
    }
  }
  *out = r;
  return Status::ok();
}

// Element strides of `in` when read as if broadcast to `out` (0 along broadcast dimensions).
// `strides` has out.rank entries.
inline void broadcast_strides(const Shape& in, const Shape& out, int64_t* strides) {
  int64_t acc = 1;
  for (int i = out.rank - 1; i >= 0; --i) {
    const int ii = i - (out.rank - in.rank);
    const int64_t d = ii >= 0 ? in.dims[ii] : 1;
    strides[i] = (d == 1) ? 0 : acc;
    acc *= d;
  }
}

// Calls f(out_index, in_offset[0..N-1]) for every element of `out` in row-major order, where
// in_offset[k] is the element offset into input k broadcast to `out`.
template <int N, typename F>
void for_each_broadcast(const Shape& out, const Shape* const (&ins)[N], F&& f) {
  int64_t strides[N][kMaxRank];
  for (int k = 0; k < N; ++k) broadcast_strides(*ins[k], out, strides[k]);
  const int64_t total = out.numel();
  if (total == 0) return;
  int64_t idx[kMaxRank] = {};
  int64_t off[N] = {};
  for (int64_t o = 0; o < total; ++o) {
    f(o, static_cast<const int64_t*>(off));
    // Advance the multi-index; adjust offsets incrementally.
    for (int d = out.rank - 1; d >= 0; --d) {
      if (++idx[d] < out.dims[d]) {
        for (int k = 0; k < N; ++k) off[k] += strides[k][d];
        break;
      }
      for (int k = 0; k < N; ++k) off[k] -= strides[k][d] * (out.dims[d] - 1);
      idx[d] = 0;
    }
  }
}

// Maps a possibly negative axis into [0, rank); error names the axis and rank.
inline Status normalize_axis(int64_t axis, int rank, int* out) {
  if (axis < -rank || axis >= rank) {
    return Status::invalid("axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(rank));
  }
  *out = static_cast<int>(axis < 0 ? axis + rank : axis);
  return Status::ok();
}

// Element i of an integer tensor (int32 or int64, as shape/axes/indices inputs allow).
inline int64_t int_at(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kInt64: return t.data_as<int64_t>()[i];
    case DType::kInt32: return t.data_as<int32_t>()[i];
    case DType::kInt16: return t.data_as<int16_t>()[i];
    case DType::kInt8: return t.data_as<int8_t>()[i];
    case DType::kUInt8: return t.data_as<uint8_t>()[i];
    case DType::kUInt16: return t.data_as<uint16_t>()[i];
    case DType::kUInt32: return t.data_as<uint32_t>()[i];
    case DType::kUInt64: return static_cast<int64_t>(t.data_as<uint64_t>()[i]);
    default: return 0;
  }
}

inline bool is_int_tensor(const Tensor& t) {
  return dtype_is_signed_int(t.dtype) || dtype_is_unsigned_int(t.dtype);
}

// Reads a 1-D integer tensor into a Shape (used for "shape" inputs such as Reshape's).
inline Status shape_from_tensor(const Tensor& t, Shape* out) {
  if (!is_int_tensor(t)) return Status::invalid("shape tensor must be an integer tensor");
  const int64_t n = t.numel();
  if (n > kMaxRank) {
    return Status::unsupported("rank " + std::to_string(n) + " exceeds the maximum of " +
                               std::to_string(kMaxRank));
  }
  out->rank = static_cast<int>(n);
  for (int64_t i = 0; i < n; ++i) out->dims[i] = int_at(t, i);
  return Status::ok();
}

// Fails with a message naming the input when it is missing.
inline Status require_input(const KernelContext& ctx, int i, const Tensor** out) {
  *out = ctx.input(i);
  if (*out == nullptr) return Status::invalid("required input " + std::to_string(i) + " is missing");
  return Status::ok();
}

}  // namespace parallax::rt::kernels
