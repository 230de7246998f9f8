// ExpandDepthwiseNhwc (com.parallax, version 1): a 1x1 convolution feeding a depthwise one, in
// NHWC, made by the fuse-expand-depthwise pass (passes/fuse_expand_depthwise.h) from two
// ConvNhwc nodes, and computed by nn::ExpandDepthwise (nn/expand_depthwise.h) without the
// expanded tensor ever being stored.
//   X [N, H, W, Cin]
//   W1 [Ce, 1, 1, Cin] constant (OHWI)    B1 [Ce] constant, optional
//   W2 [Ce, kH, kW, 1] constant (OHWI)    B2 [Ce] constant, optional
//   Y [N, oH, oW, Ce] = act(depthwise(expand_act(X * W1 + B1), W2) + B2)
// Attributes: the depthwise convolution's (kernel_shape, strides, dilations 1, pads, auto_pad
// with ConvNhwc's meaning, group = Ce) and activation / activation_params; expand_activation /
// expand_activation_params for the 1x1 convolution. The expansion's activation may be none,
// Relu, Clip, SiLU or Swish, the depthwise one none, Relu, Clip or SiLU; kernels up to 7x7,
// strides 1 or 2 (nn::depthwise_fits). float32 only.
#include "../common.h"
#include "../nn/activation.h"
#include "../nn/expand_depthwise.h"
#include "../nn/window.h"

namespace parallax::rt::kernels {

namespace {

struct State {
  nn::ExpandDepthwise ed;
  nn::ClampSilu act1, act2;
  nn::Window win;
  int64_t in_h = -1, in_w = -1;  // the spatial size win was computed for
};

// The activation attribute pair as a ClampSilu, if the tiles apply it.
Status clamp_silu(const KernelContext& ctx, std::string_view attr, std::string_view params,
                  bool swish_ok, nn::ClampSilu* out) {
  nn::Activation act;
  PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, attr, params, &act));
  if (act.as_clamp_silu(swish_ok, out)) return Status::ok();
  return Status::invalid(std::string(attr) + " must be none, Relu, Clip (min <= max), SiLU" +
                         (swish_ok ? " or Swish" : ""));
}

// Input wi is a constant float32 weight of shape `want`, and input wi + 1, if present, its bias
// of want[0] values.
Status check_weight(const KernelContext& ctx, int wi, const char* wname, const char* bname,
                    const Shape& want) {
  const Tensor* w = ctx.input(wi);
  if (w == nullptr || w->dtype != DType::kFloat32 || w->shape != want) {
    return Status::invalid(std::string(wname) + " must be a constant float32 tensor " +
                           want.to_string() +
                           (w == nullptr ? std::string() : ", got " + w->shape.to_string()));
  }
  if (ctx.input_info(wi + 1) == nullptr) return Status::ok();
  const Tensor* b = ctx.input(wi + 1);
  if (b == nullptr || b->dtype != DType::kFloat32 || b->numel() != want[0]) {
    return Status::invalid(std::string(bname) + " must be a constant float32 tensor of " +
                           std::to_string(want[0]) + " values");
  }
  return Status::ok();
}

