// Dropout (opset 1-17). Inference makes it the identity: before opset 12 always (there is no
// training switch left to honour), from opset 12 unless input 2 (training_mode) is true and
// input 1 (ratio, default 0.5) is above 0. In training mode each element is kept with
// probability 1 - ratio and scaled by 1 / (1 - ratio), drawn from a generator seeded by the
// `seed` attribute (so runs repeat, but do not match other runtimes' random draws).
// The optional output 1 is the keep mask: bool from opset 10, x's type before.
// Types: float16, bfloat16, float, double.
#include <cstring>
#include <string>

#include "../common.h"

namespace parallax::rt::kernels {

namespace {

// splitmix64: a small, well-mixed generator; enough for drop masks.
struct Rng {
  uint64_t state;
  double uniform() {  // in [0, 1)
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
  }
};

// Reads the opset 12+ inputs: *training is true only when dropping is requested.
Status training_ratio(const KernelContext& ctx, bool* training, double* ratio) {
  *training = false;
  *ratio = 0.5;
  if (ctx.opset() < 12) return Status::ok();
  if (const Tensor* r = ctx.input(1)) {
    if (r->numel() != 1 || !dtype_is_float(r->dtype)) {
      return Status::invalid("ratio must be a single float value");
    }
    PARALLAX_RETURN_IF_ERROR(PARALLAX_DISPATCH(r->dtype, kFloatTypes, [&](auto tag) {
      using T = typename decltype(tag)::type;
      *ratio = static_cast<double>(static_cast<compute_t<T>>(r->data_as<T>()[0]));
      return Status::ok();
    }));
  }
  if (const Tensor* t = ctx.input(2)) {
    if (t->numel() != 1 || t->dtype != DType::kBool) {
      return Status::invalid("training_mode must be a single bool value");
    }
    *training = t->data_as<bool>()[0];
  }
  if (*training && !(*ratio >= 0.0 && *ratio < 1.0)) {
    return Status::invalid("ratio must be in [0, 1), got " + std::to_string(*ratio));
  }
  *training = *training && *ratio > 0.0;
  return Status::ok();
}

}  // namespace

Status Dropout(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  bool training = false;
  double ratio = 0.5;
  PARALLAX_RETURN_IF_ERROR(training_ratio(ctx, &training, &ratio));
  const bool has_mask = ctx.output_count() > 1;
  const DType mask_type = ctx.opset() >= 10 ? DType::kBool : x->dtype;
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    Tensor* y = nullptr;
    Tensor* mask = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
    if (has_mask) PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, mask_type, x->shape, &mask));
    const int64_t n = x->numel();
    const T* in = x->data_as<T>();
    T* out = y->data_as<T>();
    // The mask is written as bool or as T; one keep flag serves both.
    auto set_mask = [&](int64_t i, bool keep) {
      if (mask_type == DType::kBool) {
        mask->data_as<bool>()[i] = keep;
      } else {
        mask->data_as<T>()[i] = static_cast<T>(C(keep ? 1 : 0));
      }
    };
    if (!training) {
      if (n != 0 && out != in) std::memcpy(out, in, static_cast<size_t>(n) * sizeof(T));
      for (int64_t i = 0; has_mask && i < n; ++i) set_mask(i, true);
      return Status::ok();
    }
    Rng rng{static_cast<uint64_t>(ctx.attr_int("seed", 0))};
    const C scale = static_cast<C>(1.0 / (1.0 - ratio));
    for (int64_t i = 0; i < n; ++i) {
      const bool keep = rng.uniform() >= ratio;
      out[i] = static_cast<T>(keep ? static_cast<C>(in[i]) * scale : C(0));
      if (has_mask) set_mask(i, keep);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
