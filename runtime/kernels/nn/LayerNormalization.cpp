// LayerNormalization (opset 17): normalises X over the dimensions [axis, rank) and applies
// Scale and the optional B, both broadcast to X.shape[axis:]. Optional outputs Mean and
// InvStdDev have X's shape with the normalised dimensions set to 1. Statistics are computed in
// double and stored as float (stash_type 1, the only type the spec defines), except on the
// float32 fast path below (float arithmetic, rows in parallel).
// Types: float16, bfloat16, float, double.
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "../common.h"
#include "norm.h"
#include "scratch.h"

namespace parallax::rt::kernels {

namespace {

// The float32 fast path (Scale and B of one value per normalised element, as every
// transformer has): rows split over the step's pool, float arithmetic with independent
// partial sums the compiler vectorises, two passes (mean, then squared deviations) so the
// variance does not cancel. Each row is one task's, so results do not depend on threads().
struct RowsJob {
  const float* x;
  float* y;
  const float* scale;
  const float* bias;  // nullptr = none
  int64_t inner;
  float eps;
  float* mean_out;  // nullptr = not wanted
  float* inv_out;
};

void normalize_rows(void* context, size_t start, size_t count) {
  const RowsJob& j = *static_cast<const RowsJob*>(context);
  constexpr int kLanes = 8;
  const int64_t n = j.inner, body = n - n % kLanes;
  for (size_t o = start; o < start + count; ++o) {
    const float* xp = j.x + static_cast<int64_t>(o) * n;
    float* yp = j.y + static_cast<int64_t>(o) * n;
    float acc[kLanes] = {};
    for (int64_t i = 0; i < body; i += kLanes)
      for (int l = 0; l < kLanes; ++l) acc[l] += xp[i + l];
    float sum = 0.0f;
    for (int l = 0; l < kLanes; ++l) sum += acc[l];
    for (int64_t i = body; i < n; ++i) sum += xp[i];
    const float mean = sum / static_cast<float>(n);
    float sq[kLanes] = {};
    for (int64_t i = 0; i < body; i += kLanes)
      for (int l = 0; l < kLanes; ++l) {
        const float d = xp[i + l] - mean;
        sq[l] += d * d;
      }
    float ss = 0.0f;
    for (int l = 0; l < kLanes; ++l) ss += sq[l];
    for (int64_t i = body; i < n; ++i) ss += (xp[i] - mean) * (xp[i] - mean);
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(n) + j.eps);
    if (j.bias) {
      for (int64_t i = 0; i < n; ++i) yp[i] = (xp[i] - mean) * inv * j.scale[i] + j.bias[i];
    } else {
      for (int64_t i = 0; i < n; ++i) yp[i] = (xp[i] - mean) * inv * j.scale[i];
    }
    if (j.mean_out) j.mean_out[o] = mean;
    if (j.inv_out) j.inv_out[o] = inv;
  }
}

}  // namespace

Status LayerNormalization(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* scale = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &scale));
  const Tensor* bias = ctx.input(2);
  if (ctx.attr_int("stash_type", 1) != 1) return Status::unsupported("stash_type other than float");
  const Shape& s = x->shape;
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", -1), s.rank, &axis));
  Shape norm_shape;
  Shape::from(s.dims + axis, s.rank - axis, &norm_shape);
  Shape stat_shape = s;
  for (int d = axis; d < s.rank; ++d) stat_shape.dims[d] = 1;
  const int64_t inner = norm_shape.numel();
  const int64_t outer = stat_shape.numel();
  // Scale and B broadcast (unidirectionally) to the normalised shape.
  Shape check;
  PARALLAX_RETURN_IF_ERROR(broadcast_shapes(norm_shape, scale->shape, &check));
  if (check != norm_shape)
    return Status::invalid("Scale " + scale->shape.to_string() + " does not broadcast to " +
                           norm_shape.to_string());
  if (bias) {
    PARALLAX_RETURN_IF_ERROR(broadcast_shapes(norm_shape, bias->shape, &check));
    if (check != norm_shape)
      return Status::invalid("B " + bias->shape.to_string() + " does not broadcast to " +
                             norm_shape.to_string());
  }
  Tensor* y = nullptr;
  Tensor* mean_out = nullptr;
  Tensor* inv_out = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, s, &y));
  if (ctx.output_count() > 1)
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, DType::kFloat32, stat_shape, &mean_out));
  if (ctx.output_count() > 2)
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(2, DType::kFloat32, stat_shape, &inv_out));

  if (x->dtype == DType::kFloat32 && scale->dtype == DType::kFloat32 && scale->numel() == inner &&
      (!bias || (bias->dtype == DType::kFloat32 && bias->numel() == inner)) && inner > 0) {
    RowsJob job{x->data_as<float>(),
                y->data_as<float>(),
                scale->data_as<float>(),
                bias ? bias->data_as<float>() : nullptr,
                inner,
                ctx.attr_float("epsilon", 1e-5f),
                mean_out ? mean_out->data_as<float>() : nullptr,
                inv_out ? inv_out->data_as<float>() : nullptr};
    const size_t rows_per_task = static_cast<size_t>(std::max<int64_t>(1, 8192 / inner));
    pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), &normalize_rows, &job,
                                       static_cast<size_t>(outer), rows_per_task, 0);
    return Status::ok();
  }
  // Materialise Scale and B over the normalised shape once, as doubles.
  nn::ScratchLayout layout;
  const size_t s_raw = layout.add<double>(scale->numel());
  const size_t b_raw = layout.add<double>(bias ? bias->numel() : 0);
  const size_t s_off = layout.add<double>(inner);
  const size_t b_off = layout.add<double>(inner);
  char* base = layout.allocate(ctx);
  double* sr = nn::ScratchLayout::at<double>(base, s_raw);
  double* br = nn::ScratchLayout::at<double>(base, b_raw);
  double* sv = nn::ScratchLayout::at<double>(base, s_off);
  double* bv = nn::ScratchLayout::at<double>(base, b_off);
  PARALLAX_RETURN_IF_ERROR(nn::load_values(*scale, sr));
  if (bias) PARALLAX_RETURN_IF_ERROR(nn::load_values(*bias, br));
  {
    const Shape* ins[2] = {&scale->shape, bias ? &bias->shape : &scale->shape};
    for_each_broadcast<2>(norm_shape, ins, [&](int64_t o, const int64_t* off) {
      sv[o] = sr[off[0]];
      bv[o] = bias ? br[off[1]] : 0.0;
    });
  }
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    for (int64_t o = 0; o < outer; ++o) {
      const T* xp = x->data_as<T>() + o * inner;
      T* yp = y->data_as<T>() + o * inner;
      double mean = 0.0, var = 0.0;
      nn::mean_variance(xp, inner, 1, &mean, &var);
      const double inv = 1.0 / std::sqrt(var + eps);
      for (int64_t i = 0; i < inner; ++i) {
        const double v = (static_cast<double>(static_cast<C>(xp[i])) - mean) * inv;
        yp[i] = static_cast<T>(static_cast<C>(v * sv[i] + bv[i]));
      }
      if (mean_out) mean_out->data_as<float>()[o] = static_cast<float>(mean);
      if (inv_out) inv_out->data_as<float>()[o] = static_cast<float>(inv);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
