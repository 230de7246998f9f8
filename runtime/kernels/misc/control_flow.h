// Byte-level helpers shared by If, Loop and Scan: copying a subgraph result into a node output,
// scalar views handed to a body, and moving one slice along an axis in or out of a tensor.
// All of them work on any element type, since control flow never looks at the values it moves.
//
//   int64_t iter = 3;
//   Tensor iter_view = misc::scalar_view(&iter, DType::kInt64);
//   PARALLAX_RETURN_IF_ERROR(misc::copy_to_output(ctx, 0, *body_result));
#pragma once

#include <cstring>
#include <string>

#include "../common.h"

namespace parallax::rt::kernels::misc {

// The most values a control-flow node passes in or out of its body (fixed arrays, no heap).
constexpr int kMaxBodyValues = 64;

// A rank-0 view of one value; the value must outlive the view.
inline Tensor scalar_view(void* value, DType dtype) {
  Tensor t;
  t.dtype = dtype;
  t.data = value;
  return t;
}

// Gives output `i` the dtype and shape of `src` and copies its bytes.
inline Status copy_to_output(KernelContext& ctx, int i, const Tensor& src) {
  Tensor* out = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(i, src.dtype, src.shape, &out));
  if (src.nbytes()) std::memcpy(out->data, src.data, src.nbytes());
  return Status::ok();
}

// Reads a one-element bool tensor (Loop's and If's conditions).
inline Status read_condition(const Tensor& t, const char* what, bool* out) {
  if (t.dtype != DType::kBool || t.numel() != 1) {
    return Status::invalid(std::string(what) + " must be a single bool, got " +
                           dtype_name(t.dtype) + " " + t.shape.to_string());
  }
  *out = t.data_as<bool>()[0];
  return Status::ok();
}

// Bytes before and after `axis` of `s` for element size `elem`: a tensor is `outer` blocks of
// s[axis] rows of `row_bytes` bytes each.
struct AxisSplit {
  int64_t outer = 1;
  size_t row_bytes = 0;
};
inline AxisSplit split_at(const Shape& s, int axis, size_t elem) {
  AxisSplit r;
  size_t inner = elem;
  for (int i = 0; i < s.rank; ++i) {
    if (i < axis) r.outer *= s[i];
    if (i > axis) inner *= static_cast<size_t>(s[i]);
  }
  r.row_bytes = inner;
  return r;
}

// Copies index `pos` along `axis` of `src` into the contiguous buffer `dst`.
inline void gather_slice(const Tensor& src, int axis, int64_t pos, void* dst) {
  const AxisSplit sp = split_at(src.shape, axis, dtype_size(src.dtype));
  const int64_t len = src.shape[axis];
  const auto* in = static_cast<const uint8_t*>(src.data);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t o = 0; o < sp.outer; ++o) {
    std::memcpy(out + o * sp.row_bytes, in + (o * len + pos) * sp.row_bytes, sp.row_bytes);
  }
}

// Copies the contiguous `slice` into index `pos` along `axis` of `dst`.
inline void scatter_slice(const Tensor& slice, Tensor* dst, int axis, int64_t pos) {
  const AxisSplit sp = split_at(dst->shape, axis, dtype_size(dst->dtype));
  const int64_t len = dst->shape[axis];
  const auto* in = static_cast<const uint8_t*>(slice.data);
  auto* out = static_cast<uint8_t*>(dst->data);
  for (int64_t o = 0; o < sp.outer; ++o) {
    std::memcpy(out + (o * len + pos) * sp.row_bytes, in + o * sp.row_bytes, sp.row_bytes);
  }
}

// `s` with a dimension of size `n` inserted at `axis`; fails past kMaxRank.
inline Status insert_axis(const Shape& s, int axis, int64_t n, Shape* out) {
  if (s.rank + 1 > kMaxRank)
    return Status::unsupported("stacked result exceeds rank " + std::to_string(kMaxRank));
  Shape r;
  r.rank = s.rank + 1;
  for (int i = 0, j = 0; i < r.rank; ++i) r.dims[i] = i == axis ? n : s.dims[j++];
  *out = r;
  return Status::ok();
}

// `s` without dimension `axis`.
inline Shape remove_axis(const Shape& s, int axis) {
  Shape r;
  r.rank = s.rank - 1;
  for (int i = 0, j = 0; i < s.rank; ++i)
    if (i != axis) r.dims[j++] = s.dims[i];
  return r;
}

}  // namespace parallax::rt::kernels::misc
