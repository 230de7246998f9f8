// MeanVarianceNormalization (opset 9-17): y = (x - mean) / (sqrt(var) + 1e-9), mean and
// (biased) variance taken over 'axes' (default [0, 2, 3]). Types: float16, bfloat16, float,
// double.
#include <cmath>
#include <string>
#include <vector>

#include "../common.h"
#include "scratch.h"

namespace parallax::rt::kernels {

Status MeanVarianceNormalization(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const std::vector<int64_t> default_axes = {0, 2, 3};
  const std::vector<int64_t>* axes = ctx.attr_ints("axes");
  if (axes == nullptr) axes = &default_axes;
  // Statistics live in a tensor of X's shape with the reduced axes set to 1; every element
  // of X maps to its statistics slot by broadcasting.
  Shape stats = x->shape;
  for (int64_t a : *axes) {
    int axis = 0;
    PARALLAX_RETURN_IF_ERROR(normalize_axis(a, x->shape.rank, &axis));
    stats.dims[axis] = 1;
  }
  const int64_t slots = stats.numel();
  const double count = slots ? static_cast<double>(x->numel()) / static_cast<double>(slots) : 0.0;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  nn::ScratchLayout layout;
  const size_t sum_off = layout.add<double>(slots);
  const size_t sq_off = layout.add<double>(slots);
  char* base = layout.allocate(ctx);
  double* sum = nn::ScratchLayout::at<double>(base, sum_off);
  double* sq = nn::ScratchLayout::at<double>(base, sq_off);
  std::fill(sum, sum + slots, 0.0);
  std::fill(sq, sq + slots, 0.0);
  const Shape* ins[1] = {&stats};
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* xp = x->data_as<T>();
    T* yp = y->data_as<T>();
    for_each_broadcast<1>(x->shape, ins, [&](int64_t i, const int64_t* off) {
      const double v = static_cast<double>(static_cast<C>(xp[i]));
      sum[off[0]] += v;
      sq[off[0]] += v * v;
    });
    for (int64_t k = 0; k < slots; ++k) {
      const double mean = sum[k] / count;
      sum[k] = mean;
      sq[k] = std::sqrt(std::max(sq[k] / count - mean * mean, 0.0)) + 1e-9;
    }
    for_each_broadcast<1>(x->shape, ins, [&](int64_t i, const int64_t* off) {
      const double v = static_cast<double>(static_cast<C>(xp[i]));
      yp[i] = static_cast<T>(static_cast<C>((v - sum[off[0]]) / sq[off[0]]));
    });
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
