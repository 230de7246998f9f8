// GRU (opset 1-17): gated recurrent unit with update gate z, reset gate r and hidden gate h
// (weights stacked in that order):
//   z = f(X W_z^T + H R_z^T + Wb_z + Rb_z)      r = f(X W_r^T + H R_r^T + Wb_r + Rb_r)
//   h = g(X W_h^T + (r . H) R_h^T + Rb_h + Wb_h)       linear_before_reset = 0
//   h = g(X W_h^T + r . (H R_h^T + Rb_h) + Wb_h)       linear_before_reset != 0 (opset 3+)
//   H' = (1 - z) . h + z . H
// Directions, sequence_lens, initial_h, clip, activations (default Sigmoid, Tanh), layout.
// Types: float16, bfloat16, float, double.
#include "rnn.h"

namespace parallax::rt::kernels {

Status GRU(KernelContext& ctx) {
  misc::RnnArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_rnn_args(ctx, 3, &a));
  static const char* const kDefaults[] = {"Sigmoid", "Tanh"};
  misc::Activation act[misc::kMaxRnnActivations];
  PARALLAX_RETURN_IF_ERROR(misc::read_activations(ctx, 2, a.dirs, kDefaults, act));
  const bool linear_before_reset = ctx.opset() >= 3 && ctx.attr_int("linear_before_reset", 0) != 0;
  misc::RnnOutputs out;
  PARALLAX_RETURN_IF_ERROR(misc::allocate_rnn_outputs(ctx, a, false, &out));
  return PARALLAX_DISPATCH(a.x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const int64_t hid = a.hidden;
    // state (h, c) | x projections (3 hid) | h projections (3 hid) | reset hidden (hid)
    C* state = static_cast<C*>(ctx.scratch(sizeof(C) * 9 * hid));
    C* xw = state + 2 * hid;
    C* hr = xw + 3 * hid;
    C* rh = hr + 3 * hid;
    misc::run_rnn<T, C>(a, out, nullptr, state, [&](int d, const T* x, C* h, C*) {
      const T* w = a.w->data_as<T>() + d * 3 * hid * a.input;
      const T* r = a.r->data_as<T>() + d * 3 * hid * hid;
      const T* wb = a.b ? a.b->data_as<T>() + d * 6 * hid : nullptr;
      const T* rb = wb ? wb + 3 * hid : nullptr;
      auto bias = [&](const T* p, int64_t i) { return p ? static_cast<C>(p[i]) : C(0); };
      const misc::Activation& f = act[2 * d];
      const misc::Activation& g = act[2 * d + 1];
      misc::gemv(w, 3 * hid, a.input, x, xw, false);
      // z and r always see H R^T; the hidden gate's R product depends on the variant.
      misc::gemv(r, 2 * hid, hid, h, hr, false);
      for (int64_t k = 0; k < 2 * hid; ++k) {
        hr[k] = f(a.clipped(xw[k] + hr[k] + bias(wb, k) + bias(rb, k)));
      }
      const C* z = hr;
      const C* rg = hr + hid;
      C* hh = hr + 2 * hid;
      if (linear_before_reset) {
        misc::gemv(r + 2 * hid * hid, hid, hid, h, hh, false);
        for (int64_t k = 0; k < hid; ++k) hh[k] = rg[k] * (hh[k] + bias(rb, 2 * hid + k));
      } else {
        for (int64_t k = 0; k < hid; ++k) rh[k] = rg[k] * h[k];
        misc::gemv(r + 2 * hid * hid, hid, hid, rh, hh, false);
        for (int64_t k = 0; k < hid; ++k) hh[k] += bias(rb, 2 * hid + k);
      }
      for (int64_t k = 0; k < hid; ++k) {
        const C cand = g(a.clipped(xw[2 * hid + k] + hh[k] + bias(wb, 2 * hid + k)));
        h[k] = (C(1) - z[k]) * cand + z[k] * h[k];
      }
    });
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
