// Elementwise functions on XNNPACK's NC operators: Relu and Clip (clamp), Sigmoid, HardSwish,
// LeakyRelu, Elu, Abs, Neg, Floor, Ceil, Sqrt, Round (XNNPACK's bankers rounding is ONNX's
// round-half-to-even). Float32 only. The operator is created in prepare with one channel, so a
// run treats the tensor as one contiguous block that XNNPACK splits into tiles across threads.
// Clip needs constant bounds; everything else (other dtypes, a Clip bound computed at run
// time) runs the reference kernel. This XNNPACK (2022) has no Tanh, so Tanh stays reference.
#include "xnn.h"

namespace parallax::rt::kernels {

Status Relu(KernelContext&);
Status Clip(KernelContext&);
Status Sigmoid(KernelContext&);
Status HardSwish(KernelContext&);
Status LeakyRelu(KernelContext&);
Status Elu(KernelContext&);
Status Abs(KernelContext&);
Status Neg(KernelContext&);
Status Floor(KernelContext&);
Status Ceil(KernelContext&);
Status Sqrt(KernelContext&);
Status Round(KernelContext&);

namespace {

using Setup = xnn_status (*)(xnn_operator_t, size_t, const float*, float*, pthreadpool_t);
// Creates the operator for this step, or returns false to leave the step to the reference.
using Create = bool (*)(const KernelContext&, xnn_operator_t*);

struct UnaryState {
  xnn::Operator op;
  Setup setup = nullptr;
};

Status prepare_unary(KernelContext& ctx, Create create, Setup setup) {
  if (!xnn::available() || !xnn::is_f32_input(ctx, 0) || !xnn::is_f32_output(ctx, 0)) {
    return Status::ok();
  }
  auto* st = new UnaryState;
  st->setup = setup;
  if (!create(ctx, st->op.out()) || !st->op) {
    delete st;
    return Status::ok();
  }
  ctx.state() = st;
  return Status::ok();
}

void release_unary(void* state) { delete static_cast<UnaryState*>(state); }

Status run_unary(KernelContext& ctx, KernelFn reference) {
  auto* st = static_cast<UnaryState*>(ctx.state());
  const Tensor* x = ctx.input(0);
  if (st == nullptr || x == nullptr || x->dtype != DType::kFloat32) return reference(ctx);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, x->shape, &y));
  const size_t n = static_cast<size_t>(x->numel());
  if (n == 0) return Status::ok();
  PARALLAX_RETURN_IF_ERROR(xnn::check(
      st->setup(st->op.get(), n, x->data_as<float>(), y->data_as<float>(), ctx.threadpool()),
      "setup"));
  return st->op.run(ctx);
}

bool ok(xnn_status s) { return s == xnn_status_success; }

bool create_relu(const KernelContext&, xnn_operator_t* op) {
  return ok(xnn_create_clamp_nc_f32(1, 1, 1, 0.0f, xnn::kInf, 0, op));
}

// A constant scalar bound input of Clip into *v; false when it is computed at run time.
bool clip_bound(const KernelContext& ctx, int i, float* v) {
  if (ctx.input_info(i) == nullptr) return true;  // omitted: no bound
  const Tensor* t = ctx.input(i);
  if (t == nullptr || t->dtype != DType::kFloat32 || t->numel() != 1) return false;
  *v = t->data_as<float>()[0];
  return true;
}

bool create_clip(const KernelContext& ctx, xnn_operator_t* op) {
  float lo = -xnn::kInf, hi = xnn::kInf;
  if (ctx.opset() < 11) {
    lo = ctx.attr_float("min", lo);
    hi = ctx.attr_float("max", hi);
  } else if (!clip_bound(ctx, 1, &lo) || !clip_bound(ctx, 2, &hi)) {
    return false;
  }
  // XNNPACK needs lo < hi; the reference handles the degenerate cases in its own order.
  return lo < hi && ok(xnn_create_clamp_nc_f32(1, 1, 1, lo, hi, 0, op));
}

bool create_leaky_relu(const KernelContext& ctx, xnn_operator_t* op) {
  return ok(xnn_create_leaky_relu_nc_f32(1, 1, 1, ctx.attr_float("alpha", 0.01f), 0, op));
}

bool create_elu(const KernelContext& ctx, xnn_operator_t* op) {
  return ok(xnn_create_elu_nc_f32(1, 1, 1, ctx.attr_float("alpha", 1.0f), 0, op));
}

// Operators without parameters share one shape.
template <xnn_status (*F)(size_t, size_t, size_t, uint32_t, xnn_operator_t*)>
bool create_plain(const KernelContext&, xnn_operator_t* op) {
  return ok(F(1, 1, 1, 0, op));
}

}  // namespace

#define PARALLAX_XNN_UNARY(OP, CREATE, SETUP)                                                \
  Status Xnn##OP##_prepare(KernelContext& ctx) { return prepare_unary(ctx, CREATE, SETUP); } \
  void Xnn##OP##_release(void* state) { release_unary(state); }                              \
  Status Xnn##OP(KernelContext& ctx) { return run_unary(ctx, &OP); }

PARALLAX_XNN_UNARY(Relu, create_relu, xnn_setup_clamp_nc_f32)
PARALLAX_XNN_UNARY(Clip, create_clip, xnn_setup_clamp_nc_f32)
PARALLAX_XNN_UNARY(Sigmoid, create_plain<xnn_create_sigmoid_nc_f32>, xnn_setup_sigmoid_nc_f32)
PARALLAX_XNN_UNARY(HardSwish, create_plain<xnn_create_hardswish_nc_f32>, xnn_setup_hardswish_nc_f32)
PARALLAX_XNN_UNARY(LeakyRelu, create_leaky_relu, xnn_setup_leaky_relu_nc_f32)
PARALLAX_XNN_UNARY(Elu, create_elu, xnn_setup_elu_nc_f32)
PARALLAX_XNN_UNARY(Abs, create_plain<xnn_create_abs_nc_f32>, xnn_setup_abs_nc_f32)
PARALLAX_XNN_UNARY(Neg, create_plain<xnn_create_negate_nc_f32>, xnn_setup_negate_nc_f32)
PARALLAX_XNN_UNARY(Floor, create_plain<xnn_create_floor_nc_f32>, xnn_setup_floor_nc_f32)
PARALLAX_XNN_UNARY(Ceil, create_plain<xnn_create_ceiling_nc_f32>, xnn_setup_ceiling_nc_f32)
PARALLAX_XNN_UNARY(Sqrt, create_plain<xnn_create_square_root_nc_f32>, xnn_setup_square_root_nc_f32)
PARALLAX_XNN_UNARY(Round, create_plain<xnn_create_bankers_rounding_nc_f32>,
                   xnn_setup_bankers_rounding_nc_f32)

#undef PARALLAX_XNN_UNARY

}  // namespace parallax::rt::kernels
