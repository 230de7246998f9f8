// Activation epilogues: an elementwise function applied to a Conv / Gemm / MatMul result while
// it is still in cache, and the shared entry points that take one. The plain ONNX kernels pass
// Activation{} (none); the com.parallax Fused* kernels (../fused/) pass the one their
// `activation` / `activation_params` attributes name, which the canonicalize pass sets when it
// fuses a following activation node (passes/fuse_activation.h).
//
//   nn::Activation act;
//   PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, &act));
//   return nn::run_conv(ctx, act);
//
// Each function computes exactly what the standalone activation kernel computes on the same
// compute-type value (same formula, same order), so a fused node matches the unfused pair up
// to the one rounding to a 16-bit type that fusion saves.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "../common.h"

namespace parallax::rt::kernels::nn {

// Gaussian error linear unit, erf form: 0.5 * x * (1 + erf(x / sqrt(2))), in the order the
// decomposed ONNX graph (Div, Erf, Add, Mul, Mul) computes it.
template <typename C>
inline C gelu(C x) {
  const C a = std::erf(x / static_cast<C>(1.4142135623730951)) + C(1);
  return (x * a) * C(0.5);
}

template <typename C>
inline C sigmoid(C x) {
  // As the Sigmoid kernel: exponentiate only non-positive values so |x| large never gives inf/inf.
  if (x >= C(0)) return C(1) / (C(1) + std::exp(-x));
  const C e = std::exp(x);
  return e / (C(1) + e);
}

// An activation applied in registers by the hand-written tiles: clamp to [out_min, out_max],
// then optionally x * sigmoid(silu_alpha * x) (SiLU for alpha 1).
struct ClampSilu {
  float out_min = -std::numeric_limits<float>::infinity();
  float out_max = std::numeric_limits<float>::infinity();
  bool silu = false;
  float silu_alpha = 1.0f;
};

struct Activation {
  enum class Kind : uint8_t {
    kNone,
    kRelu,
    kLeakyRelu,
    kSigmoid,
    kTanh,
    kHardSigmoid,
    kHardSwish,
    kClip,
    kSiLU,
    kSwish,
    kGelu
  };
  Kind kind = Kind::kNone;
  // LeakyRelu: alpha; HardSigmoid: alpha, beta; Clip: min, max (+-inf for an open side);
  // Swish: alpha, for x * sigmoid(alpha * x) (CLIP's QuickGELU is alpha = 1.702).
  float p0 = 0.0f;
  float p1 = 0.0f;

  // Reads `activation` (a name below; absent or "" = none) and `activation_params`.
  static Status parse(const KernelContext& ctx, Activation* out) {
    return parse(ctx, "activation", "activation_params", out);
  }

  // The same from attributes of other names (ExpandDepthwiseNhwc's expand_activation).
  static Status parse(const KernelContext& ctx, std::string_view attr, std::string_view params_attr,
                      Activation* out) {
    struct Entry {
      const char* name;
      Kind kind;
      size_t params;
    };
    static constexpr Entry kEntries[] = {
        {"Relu", Kind::kRelu, 0},
        {"LeakyRelu", Kind::kLeakyRelu, 1},
        {"Sigmoid", Kind::kSigmoid, 0},
        {"Tanh", Kind::kTanh, 0},
        {"HardSigmoid", Kind::kHardSigmoid, 2},
        {"HardSwish", Kind::kHardSwish, 0},
        {"Clip", Kind::kClip, 2},
        {"SiLU", Kind::kSiLU, 0},
        {"Swish", Kind::kSwish, 1},
        {"Gelu", Kind::kGelu, 0},
    };
    *out = Activation{};
    const std::string name = ctx.attr_string(attr, "");
    if (name.empty()) return Status::ok();
    static const std::vector<float> kNoParams;
    const std::vector<float>* params = ctx.attr_floats(params_attr);
    if (params == nullptr) params = &kNoParams;
    for (const Entry& e : kEntries) {
      if (name != e.name) continue;
      if (params->size() != e.params) {
        return Status::invalid(std::string(attr) + " '" + name + "' takes " +
                               std::to_string(e.params) + " " + std::string(params_attr) +
                               ", got " + std::to_string(params->size()));
      }
      out->kind = e.kind;
      if (e.params > 0) out->p0 = (*params)[0];
      if (e.params > 1) out->p1 = (*params)[1];
      return Status::ok();
    }
    return Status::invalid("unknown " + std::string(attr) + " '" + name + "'");
  }

