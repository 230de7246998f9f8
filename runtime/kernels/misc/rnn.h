// The machinery RNN, GRU and LSTM share: activation functions named by attribute, input
// validation, the layout (opset 14) index arithmetic, and the driver that walks every
// direction and batch entry through its sequence.
//
// A kernel reads its arguments, then hands the driver a cell that advances one time step:
//
//   RnnArgs a;
//   PARALLAX_RETURN_IF_ERROR(read_rnn_args(ctx, /*gates=*/3, &a));
//   RnnOutputs out;
//   PARALLAX_RETURN_IF_ERROR(allocate_rnn_outputs(ctx, a, /*with_cell=*/false, &out));
//   run_rnn<T>(a, out, work, [&](int dir, const T* x, C* h, C* c, C* gates) { ... });
//
// Tensors: X is [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1); W is
// [dirs, gates*hidden, input], R is [dirs, gates*hidden, hidden], B is [dirs, 2*gates*hidden].
// Y is [seq, dirs, batch, hidden] or [batch, seq, dirs, hidden]; Y_h and Y_c are
// [dirs, batch, hidden] or [batch, dirs, hidden]. Time steps past a batch entry's
// sequence_lens are zero in Y; Y_h holds the state after its last valid step.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../common.h"

namespace parallax::rt::kernels::misc {

// One activation function of the recurrent ops' 'activations' attribute.
struct Activation {
  enum class Kind {
    kRelu,
    kTanh,
    kSigmoid,
    kAffine,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus,
  };
  Kind kind = Kind::kSigmoid;
  float alpha = 0.0f;
  float beta = 0.0f;

  template <typename C>
  C operator()(C x) const {
    switch (kind) {
      case Kind::kRelu:
        return x > C(0) ? x : C(0);
      case Kind::kTanh:
        return std::tanh(x);
      case Kind::kSigmoid:
        return C(1) / (C(1) + std::exp(-x));
      case Kind::kAffine:
        return C(alpha) * x + C(beta);
      case Kind::kLeakyRelu:
        return x >= C(0) ? x : C(alpha) * x;
      case Kind::kThresholdedRelu:
        return x > C(alpha) ? x : C(0);
      case Kind::kScaledTanh:
        return C(alpha) * std::tanh(C(beta) * x);
      case Kind::kHardSigmoid: {
        const C v = C(alpha) * x + C(beta);
        return v < C(0) ? C(0) : (v > C(1) ? C(1) : v);
      }
      case Kind::kElu:
        return x >= C(0) ? x : C(alpha) * (std::exp(x) - C(1));
      case Kind::kSoftsign:
        return x / (C(1) + std::fabs(x));
      case Kind::kSoftplus:
        return std::log1p(std::exp(x));
    }
    return x;
  }
};

constexpr int kMaxRnnActivations = 6;  // LSTM's f, g, h for both directions

// Fills out[0 .. per_dir * dirs) from the 'activations', 'activation_alpha' and
// 'activation_beta' attributes, or from `defaults` (per_dir names) when they are absent.
// Functions that take alpha / beta consume the next value of those lists, in order.
inline Status read_activations(const KernelContext& ctx, int per_dir, int dirs,
                               const char* const* defaults, Activation* out);

struct RnnArgs {
  const Tensor* x = nullptr;
  const Tensor* w = nullptr;
  const Tensor* r = nullptr;
  const Tensor* b = nullptr;         // optional
  const Tensor* seq_lens = nullptr;  // optional
  const Tensor* h0 = nullptr;        // optional
  int gates = 1;
  int dirs = 1;
  bool reverse = false;      // direction == "reverse" (only meaningful when dirs == 1)
  bool batch_major = false;  // layout == 1
  int64_t seq = 0;
  int64_t batch = 0;
  int64_t input = 0;
  int64_t hidden = 0;
  bool has_clip = false;
  float clip = 0.0f;

