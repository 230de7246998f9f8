// Shared pieces of the XNNPACK kernel family: library start-up, status translation, an owning
// operator handle, and the activation epilogue of convolutions and fully connected layers.
//
// Every kernel here follows one shape (see ../TEMPLATE.cpp, step 6):
//   <Op>_prepare  checks what the step will see (dtypes, static shapes, constant weights,
//                 attributes); when XNNPACK can do it, creates the operator (packing weights
//                 once) and stores it in ctx.state(); otherwise leaves the state null.
//   <Op>          with a state: sets the operator up on this run's pointers (the 2022 XNNPACK
//                 API takes pointers at setup, which is cheap) and runs it on ctx.threadpool();
//                 without one: the reference kernel of the same op, which also serves every
//                 dtype, shape and attribute XNNPACK lacks.
// The com.parallax *Nhwc operators exist only here (the layout pass makes them), so they have no
// fallback: their prepare fails on anything the layout pass should not have produced.
//
// XNNPACK reads up to XNN_EXTRA_BYTES past the end of its inputs (never writes); the executor
// allocates every buffer with that much slack.
#pragma once

#include <xnnpack.h>

#include <cstdint>
#include <limits>
#include <string>

#include "../common.h"
#include "../nn/activation.h"

namespace parallax::rt::kernels::xnn {

// Initializes XNNPACK once per process; false when it cannot run on this CPU.
bool available();

// Turns an XNNPACK status into ours; `what` names the call.
Status check(xnn_status s, const char* what);

// An owned xnn_operator_t.
class Operator {
 public:
  Operator() = default;
  ~Operator() { reset(); }
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  xnn_operator_t get() const { return op_; }
  xnn_operator_t* out() {
    reset();
    return &op_;
  }
  explicit operator bool() const { return op_ != nullptr; }
  void reset() {
    if (op_ != nullptr) xnn_delete_operator(op_);
    op_ = nullptr;
  }
  // Runs the operator after a successful setup.
  Status run(KernelContext& ctx) const {
    return check(xnn_run_operator(op_, ctx.threadpool()), "run");
  }

 private:
  xnn_operator_t op_ = nullptr;
};

// KernelDef::release for a state that is one Operator.
inline void release_operator(void* state) { delete static_cast<Operator*>(state); }

constexpr float kInf = std::numeric_limits<float>::infinity();

// True when input `i` is a float32 tensor at prepare time (the compile-time dtype).
inline bool is_f32_input(const KernelContext& ctx, int i) {
  const TensorInfo* t = ctx.input_info(i);
  return t != nullptr && t->dtype == DType::kFloat32;
}
// True when output `i` is float32 or not typed before run time (it then follows the inputs).
inline bool is_f32_output(const KernelContext& ctx, int i) {
  const TensorInfo* t = ctx.output_info(i);
  return t != nullptr && (t->dtype == DType::kFloat32 || t->dtype == DType::kUndefined);
}

// What follows a convolution or fully connected layer: Relu and Clip become the operator's
// output clamp; Sigmoid, HardSwish, LeakyRelu and SiLU run as XNNPACK elementwise operators on
// the output; Gelu runs the vectorised, threaded loop of nn/vector_math.h; the rest (Tanh,
// HardSigmoid) run the reference loop (nn::Activation::apply).
class Epilogue {
 public:
  // Reads `activation` / `activation_params` and creates what the activation needs.
  Status init(const KernelContext& ctx);
  float output_min() const { return min_; }
  float output_max() const { return max_; }
  // Applies the rest of the activation to y[0, n) in place after the operator ran.
  Status apply(KernelContext& ctx, float* y, size_t n) const;
  // Whether apply() does anything (an activation beyond the output_min / output_max clamp).
  bool active() const { return gelu_ || silu_ || loop_ || static_cast<bool>(unary_); }

 private:
  nn::Activation act_;
  float min_ = -kInf, max_ = kInf;
  Operator unary_;     // sigmoid / hardswish / leaky relu
  bool loop_ = false;  // apply act_ with the reference loop
  bool gelu_ = false;  // apply nn::gelu_erf_f32
  bool silu_ = false;  // apply nn::silu_f32
};

}  // namespace parallax::rt::kernels::xnn
