// SoftmaxCrossEntropyLoss (opset 12-17): scores [N, C, d1..dk], labels [N, d1..dk], optional
// weights [C]. log_prob = log_softmax(scores, axis 1) is the optional second output; the loss
// is the negative log-likelihood of log_prob (reduction none / sum / mean, ignore_index; see
// loss.h). Types: float16, bfloat16, float, double.
#include <cmath>
#include <limits>

#include "loss.h"

namespace parallax::rt::kernels {

Status SoftmaxCrossEntropyLoss(KernelContext& ctx) {
  const Tensor* scores = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &scores));
  misc::LossArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_loss_args(ctx, *scores, &a));
  return PARALLAX_DISPATCH(scores->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* x = scores->data_as<T>();
    const int64_t total = scores->numel();
    C* logp = static_cast<C*>(ctx.scratch(sizeof(C) * (total > 0 ? total : 1)));
    // Stable log-softmax over the class axis, one (batch, position) column at a time.
    for (int64_t b = 0; b < a.n; ++b) {
      for (int64_t j = 0; j < a.inner; ++j) {
        const int64_t base = b * a.classes * a.inner + j;
        C mx = -std::numeric_limits<C>::infinity();
        for (int64_t c = 0; c < a.classes; ++c) {
          const C v = static_cast<C>(x[base + c * a.inner]);
          if (v > mx) mx = v;
        }
        C sum = C(0);
        for (int64_t c = 0; c < a.classes; ++c)
          sum += std::exp(static_cast<C>(x[base + c * a.inner]) - mx);
        const C log_sum = std::log(sum) + mx;
        for (int64_t c = 0; c < a.classes; ++c) {
          logp[base + c * a.inner] = static_cast<C>(x[base + c * a.inner]) - log_sum;
        }
      }
    }
    if (ctx.output_count() > 1) {
      Tensor* lp = nullptr;
      PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, scores->dtype, scores->shape, &lp));
      T* out = lp->data_as<T>();
      for (int64_t i = 0; i < total; ++i) out[i] = static_cast<T>(logp[i]);
    }
    return misc::nll_loss<T>(ctx, a, logp);
  });
}

}  // namespace parallax::rt::kernels
