// NegativeLogLikelihoodLoss (opset 12-17): input [N, C, d1..dk] of log-probabilities, target
// [N, d1..dk] (int32 / int64), optional weight [C]; reduction none / sum / mean and
// ignore_index (see loss.h). Types: float16, bfloat16, float, double.
#include "loss.h"

namespace parallax::rt::kernels {

Status NegativeLogLikelihoodLoss(KernelContext& ctx) {
  const Tensor* input = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &input));
  misc::LossArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_loss_args(ctx, *input, &a));
  return PARALLAX_DISPATCH(input->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return misc::nll_loss<T>(ctx, a, input->data_as<T>());
  });
}

}  // namespace parallax::rt::kernels
