// Input and output plumbing shared by the ai.onnx.preview.training optimizers (Adagrad, Adam,
// Momentum). Their inputs are R (learning rate scalar), T (int64 update count scalar), then
// `groups` lists of n tensors each (X..., G..., then one list per optimizer state); their
// outputs are the updated X list followed by the updated state lists. Each output k*n + i has
// the shape of X_i.
//
//   misc::OptimizerArgs a;
//   PARALLAX_RETURN_IF_ERROR(misc::read_optimizer_args(ctx, /*groups=*/3, &a));
//   for (int i = 0; i < a.n; ++i) { const Tensor* x = a.in(0, i); Tensor* x_new = a.out(0, i); }
#pragma once

#include <string>

#include "../common.h"

namespace parallax::rt::kernels::misc {

constexpr int kMaxOptimizerTensors = 64;
constexpr TypeSet kOptimizerTypes = type_bit(DType::kFloat32) | type_bit(DType::kFloat64);

struct OptimizerArgs {
  double rate = 0.0;
  int64_t step = 0;
  int n = 0;       // tensors per list
  int groups = 0;  // lists of inputs after R and T
  const KernelContext* ctx = nullptr;
  Tensor* outputs[kMaxOptimizerTensors * 3] = {};

  // Tensor i of input list g (0 = X, 1 = G, 2.. = states).
  const Tensor* in(int g, int i) const { return ctx->input(2 + g * n + i); }
  // Tensor i of output list k (0 = X_new, 1.. = new states).
  Tensor* out(int k, int i) const { return outputs[k * n + i]; }
};

inline Status read_optimizer_args(KernelContext& ctx, int groups, OptimizerArgs* a) {
  a->ctx = &ctx;
  a->groups = groups;
  const Tensor* r = nullptr;
  const Tensor* t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &r));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &t));
  if (r->numel() != 1 || (r->dtype != DType::kFloat32 && r->dtype != DType::kFloat64)) {
    return Status::invalid("R must be a float or double scalar");
  }
  if (t->numel() != 1 || t->dtype != DType::kInt64)
    return Status::invalid("T must be an int64 scalar");
  a->rate = r->dtype == DType::kFloat32 ? r->data_as<float>()[0] : r->data_as<double>()[0];
  a->step = t->data_as<int64_t>()[0];
  const int tensors = ctx.input_count() - 2;
  if (tensors <= 0 || tensors % groups != 0) {
    return Status::invalid("expected R, T and " + std::to_string(groups) +
                           " equally long lists of tensors, got " +
                           std::to_string(ctx.input_count()) + " inputs");
  }
  a->n = tensors / groups;
  const int out_lists = groups - 1;
  if (a->n > kMaxOptimizerTensors) {
    return Status::unsupported("more than " + std::to_string(kMaxOptimizerTensors) + " tensors");
  }
  if (ctx.output_count() != out_lists * a->n) {
    return Status::invalid("expected " + std::to_string(out_lists * a->n) + " outputs, got " +
                           std::to_string(ctx.output_count()));
  }
  for (int i = 0; i < a->n; ++i) {
    const Tensor* x = a->in(0, i);
    if (x == nullptr) return Status::invalid("tensor " + std::to_string(i) + " of X is missing");
    if (!(kOptimizerTypes & type_bit(x->dtype))) {
      return Status::unsupported(std::string("element type ") + dtype_name(x->dtype));
    }
    for (int g = 1; g < groups; ++g) {
      const Tensor* other = a->in(g, i);
      if (other == nullptr || other->dtype != x->dtype || other->shape != x->shape) {
        return Status::invalid("input " + std::to_string(2 + g * a->n + i) + " must match X[" +
                               std::to_string(i) + "] in type and shape");
      }
    }
    for (int k = 0; k < out_lists; ++k) {
      PARALLAX_RETURN_IF_ERROR(
          ctx.allocate_output(k * a->n + i, x->dtype, x->shape, &a->outputs[k * a->n + i]));
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels::misc
