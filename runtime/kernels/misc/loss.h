// The negative log-likelihood reduction shared by NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss (which applies it to log_softmax of its scores).
//
//   Input [N, C, d1..dk] (log-probabilities), target [N, d1..dk] of class indices, optional
//   weight [C]. loss[n, j] = -input[n, target[n, j], j] * weight[target[n, j]], and 0 where
//   target == ignore_index. Reduction "none" keeps [N, d1..dk]; "sum" adds everything; "mean"
//   divides the sum by the total weight of the entries that were not ignored.
//
//   misc::LossArgs la;
//   PARALLAX_RETURN_IF_ERROR(misc::read_loss_args(ctx, *scores, &la));
//   PARALLAX_RETURN_IF_ERROR(misc::nll_loss<T>(ctx, la, log_prob_values));
#pragma once

#include <cstdint>
#include <string>

#include "../common.h"

namespace parallax::rt::kernels::misc {

struct LossArgs {
  const Tensor* target = nullptr;
  const Tensor* weight = nullptr;  // optional
  enum class Reduction { kNone, kSum, kMean } reduction = Reduction::kMean;
  bool has_ignore = false;
  int64_t ignore_index = 0;
  int64_t n = 0;        // batch
  int64_t classes = 0;  // C
  int64_t inner = 1;    // d1 * ... * dk
};

// Reads target (input 1), weight (input 2) and the reduction / ignore_index attributes, and
// checks them against the [N, C, d1..dk] shape of `input`.
inline Status read_loss_args(const KernelContext& ctx, const Tensor& input, LossArgs* a) {
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &a->target));
  a->weight = ctx.input(2);
  const std::string reduction = ctx.attr_string("reduction", "mean");
  if (reduction == "none") {
    a->reduction = LossArgs::Reduction::kNone;
  } else if (reduction == "sum") {
    a->reduction = LossArgs::Reduction::kSum;
  } else if (reduction == "mean") {
    a->reduction = LossArgs::Reduction::kMean;
  } else {
    return Status::invalid("unknown reduction '" + reduction + "'");
  }
  if (const Attribute* ii = ctx.attr("ignore_index")) {
    a->has_ignore = true;
    a->ignore_index = ii->i;
  }
  const Shape& s = input.shape;
  const Shape& t = a->target->shape;
  if (s.rank < 2) return Status::invalid("input must have rank >= 2, got " + s.to_string());
  bool match = is_int_tensor(*a->target) && t.rank == s.rank - 1 && t[0] == s[0];
  for (int i = 1; match && i < t.rank; ++i) match = t[i] == s[i + 1];
  if (!match) {
    return Status::invalid("target " + t.to_string() +
                           " must be an integer tensor shaped like input " + s.to_string() +
                           " without its class axis");
  }
  a->n = s[0];
  a->classes = s[1];
  a->inner = 1;
  for (int i = 2; i < s.rank; ++i) a->inner *= s[i];
  if (a->weight && (a->weight->dtype != input.dtype || a->weight->shape != Shape{a->classes})) {
    return Status::invalid("weight must have the input's element type and shape [" +
                           std::to_string(a->classes) + "]");
  }
  return Status::ok();
}

// Computes the loss from log-probabilities `logp` (laid out as the input) into output 0 of
// element type T.
template <typename T, typename V>
Status nll_loss(KernelContext& ctx, const LossArgs& a, const V* logp) {
  using C = compute_t<T>;
  const bool keep = a.reduction == LossArgs::Reduction::kNone;
  Tensor* out = nullptr;
  PARALLAX_RETURN_IF_ERROR(
      ctx.allocate_output(0, dtype_of<T>(), keep ? a.target->shape : Shape{}, &out));
  T* y = out->data_as<T>();
  const T* w = a.weight ? a.weight->data_as<T>() : nullptr;
  double total = 0.0;
  double total_weight = 0.0;
  for (int64_t b = 0; b < a.n; ++b) {
    for (int64_t j = 0; j < a.inner; ++j) {
      const int64_t pos = b * a.inner + j;
      const int64_t cls = int_at(*a.target, pos);
      if (a.has_ignore && cls == a.ignore_index) {
        if (keep) y[pos] = static_cast<T>(C(0));
        continue;
      }
      if (cls < 0 || cls >= a.classes) {
        return Status::out_of_range("target value " + std::to_string(cls) + " is outside [0, " +
                                    std::to_string(a.classes) + ")");
      }
      const C wt = w ? static_cast<C>(w[cls]) : C(1);
      const C loss = -static_cast<C>(logp[(b * a.classes + cls) * a.inner + j]) * wt;
      if (keep) y[pos] = static_cast<T>(loss);
      total += static_cast<double>(loss);
      total_weight += static_cast<double>(wt);
    }
  }
  if (a.reduction == LossArgs::Reduction::kSum) y[0] = static_cast<T>(static_cast<C>(total));
  if (a.reduction == LossArgs::Reduction::kMean) {
    y[0] = static_cast<T>(static_cast<C>(total / total_weight));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels::misc