  // Element offsets of a row (input or hidden vector) in X, Y and Y_h / Y_c / initial states.
  int64_t x_row(int64_t t, int64_t bi) const {
    return (batch_major ? bi * seq + t : t * batch + bi) * input;
  }
  int64_t y_row(int64_t t, int d, int64_t bi) const {
    return (batch_major ? (bi * seq + t) * dirs + d : (t * dirs + d) * batch + bi) * hidden;
  }
  int64_t state_row(int d, int64_t bi) const {
    return (batch_major ? bi * dirs + d : d * batch + bi) * hidden;
  }
  int64_t length(int64_t bi) const { return seq_lens ? int_at(*seq_lens, bi) : seq; }
  Shape state_shape() const {
    return batch_major ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
  }
  // Clips a gate pre-activation to [-clip, clip] when the 'clip' attribute is set.
  template <typename C>
  C clipped(C v) const {
    if (!has_clip) return v;
    return v < C(-clip) ? C(-clip) : (v > C(clip) ? C(clip) : v);
  }
};

// Reads X, W, R, B, sequence_lens, initial_h (inputs 0-5) and the direction, hidden_size,
// layout and clip attributes, and checks every shape against the others.
inline Status read_rnn_args(const KernelContext& ctx, int gates, RnnArgs* a);

// Checks an optional per-direction state input (initial_h, initial_c) against the args.
inline Status check_state_input(const RnnArgs& a, const Tensor* t, const char* name);

struct RnnOutputs {
  Tensor* y = nullptr;
  Tensor* y_h = nullptr;
  Tensor* y_c = nullptr;  // LSTM only
};

// Allocates Y, Y_h and (for `with_cell`) Y_c, as many as the node has.
inline Status allocate_rnn_outputs(KernelContext& ctx, const RnnArgs& a, bool with_cell,
                                   RnnOutputs* out);

// out[i] (+)= dot(m[i, 0..cols), v) for i in [0, rows): one matrix-vector product against a
// row-major weight matrix, reading each weight row contiguously.
template <typename T, typename V, typename C>
inline void gemv(const T* m, int64_t rows, int64_t cols, const V* v, C* out, bool accumulate) {
  for (int64_t i = 0; i < rows; ++i) {
    const T* row = m + i * cols;
    C acc = accumulate ? out[i] : C(0);
    for (int64_t k = 0; k < cols; ++k) acc += static_cast<C>(row[k]) * static_cast<C>(v[k]);
    out[i] = acc;
  }
}

// Walks every direction and batch entry through its sequence. `cell(dir, x_row, h, c)`
// advances the state h (and c, for LSTM) by one step in place. `state` is scratch for
// 2 * hidden values of C. Writes Y, Y_h and Y_c where the node has them.
template <typename T, typename C, typename Cell>
void run_rnn(const RnnArgs& a, const RnnOutputs& out, const Tensor* c0, C* state, Cell&& cell) {
  C* h = state;
  C* c = state + a.hidden;
  const T* x = a.x->data_as<T>();
  T* y = out.y ? out.y->data_as<T>() : nullptr;
  for (int d = 0; d < a.dirs; ++d) {
    const bool reverse = a.dirs == 2 ? d == 1 : a.reverse;
    for (int64_t bi = 0; bi < a.batch; ++bi) {
      const int64_t len = a.length(bi);
      const int64_t s0 = a.state_row(d, bi);
      for (int64_t k = 0; k < a.hidden; ++k) {
        h[k] = a.h0 ? static_cast<C>(a.h0->data_as<T>()[s0 + k]) : C(0);
        c[k] = c0 ? static_cast<C>(c0->data_as<T>()[s0 + k]) : C(0);
      }
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        cell(d, x + a.x_row(t, bi), h, c);
        if (y) {
          T* row = y + a.y_row(t, d, bi);
          for (int64_t k = 0; k < a.hidden; ++k) row[k] = static_cast<T>(h[k]);
        }
      }
      if (y) {
        for (int64_t t = len; t < a.seq; ++t) {
          T* row = y + a.y_row(t, d, bi);
          for (int64_t k = 0; k < a.hidden; ++k) row[k] = static_cast<T>(C(0));
        }
      }
      if (out.y_h) {
        T* row = out.y_h->data_as<T>() + s0;
        for (int64_t k = 0; k < a.hidden; ++k) row[k] = static_cast<T>(h[k]);
      }
      if (out.y_c) {
        T* row = out.y_c->data_as<T>() + s0;
        for (int64_t k = 0; k < a.hidden; ++k) row[k] = static_cast<T>(c[k]);
      }
    }
  }
}

