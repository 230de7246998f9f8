// LSTM (opset 1-17): long short-term memory, gates stacked in the order i, o, f, c:
//   i = f(X W_i^T + H R_i^T + P_i . C + Wb_i + Rb_i)
//   f = f(X W_f^T + H R_f^T + P_f . C + Wb_f + Rb_f)     (1 - i when input_forget is set)
//   c = g(X W_c^T + H R_c^T + Wb_c + Rb_c)
//   C' = f . C + i . c
//   o = f(X W_o^T + H R_o^T + P_o . C' + Wb_o + Rb_o)
//   H' = o . h(C')
// Directions, sequence_lens, initial_h / initial_c, peepholes P ([dirs, 3*hidden], order
// i, o, f), clip, activations (default Sigmoid, Tanh, Tanh), layout (opset 14).
// Types: float16, bfloat16, float, double.
#include "rnn.h"

namespace parallax::rt::kernels {

Status LSTM(KernelContext& ctx) {
  misc::RnnArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_rnn_args(ctx, 4, &a));
  const Tensor* c0 = ctx.input(6);
  const Tensor* p = ctx.input(7);
  PARALLAX_RETURN_IF_ERROR(misc::check_state_input(a, c0, "initial_c"));
  if (p && (p->dtype != a.x->dtype || p->shape != Shape{a.dirs, 3 * a.hidden})) {
    return Status::invalid("P must have X's element type and shape " +
                           Shape{a.dirs, 3 * a.hidden}.to_string() + ", got " +
                           p->shape.to_string());
  }
  static const char* const kDefaults[] = {"Sigmoid", "Tanh", "Tanh"};
  misc::Activation act[misc::kMaxRnnActivations];
  PARALLAX_RETURN_IF_ERROR(misc::read_activations(ctx, 3, a.dirs, kDefaults, act));
  const bool input_forget = ctx.attr_int("input_forget", 0) != 0;
  misc::RnnOutputs out;
  PARALLAX_RETURN_IF_ERROR(misc::allocate_rnn_outputs(ctx, a, true, &out));
  return PARALLAX_DISPATCH(a.x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const int64_t hid = a.hidden;
    C* state = static_cast<C*>(ctx.scratch(sizeof(C) * 6 * hid));
    C* gate = state + 2 * hid;  // i, o, f, c pre-activations
    misc::run_rnn<T, C>(a, out, c0, state, [&](int d, const T* x, C* h, C* c) {
      const T* w = a.w->data_as<T>() + d * 4 * hid * a.input;
      const T* r = a.r->data_as<T>() + d * 4 * hid * hid;
      const T* wb = a.b ? a.b->data_as<T>() + d * 8 * hid : nullptr;
      const T* peep = p ? p->data_as<T>() + d * 3 * hid : nullptr;
      const misc::Activation& f = act[3 * d];
      const misc::Activation& g = act[3 * d + 1];
      const misc::Activation& hact = act[3 * d + 2];
      misc::gemv(w, 4 * hid, a.input, x, gate, false);
      misc::gemv(r, 4 * hid, hid, h, gate, true);
      if (wb) {
        for (int64_t k = 0; k < 4 * hid; ++k) {
          gate[k] += static_cast<C>(wb[k]) + static_cast<C>(wb[4 * hid + k]);
        }
      }
      auto peephole = [&](int which, int64_t k, C cell) {
        return peep ? static_cast<C>(peep[which * hid + k]) * cell : C(0);
      };
      for (int64_t k = 0; k < hid; ++k) {
        const C i = f(a.clipped(gate[k] + peephole(0, k, c[k])));
        const C fg =
            input_forget ? C(1) - i : f(a.clipped(gate[2 * hid + k] + peephole(2, k, c[k])));
        const C cand = g(a.clipped(gate[3 * hid + k]));
        c[k] = fg * c[k] + i * cand;
        const C o = f(a.clipped(gate[hid + k] + peephole(1, k, c[k])));
        h[k] = o * hact(c[k]);
      }
    });
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