  bool none() const { return kind == Kind::kNone; }

  // This activation as a ClampSilu, when it is none, Relu, Clip (min <= max), SiLU or (with
  // swish_ok) Swish; false otherwise.
  bool as_clamp_silu(bool swish_ok, ClampSilu* out) const {
    *out = ClampSilu{};
    switch (kind) {
      case Kind::kNone:
        return true;
      case Kind::kRelu:
        out->out_min = 0.0f;
        return true;
      case Kind::kClip:
        out->out_min = p0;
        out->out_max = p1;
        return p0 <= p1;
      case Kind::kSiLU:
        out->silu = true;
        return true;
      case Kind::kSwish:
        out->silu = true;
        out->silu_alpha = p0;
        return swish_ok;
      default:
        return false;
    }
  }

  // p[0, n) = f(p[0, n)) in the compute type C (float or double).
  template <typename C>
  void apply(C* p, int64_t n) const {
    const C a = static_cast<C>(p0), b = static_cast<C>(p1);
    switch (kind) {
      case Kind::kNone:
        return;
      case Kind::kRelu:
        for (int64_t i = 0; i < n; ++i) p[i] = p[i] < C(0) ? C(0) : p[i];
        return;
      case Kind::kLeakyRelu:
        for (int64_t i = 0; i < n; ++i) p[i] = p[i] < C(0) ? a * p[i] : p[i];
        return;
      case Kind::kSigmoid:
        for (int64_t i = 0; i < n; ++i) p[i] = sigmoid(p[i]);
        return;
      case Kind::kTanh:
        for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
        return;
      case Kind::kHardSigmoid:
        for (int64_t i = 0; i < n; ++i) {
          const C v = a * p[i] + b;
          p[i] = v < C(0) ? C(0) : (v > C(1) ? C(1) : v);
        }
        return;
      case Kind::kHardSwish:
        for (int64_t i = 0; i < n; ++i) {
          const C v = p[i] / C(6) + C(0.5);
          p[i] = p[i] * (v < C(0) ? C(0) : (v > C(1) ? C(1) : v));
        }
        return;
      case Kind::kClip:
        // As the Clip kernel: max with the lower bound first, then min with the upper.
        for (int64_t i = 0; i < n; ++i) {
          const C v = p[i] < a ? a : p[i];
          p[i] = v > b ? b : v;
        }
        return;
      case Kind::kSiLU:
        for (int64_t i = 0; i < n; ++i) p[i] = p[i] * sigmoid(p[i]);
        return;
      case Kind::kSwish:
        for (int64_t i = 0; i < n; ++i) p[i] = p[i] * sigmoid(p[i] * a);
        return;
      case Kind::kGelu:
        for (int64_t i = 0; i < n; ++i) p[i] = gelu(p[i]);
        return;
    }
  }
};

// Conv (inputs X, W, optional B and Conv's attributes) with `act` applied to each output
// channel as it is finished. Float types only. Conv.cpp.
Status run_conv(KernelContext& ctx, const Activation& act);

// Gemm (inputs A, B, optional C and Gemm's attributes) with `act` applied per output row; the
// activation requires a float type. Gemm.cpp.
Status run_gemm(KernelContext& ctx, const Activation& act);

// MatMul of inputs 0 and 1, plus `bias` (nullptr, or one value per output column, of the
// operands' type) added to every row, then `act`. Bias and activation need a float type.
// MatMul.cpp.
Status run_matmul(KernelContext& ctx, const Tensor* bias, const Activation& act);

// The prologue of the fused float kernels (FusedGemm, FusedMatMul): parses the activation and
// checks that input 0 (A) has a float type.
inline Status parse_fused_float(KernelContext& ctx, Activation* act) {
  PARALLAX_RETURN_IF_ERROR(Activation::parse(ctx, act));
  const Tensor* a = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &a));
  if (!dtype_is_float(a->dtype)) {
    return Status::invalid(std::string("A must have a float type, got ") + dtype_name(a->dtype));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels::nn