// --- implementation ----------------------------------------------------------------------

namespace rnn_detail {

inline bool iequals(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i] != '\0'; ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return i == a.size() && b[i] == '\0';
}

// Name -> kind, whether it takes alpha / beta, and their defaults.
struct ActivationInfo {
  const char* name;
  Activation::Kind kind;
  bool has_alpha, has_beta;
  float alpha, beta;
};
constexpr ActivationInfo kActivations[] = {
    {"Relu", Activation::Kind::kRelu, false, false, 0.0f, 0.0f},
    {"Tanh", Activation::Kind::kTanh, false, false, 0.0f, 0.0f},
    {"Sigmoid", Activation::Kind::kSigmoid, false, false, 0.0f, 0.0f},
    {"Affine", Activation::Kind::kAffine, true, true, 1.0f, 0.0f},
    {"LeakyRelu", Activation::Kind::kLeakyRelu, true, false, 0.01f, 0.0f},
    {"ThresholdedRelu", Activation::Kind::kThresholdedRelu, true, false, 1.0f, 0.0f},
    {"ScaledTanh", Activation::Kind::kScaledTanh, true, true, 1.0f, 1.0f},
    {"HardSigmoid", Activation::Kind::kHardSigmoid, true, true, 0.2f, 0.5f},
    {"Elu", Activation::Kind::kElu, true, false, 1.0f, 0.0f},
    {"Softsign", Activation::Kind::kSoftsign, false, false, 0.0f, 0.0f},
    {"Softplus", Activation::Kind::kSoftplus, false, false, 0.0f, 0.0f},
};

}  // namespace rnn_detail

inline Status read_activations(const KernelContext& ctx, int per_dir, int dirs,
                               const char* const* defaults, Activation* out) {
  const std::vector<std::string>* names = ctx.attr_strings("activations");
  const std::vector<float>* alphas = ctx.attr_floats("activation_alpha");
  const std::vector<float>* betas = ctx.attr_floats("activation_beta");
  const int total = per_dir * dirs;
  const int given = names ? static_cast<int>(names->size()) : 0;
  // One direction's list may serve both directions.
  if (given != 0 && given != total && given != per_dir) {
    return Status::invalid("'activations' has " + std::to_string(given) + " entries, expected " +
                           std::to_string(total));
  }
  size_t next_alpha = 0;
  size_t next_beta = 0;
  for (int i = 0; i < total; ++i) {
    const std::string name = given ? (*names)[i % given] : std::string(defaults[i % per_dir]);
    const rnn_detail::ActivationInfo* info = nullptr;
    for (const auto& candidate : rnn_detail::kActivations) {
      if (rnn_detail::iequals(name, candidate.name)) info = &candidate;
    }
    if (info == nullptr) return Status::unsupported("activation function '" + name + "'");
    out[i].kind = info->kind;
    out[i].alpha = info->alpha;
    out[i].beta = info->beta;
    if (info->has_alpha && alphas && next_alpha < alphas->size())
      out[i].alpha = (*alphas)[next_alpha++];
    if (info->has_beta && betas && next_beta < betas->size()) out[i].beta = (*betas)[next_beta++];
  }
  return Status::ok();
}

