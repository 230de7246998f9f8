// TopK: the k largest (or smallest) elements along `axis` and their indices.
//
// Versions: 1 takes k as an attribute; 10 takes it as input 1 (a one-element int64 tensor);
// 11 adds `largest` and `sorted`. Equal values are ordered by lower index first, so results
// are deterministic; with sorted=0 we still return them sorted (any order is allowed).
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../common.h"

namespace parallax::rt::kernels {

Status TopK(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const int rank = x->shape.rank;
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", -1), rank, &axis));
  int64_t k = 0;
  if (ctx.opset() >= 10) {
    const Tensor* kt = nullptr;
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &kt));
    if (kt->dtype != DType::kInt64 || kt->numel() != 1) {
      return Status::invalid("k must be a one-element int64 tensor");
    }
    k = int_at(*kt, 0);
  } else {
    if (!ctx.has_attr("k")) return Status::invalid("attribute k is required");
    k = ctx.attr_int("k", 0);
  }
  const int64_t n = x->shape[axis];
  if (k < 0 || k > n) {
    return Status::invalid("k = " + std::to_string(k) + " is outside [0, " + std::to_string(n) +
                           "] for axis " + std::to_string(axis));
  }
  const bool largest = ctx.opset() < 11 || ctx.attr_int("largest", 1) != 0;
  Shape out = x->shape;
  out.dims[axis] = k;
  Tensor* values = nullptr;
  Tensor* indices = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &values));
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, DType::kInt64, out, &indices));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x->shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= x->shape[d];
  if (k == 0 || outer * inner == 0) return Status::ok();
  return PARALLAX_DISPATCH(x->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    // One slice at a time: copy it out contiguously, then partially sort its positions.
    void* buf = ctx.scratch(static_cast<size_t>(n) * (sizeof(C) + sizeof(int64_t)));
    int64_t* order = static_cast<int64_t*>(buf);
    C* slice = reinterpret_cast<C*>(order + n);
    // NaN sorts as larger than every number, like numpy.
    auto before = [&](int64_t a, int64_t b) {
      const C va = slice[a], vb = slice[b];
      if constexpr (std::is_floating_point_v<C>) {
        const bool na = std::isnan(va), nb = std::isnan(vb);
        if (na || nb) return na != nb ? (largest ? na : nb) : a < b;
      }
      if (va != vb) return largest ? va > vb : va < vb;
      return a < b;
    };
    const T* in = x->data_as<T>();
    T* vout = values->data_as<T>();
    int64_t* iout = indices->data_as<int64_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* src = in + o * n * inner + i;
        for (int64_t j = 0; j < n; ++j) {
          slice[j] = static_cast<C>(src[j * inner]);
          order[j] = j;
        }
        std::partial_sort(order, order + k, order + n, before);
        T* vdst = vout + o * k * inner + i;
        int64_t* idst = iout + o * k * inner + i;
        for (int64_t j = 0; j < k; ++j) {
          vdst[j * inner] = static_cast<T>(slice[order[j]]);
          idst[j * inner] = order[j];
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
