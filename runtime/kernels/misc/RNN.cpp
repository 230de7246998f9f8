// RNN (opset 1-17): the simple recurrent network H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb).
// Directions forward / reverse / bidirectional, sequence_lens, initial_h, clip, any of the
// named activation functions (default Tanh), and the batch-major layout of opset 14.
// Types: float16, bfloat16, float, double.
#include "rnn.h"

namespace parallax::rt::kernels {

Status RNN(KernelContext& ctx) {
  misc::RnnArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_rnn_args(ctx, 1, &a));
  static const char* const kDefaults[] = {"Tanh"};
  misc::Activation act[misc::kMaxRnnActivations];
  PARALLAX_RETURN_IF_ERROR(misc::read_activations(ctx, 1, a.dirs, kDefaults, act));
  misc::RnnOutputs out;
  PARALLAX_RETURN_IF_ERROR(misc::allocate_rnn_outputs(ctx, a, false, &out));
  return PARALLAX_DISPATCH(a.x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const int64_t hid = a.hidden;
    C* state = static_cast<C*>(ctx.scratch(sizeof(C) * 3 * hid));
    C* gate = state + 2 * hid;
    misc::run_rnn<T, C>(a, out, nullptr, state, [&](int d, const T* x, C* h, C*) {
      const T* w = a.w->data_as<T>() + d * hid * a.input;
      const T* r = a.r->data_as<T>() + d * hid * hid;
      misc::gemv(w, hid, a.input, x, gate, false);
      misc::gemv(r, hid, hid, h, gate, true);
      const T* wb = a.b ? a.b->data_as<T>() + d * 2 * hid : nullptr;
      for (int64_t k = 0; k < hid; ++k) {
        C v = gate[k];
        if (wb) v += static_cast<C>(wb[k]) + static_cast<C>(wb[hid + k]);
        h[k] = act[d](a.clipped(v));
      }
    });
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
