// Data movement shared by the tensor-manipulation kernels: dispatch on element size, and one
// strided copy that Transpose, Expand, Tile, Slice, DepthToSpace and SpaceToDepth reduce to.
//
// Most tensor ops only move elements, so they need the element's size, not its type:
//
//   return dispatch_size(x->dtype, [&](auto tag) {
//     using U = typename decltype(tag)::type;  // uint8_t, uint16_t, uint32_t or uint64_t
//     ...
//   });
//
// A strided copy reads the source as an n-d array with arbitrary element strides (0 repeats an
// element, negative walks backwards) and writes a contiguous destination:
//
//   StridedCopy c;
//   c.add_dim(3, 1);  c.add_dim(2, 3);   // transpose of a [2, 3] matrix
//   copy_strided(c, x->data, 0, y->data, x->dtype);
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "../common.h"

namespace parallax::rt::kernels {

// Calls f(TypeTag<U>{}) with U the unsigned integer of the same size as one element of `t`.
template <typename F>
Status dispatch_size(DType t, F&& f) {
  switch (dtype_size(t)) {
    case 1: return f(TypeTag<uint8_t>{});
    case 2: return f(TypeTag<uint16_t>{});
    case 4: return f(TypeTag<uint32_t>{});
    case 8: return f(TypeTag<uint64_t>{});
    default:
      return Status::unsupported(std::string("element type ") + dtype_name(t) +
                                 " is not supported here");
  }
}

// The source side of a strided copy: destination dims (row-major, contiguous) and, per dim,
// the source stride in elements. Rank may reach twice kMaxRank (views split dims in two).
struct StridedCopy {
  static constexpr int kMaxDims = 2 * kMaxRank;
  int rank = 0;
  int64_t dims[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};

  void add_dim(int64_t dim, int64_t stride) {
    dims[rank] = dim;
    strides[rank] = stride;
    ++rank;
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= dims[d];
    return n;
  }
};

// Drops unit dims and merges neighbours that are contiguous in the source, so the inner loop
// runs as long as possible (a transpose that moves nothing becomes one memcpy).
inline StridedCopy coalesce(const StridedCopy& c) {
  StridedCopy r;
  for (int d = 0; d < c.rank; ++d) {
    if (c.dims[d] == 1) continue;
    if (r.rank > 0 && r.strides[r.rank - 1] == c.strides[d] * c.dims[d]) {
      r.dims[r.rank - 1] *= c.dims[d];
      r.strides[r.rank - 1] = c.strides[d];
      continue;
    }
    r.add_dim(c.dims[d], c.strides[d]);
  }
  if (r.rank == 0) r.add_dim(1, 1);
  return r;
}

// Copies destination rows (runs of the last dim) [row_begin, row_end) of a coalesced copy;
// dst points at the destination's start. Disjoint row ranges can run on different threads.
template <typename U>
void copy_strided_rows(const StridedCopy& c, const U* src, U* dst, int64_t row_begin,
                       int64_t row_end) {
  const int last = c.rank - 1;
  const int64_t inner = c.dims[last];
  const int64_t inner_stride = c.strides[last];
  int64_t idx[StridedCopy::kMaxDims] = {};
  int64_t off = 0;
  for (int64_t d = last - 1, r = row_begin; d >= 0; --d) {  // row_begin's index and offset
    idx[d] = r % c.dims[d];
    r /= c.dims[d];
    off += idx[d] * c.strides[d];
  }
  dst += row_begin * inner;
  for (int64_t r = row_begin; r < row_end; ++r) {
    if (inner_stride == 1) {
      std::memcpy(dst, src + off, static_cast<size_t>(inner) * sizeof(U));
    } else {
      const U* s = src + off;
      for (int64_t i = 0; i < inner; ++i) dst[i] = s[i * inner_stride];
    }
    dst += inner;
    for (int d = last - 1; d >= 0; --d) {
      off += c.strides[d];
      if (++idx[d] < c.dims[d]) break;
      off -= c.strides[d] * c.dims[d];
      idx[d] = 0;
    }
  }
}

template <typename U>
void copy_strided_typed(const StridedCopy& c, const U* src, U* dst) {
  copy_strided_rows(c, src, dst, 0, c.numel() / c.dims[c.rank - 1]);
}

// Copies c.numel() elements of type `dtype` from src (starting at element `src_offset`)
// to the contiguous dst. The caller guarantees every addressed element lies inside src.
inline Status copy_strided(const StridedCopy& c, const void* src, int64_t src_offset, void* dst,
                           DType dtype) {
  if (c.numel() == 0) return Status::ok();
  const StridedCopy k = coalesce(c);
  return dispatch_size(dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    copy_strided_typed<U>(k, static_cast<const U*>(src) + src_offset, static_cast<U*>(dst));
    return Status::ok();
  });
}

// A list of integers that comes either from an attribute or from a 1-D (or scalar) integer
// input, read in place without copying.
struct IntList {
  const std::vector<int64_t>* attr = nullptr;
  const Tensor* tensor = nullptr;

  bool present() const { return attr != nullptr || tensor != nullptr; }
  int64_t size() const {
    if (attr) return static_cast<int64_t>(attr->size());
    return tensor ? tensor->numel() : 0;
  }
  int64_t operator[](int64_t i) const {
    return attr ? (*attr)[static_cast<size_t>(i)] : int_at(*tensor, i);
  }
};

// Reads input `input` when `from_input`, attribute `name` otherwise; absent leaves the list
// empty (present() == false). An input must be an integer tensor of rank 0 or 1.
inline Status read_int_list(const KernelContext& ctx, bool from_input, int input, const char* name,
                            IntList* out) {
  *out = IntList{};
  if (!from_input) {
    out->attr = ctx.attr_ints(name);
    return Status::ok();
  }
  const Tensor* t = ctx.input(input);
  if (t == nullptr) return Status::ok();
  if (!is_int_tensor(*t)) return Status::invalid(std::string(name) + " must be an integer tensor");
  if (t->shape.rank > 1) return Status::invalid(std::string(name) + " must be 1-D");
  out->tensor = t;
  return Status::ok();
}

// Copies the whole of `x` into output 0 with shape `shape` (same element count): the kernel
// of every op that only reinterprets the shape.
inline Status copy_reshaped(KernelContext& ctx, const Tensor& x, const Shape& shape) {
  if (shape.numel() != x.numel()) {
    return Status::invalid("cannot view " + x.shape.to_string() + " as " + shape.to_string());
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x.dtype, shape, &y));
  if (y->data != x.data && x.nbytes() != 0) std::memmove(y->data, x.data, x.nbytes());
  return Status::ok();
}

// A string attribute read in place (KernelContext::attr_string copies it).
inline std::string_view attr_view(const KernelContext& ctx, const char* name,
                                  std::string_view def) {
  const Attribute* a = ctx.attr(name);
  return a ? std::string_view(a->s) : def;
}

// Reads the single element of a scalar (or one-element) tensor of any numeric type as double.
inline Status scalar_as_double(const Tensor& t, const char* what, double* out) {
  if (t.numel() != 1) return Status::invalid(std::string(what) + " must have exactly one element");
  return PARALLAX_DISPATCH(t.dtype, kNumericTypes | kBoolType, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *out = static_cast<double>(static_cast<compute_t<T>>(t.data_as<T>()[0]));
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