inline Status check_state_input(const RnnArgs& a, const Tensor* t, const char* name) {
  if (t == nullptr) return Status::ok();
  if (t->dtype != a.x->dtype)
    return Status::invalid(std::string(name) + " must have X's element type");
  if (t->shape != a.state_shape()) {
    return Status::invalid(std::string(name) + " has shape " + t->shape.to_string() +
                           ", expected " + a.state_shape().to_string());
  }
  return Status::ok();
}

inline Status read_rnn_args(const KernelContext& ctx, int gates, RnnArgs* a) {
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &a->x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &a->w));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &a->r));
  a->b = ctx.input(3);
  a->seq_lens = ctx.input(4);
  a->h0 = ctx.input(5);
  a->gates = gates;
  const std::string direction = ctx.attr_string("direction", "forward");
  if (direction == "bidirectional") {
    a->dirs = 2;
  } else if (direction == "forward" || direction == "reverse") {
    a->dirs = 1;
    a->reverse = direction == "reverse";
  } else {
    return Status::invalid("unknown direction '" + direction + "'");
  }
  a->batch_major = ctx.opset() >= 14 && ctx.attr_int("layout", 0) != 0;
  if (const Attribute* clip = ctx.attr("clip")) {
    a->has_clip = true;
    a->clip = clip->f;
  }
  const Tensor& x = *a->x;
  if (x.shape.rank != 3) return Status::invalid("X must be 3-D, got " + x.shape.to_string());
  if (a->w->dtype != x.dtype || a->r->dtype != x.dtype || (a->b && a->b->dtype != x.dtype)) {
    return Status::invalid("X, W, R and B must have the same element type");
  }
  a->seq = a->batch_major ? x.shape[1] : x.shape[0];
  a->batch = a->batch_major ? x.shape[0] : x.shape[1];
  a->input = x.shape[2];
  const Shape& r = a->r->shape;
  a->hidden = ctx.attr_int("hidden_size", r.rank == 3 ? r[2] : -1);
  const int64_t gh = gates * a->hidden;
  if (a->hidden <= 0) return Status::invalid("hidden_size must be positive");
  if (a->w->shape != Shape{a->dirs, gh, a->input}) {
    return Status::invalid("W has shape " + a->w->shape.to_string() + ", expected " +
                           Shape{a->dirs, gh, a->input}.to_string());
  }
  if (r != Shape{a->dirs, gh, a->hidden}) {
    return Status::invalid("R has shape " + r.to_string() + ", expected " +
                           Shape{a->dirs, gh, a->hidden}.to_string());
  }
  if (a->b && a->b->shape != Shape{a->dirs, 2 * gh}) {
    return Status::invalid("B has shape " + a->b->shape.to_string() + ", expected " +
                           Shape{a->dirs, 2 * gh}.to_string());
  }
  if (a->seq_lens) {
    if (!is_int_tensor(*a->seq_lens) || a->seq_lens->shape != Shape{a->batch}) {
      return Status::invalid("sequence_lens must be an integer tensor of shape [" +
                             std::to_string(a->batch) + "]");
    }
    for (int64_t bi = 0; bi < a->batch; ++bi) {
      const int64_t len = int_at(*a->seq_lens, bi);
      if (len < 0 || len > a->seq) {
        return Status::invalid("sequence_lens[" + std::to_string(bi) +
                               "] = " + std::to_string(len) + " is outside [0, " +
                               std::to_string(a->seq) + "]");
      }
    }
  }
  return check_state_input(*a, a->h0, "initial_h");
}

inline Status allocate_rnn_outputs(KernelContext& ctx, const RnnArgs& a, bool with_cell,
                                   RnnOutputs* out) {
  const int n = ctx.output_count();
  const Shape y_shape = a.batch_major ? Shape{a.batch, a.seq, a.dirs, a.hidden}
                                      : Shape{a.seq, a.dirs, a.batch, a.hidden};
  if (n > 0) PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, a.x->dtype, y_shape, &out->y));
  if (n > 1)
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, a.x->dtype, a.state_shape(), &out->y_h));
  if (with_cell && n > 2) {
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(2, a.x->dtype, a.state_shape(), &out->y_c));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels::misc
