// Unique: the distinct elements of the input (or, with `axis`, the distinct slices along it).
// Outputs: Y (the unique values; sorted ascending when sorted=1, the default, else in order of
// first occurrence), indices (first occurrence of each in the input), inverse_indices (for
// each input element/slice, its position in Y) and counts.
//
// Method: sort the item numbers by (slice contents, item number), so equal items form runs
// that start at their first occurrence; each run is one unique value. All temporaries live in
// the step's scratch buffer.
#include <algorithm>

#include "copy.h"

namespace parallax::rt::kernels {

namespace {

template <typename T>
Status run_unique(KernelContext& ctx, const Tensor& x, int axis) {
  using C = compute_t<T>;
  int64_t outer = 1, items = x.numel(), inner = 1;
  if (axis >= 0) {
    items = x.shape[axis];
    for (int d = 0; d < axis; ++d) outer *= x.shape[d];
    for (int d = axis + 1; d < x.shape.rank; ++d) inner *= x.shape[d];
  }
  const T* in = x.data_as<T>();
  // Item i is the slice in[o * items * inner + i * inner + r] over o, r.
  auto less = [&](int64_t a, int64_t b) {
    for (int64_t o = 0; o < outer; ++o) {
      const T* pa = in + (o * items + a) * inner;
      const T* pb = in + (o * items + b) * inner;
      for (int64_t r = 0; r < inner; ++r) {
        const C va = static_cast<C>(pa[r]), vb = static_cast<C>(pb[r]);
        if (va < vb) return true;
        if (vb < va) return false;
      }
    }
    return false;
  };
  // scratch: order[items], group_of[items], first[items], count[items], rank_of[items]
  auto* order =
      static_cast<int64_t*>(ctx.scratch(static_cast<size_t>(5 * items + 1) * sizeof(int64_t)));
  int64_t* group_of = order + items;
  int64_t* first = group_of + items;
  int64_t* count = first + items;
  int64_t* pos = count + items;
  for (int64_t i = 0; i < items; ++i) order[i] = i;
  std::sort(order, order + items, [&](int64_t a, int64_t b) {
    if (less(a, b)) return true;
    if (less(b, a)) return false;
    return a < b;
  });
  int64_t groups = 0;
  for (int64_t k = 0; k < items; ++k) {
    if (k == 0 || less(order[k - 1], order[k])) {
      first[groups] = order[k];
      count[groups] = 0;
      ++groups;
    }
    group_of[order[k]] = groups - 1;
    ++count[groups - 1];
  }
  // pos[g]: where group g lands in Y. Sorted: run order. Unsorted: order of first occurrence.
  if (ctx.attr_int("sorted", 1) != 0) {
    for (int64_t g = 0; g < groups; ++g) pos[g] = g;
  } else {
    // Walking items in input order, a group is placed when its first item is met.
    for (int64_t i = 0, next = 0; i < items; ++i) {
      if (first[group_of[i]] == i) pos[group_of[i]] = next++;
    }
  }
  Shape y_shape{groups};
  if (axis >= 0) {
    y_shape = x.shape;
    y_shape.dims[axis] = groups;
  }
  Tensor *y = nullptr, *indices = nullptr, *inverse = nullptr, *counts = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x.dtype, y_shape, &y));
  T* out = y->data_as<T>();
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t o = 0; o < outer; ++o) {
      std::copy_n(in + (o * items + first[g]) * inner, inner, out + (o * groups + pos[g]) * inner);
    }
  }
  if (ctx.output_count() > 1) {
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, DType::kInt64, Shape{groups}, &indices));
    for (int64_t g = 0; g < groups; ++g) indices->data_as<int64_t>()[pos[g]] = first[g];
  }
  if (ctx.output_count() > 2) {
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(2, DType::kInt64, Shape{items}, &inverse));
    for (int64_t i = 0; i < items; ++i) inverse->data_as<int64_t>()[i] = pos[group_of[i]];
  }
  if (ctx.output_count() > 3) {
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(3, DType::kInt64, Shape{groups}, &counts));
    for (int64_t g = 0; g < groups; ++g) counts->data_as<int64_t>()[pos[g]] = count[g];
  }
  return Status::ok();
}

}  // namespace

Status Unique(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  int axis = -1;
  if (ctx.has_attr("axis")) {
    PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 0), x->shape.rank, &axis));
  }
  return PARALLAX_DISPATCH(x->dtype, kAllTypes, [&](auto tag) {
    return run_unique<typename decltype(tag)::type>(ctx, *x, axis);
  });
}

}  // namespace parallax::rt::kernels