// Checks the weights against X [N, H, W, C] and computes the window for that spatial size.
Status setup(KernelContext& ctx, State* st, const int64_t* x) {
  const Tensor* w1 = ctx.input(1);
  const Tensor* w2 = ctx.input(3);
  if (w1 == nullptr || w1->shape.rank != 4 || w2 == nullptr || w2->shape.rank != 4) {
    return Status::invalid("W1 and W2 must be constant 4-D float32 tensors (OHWI)");
  }
  const int64_t ce = w1->shape[0];
  PARALLAX_RETURN_IF_ERROR(check_weight(ctx, 1, "W1", "B1", {ce, 1, 1, x[3]}));
  const int64_t kernel[2] = {w2->shape[1], w2->shape[2]};
  PARALLAX_RETURN_IF_ERROR(check_weight(ctx, 3, "W2", "B2", {ce, kernel[0], kernel[1], 1}));
  if (ctx.attr_int("group", 1) != ce) {
    return Status::invalid("group must equal the " + std::to_string(ce) + " expanded channels");
  }
  const std::vector<int64_t>* ks = ctx.attr_ints("kernel_shape");
  if (ks != nullptr && !ks->empty() &&
      (ks->size() != 2 || (*ks)[0] != kernel[0] || (*ks)[1] != kernel[1])) {
    return Status::invalid("kernel_shape does not match W2 " + w2->shape.to_string());
  }
  const Shape nchw{x[0], ce, x[1], x[2]};
  PARALLAX_RETURN_IF_ERROR(nn::read_window(ctx, nchw, kernel, /*ceil_mode=*/false, &st->win));
  const nn::Window& v = st->win;
  if (v.dilation[0] != 1 || v.dilation[1] != 1 ||
      !nn::depthwise_fits(kernel[0], kernel[1], v.stride[0], v.stride[1])) {
    return Status::invalid(
        "the depthwise convolution must be undilated, at most 7x7, with "
        "strides 1 or 2");
  }
  if (!st->ed.packed()) {
    const Tensor* b1 = ctx.input_info(2) != nullptr ? ctx.input(2) : nullptr;
    const Tensor* b2 = ctx.input_info(4) != nullptr ? ctx.input(4) : nullptr;
    st->ed.pack(w1->data_as<float>(), b1 ? b1->data_as<float>() : nullptr, x[3], ce,
                w2->data_as<float>(), b2 ? b2->data_as<float>() : nullptr, kernel[0], kernel[1]);
  }
  st->in_h = x[1];
  st->in_w = x[2];
  return Status::ok();
}

}  // namespace

Status ExpandDepthwiseNhwc_prepare(KernelContext& ctx) {
  const TensorInfo* x = ctx.input_info(0);
  if (x == nullptr || x->dtype != DType::kFloat32 || !x->rank_known || x->shape.size() != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC)");
  }
  if (ctx.input_count() < 4) return Status::invalid("needs inputs X, W1, B1 (or none), W2");
  auto* st = new State;
  ctx.state() = st;  // released by the executor even if what follows fails
  PARALLAX_RETURN_IF_ERROR(
      clamp_silu(ctx, "expand_activation", "expand_activation_params", true, &st->act1));
  PARALLAX_RETURN_IF_ERROR(clamp_silu(ctx, "activation", "activation_params", false, &st->act2));
  if (x->shape[1] >= 0 && x->shape[2] >= 0 && x->shape[3] >= 0) {
    PARALLAX_RETURN_IF_ERROR(setup(ctx, st, x->shape.data()));
    // The packed copies are all that W1, B1, W2 and B2 are read as from now on.
    for (int i = 1; i <= 4; ++i)
      if (ctx.input_info(i) != nullptr) ctx.input_packed(i);
  }
  return Status::ok();
}

void ExpandDepthwiseNhwc_release(void* state) { delete static_cast<State*>(state); }

Status ExpandDepthwiseNhwc(KernelContext& ctx) {
  auto* st = static_cast<State*>(ctx.state());
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (st == nullptr) return Status::internal("ExpandDepthwiseNhwc ran without prepare");
  if (x->dtype != DType::kFloat32 || x->shape.rank != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC), got " + x->shape.to_string());
  }
  const int64_t* d = x->shape.dims;
  if (!st->ed.packed() || st->in_h != d[1] || st->in_w != d[2]) {
    PARALLAX_RETURN_IF_ERROR(setup(ctx, st, d));
  }
  if (d[3] != st->ed.in_channels()) {
    return Status::invalid("X " + x->shape.to_string() + " does not have the channels W1 expects");
  }
  Tensor* y = nullptr;
  const Shape out{d[0], st->win.out[0], st->win.out[1], st->ed.channels()};
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, out, &y));
  if (out.numel() == 0) return Status::ok();
  nn::DepthwiseShape s;
  s.n = d[0];
  s.in_h = d[1];
  s.in_w = d[2];
  s.out_h = st->win.out[0];
  s.out_w = st->win.out[1];
  s.stride_h = st->win.stride[0];
  s.stride_w = st->win.stride[1];
  s.pad_top = st->win.pad_begin[0];
  s.pad_left = st->win.pad_begin[1];
  void* scratch = ctx.scratch(st->ed.scratch_bytes(s, ctx.threads()));
  st->ed.run(s, x->data_as<float>(), y->data_as<float>(), st->act1, st->act2, scratch,
             ctx.threadpool(), ctx.threads());
  return Status::ok();
}

}  // namespace parallax::rt::kernels
