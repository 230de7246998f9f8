// ConvNhwc (com.parallax, version 1): 2-D convolution in NHWC, made by the layout pass
// (passes/layout.h) from Conv / FusedConv, and from BatchNormalization and AveragePool
// (counting padding) as depthwise convolutions.
//   X [N, H, W, C]   W [M, kH, kW, C/group] constant (OHWI)   B [M] constant, optional
//   Y [N, oH, oW, M]
// Attributes are Conv's (kernel_shape, strides, dilations, pads, auto_pad, group), with pads
// and auto_pad meaning what they mean for the NCHW Conv, plus FusedConv's activation /
// activation_params. float32 only.
//
// XNNPACK packs the weights when the operator is created: in prepare when the spatial size is
// static, otherwise at the first run (and again only when the spatial size changes, which
// SAME padding depends on). Grouped and depthwise convolutions need nothing special: XNNPACK
// picks its depthwise path when each group has one input and one output channel.
//
// 3x3, stride-1, undilated, single-group convolutions large enough for it to pay off
// (nn::winograd_pays_off) run as Winograd F(4x4, 3x3) instead (nn/winograd.h): a quarter of the
// multiplies, which is where we beat im2col/direct convolution at equal FMA throughput. The
// weights are transformed once, when the operator would have been created.
//
// Depthwise convolutions (one input and one output channel per group) up to 7x7 with stride 1
// or 2 and no dilation run as nn::DepthwiseConv (nn/depthwise.h), faster on every such layer
// we measured: input rows read directly and the clamp and SiLU applied in registers, where XNNPACK
// goes through an indirection buffer and a second pass over the output for SiLU. Other activations
// keep XNNPACK.
//
// On CPUs with AVX2 but not AVX-512, single-group convolutions run on nn::sgemm instead of
// XNNPACK (own_gemm_conv below): a 1x1 stride-1 convolution as a plain product of the NHWC
// pixels and the weights, any other as sgemm's implicit im2col (nn::SgemmConv). The weights are
// packed once into sgemm's panels; bias, clamp and SiLU / Swish are applied in its tile.
//
// With the attribute nchw_input = 1 (set by the layout pass on a region's first convolutions,
// passes/layout_rules.h) X is NCHW [N, C, H, W] instead, and the convolution runs as
// nn::InputConv (nn/input_conv.h): no transpose of the image in front of the network, and a
// direct tile where im2col's inner dimension (C * kH * kW) would be too short for a GEMM.
//
// With output_channels = C (set by the concat-in-place pass, passes/concat_in_place.h) Y is
// [N, oH, oW, C] and the convolution's M channels go to channels [output_channel_offset,
// output_channel_offset + M) of it; the other channels are those of the optional input 3,
// `into`, a tensor of Y's shape (when the memory plan puts Y in place of `into`, as it does,
// nothing is copied), or left as they are without it. Winograd, sgemm and XNNPACK write the
// channel range directly (a pixel stride of C); the depthwise and image-convolution paths, and
// activations applied after the product, go through a dense buffer in scratch first.
//
// With input_channels = Ci (set by the dense-concat pass, passes/dense_concat.h) the convolution
// reads only X's first Ci channels (X's pixel stride stays its channel count): the depthwise,
// 1x1-on-sgemm and XNNPACK paths read them in place, Winograd and im2col from a dense copy in
// scratch. Not with nchw_input.
#include <cstring>
#include <vector>

#include "../nn/activation.h"
#include "../nn/depthwise.h"
#include "../nn/input_conv.h"
#include "../nn/sgemm.h"
#include "../nn/simd_level.h"
#include "../nn/window.h"
#include "../nn/winograd.h"
#include "parallax/runtime/program.h"
#include "xnn.h"

namespace parallax::rt::kernels {

namespace {

struct ConvState {
  xnn::Operator op;
  xnn::Epilogue epilogue;
  int64_t in_h = -1, in_w = -1;  // the spatial size the operator was made for
  nn::Window win;
  nn::WinogradConv winograd;    // packed on first use, kept across spatial sizes
  bool use_winograd = false;    // for this spatial size, instead of op
  nn::DepthwiseConv depthwise;  // packed on first use, kept across spatial sizes
  bool use_depthwise = false;   // for this spatial size, instead of op
  bool fused_silu = false;      // depthwise / input_conv apply the whole activation
  bool nchw_input = false;      // X is NCHW: input_conv runs, always
  nn::InputConv input_conv;
  // nn::sgemm instead of op (own_gemm_conv): W in sgemm's panels (packed on first use, kept
  // across spatial sizes), B, and whether the tile applies SiLU / Swish (with silu_alpha).
  bool use_sgemm = false;
  std::vector<float, AlignedAllocator<float>> packed;
  std::vector<float> bias;
  bool silu = false;
  float silu_alpha = 1.0f;
  // output_channels and output_channel_offset: Y's channels and this convolution's first one.
  int64_t out_channels = 0, out_offset = 0;
  int64_t in_channels = 0;  // input_channels: X's first channels read, 0 = all of them
  int64_t x_stride = -1;    // X's pixel stride (its channel count) the operator was made for
};

// The paths of ConvNhwc (run() tries them in this order).
enum class Path { kWinograd, kInputConv, kDepthwise, kSgemm, kXnnpack };

Path path_of(const ConvState& st) {
  if (st.use_winograd) return Path::kWinograd;
  if (st.nchw_input) return Path::kInputConv;
  if (st.use_depthwise) return Path::kDepthwise;
  return st.use_sgemm ? Path::kSgemm : Path::kXnnpack;
}

// Whether the path's kernel applies the whole activation (else Epilogue::apply runs after it).
bool activation_in_kernel(const ConvState& st, Path p) {
  if (p == Path::kInputConv || p == Path::kDepthwise) return st.fused_silu;
  return p == Path::kSgemm && st.silu;
}

// Whether single-group convolutions run on nn::sgemm rather than XNNPACK. Debian's XNNPACK
// (2022 snapshot) compiles its AVX2 GEMM with an accumulator spilled to the stack inside the
// loop: about 16 GFMA/s per Zen 3 core for every convolution shape we timed, against 34-43 for
// sgemm's 6 x 16 tile on the same shapes (docs/kernels.md). Its AVX-512 and ARM kernels are not
// affected and stay.
bool own_gemm_conv() { return nn::simd_level() == nn::SimdLevel::kAvx2; }

// X's dimensions in NHWC order, whichever layout it is stored in, with the channels the
// convolution reads (input_channels) as out[3]; *x_stride = X's own channel count.
Status nhwc_dims(const ConvState& st, const int64_t* x, int64_t* out, int64_t* x_stride) {
  const int64_t d[4] = {x[0], x[st.nchw_input ? 2 : 1], x[st.nchw_input ? 3 : 2],
                        x[st.nchw_input ? 1 : 3]};
  std::copy(d, d + 4, out);
  *x_stride = d[3];
  if (st.in_channels > 0) {
    if (st.in_channels > d[3]) {
      return Status::invalid("input_channels " + std::to_string(st.in_channels) +
                             " is more than X's " + std::to_string(d[3]));
    }
    out[3] = st.in_channels;
  }
  return Status::ok();
}

// True when the convolution is depthwise, nn::DepthwiseConv computes it with the activation in
// registers (none, a clamp or SiLU).
bool depthwise_applies(const KernelContext& ctx, const nn::Window& v, const int64_t* kernel,
                       int64_t group, int64_t cin, int64_t m, bool* silu) {
  using Kind = nn::Activation::Kind;
  nn::Activation act;
  if (!nn::Activation::parse(ctx, &act).is_ok()) return false;
  const bool clamp = act.kind == Kind::kNone || act.kind == Kind::kRelu ||
                     (act.kind == Kind::kClip && act.p0 < act.p1);
  *silu = act.kind == Kind::kSiLU;
  return (clamp || *silu) && cin == 1 && m == group && v.dilation[0] == 1 && v.dilation[1] == 1 &&
         nn::depthwise_fits(kernel[0], kernel[1], v.stride[0], v.stride[1]);
}

// The run geometry our own convolutions take (nn::WinogradShape, nn::DepthwiseShape,
// nn::InputConvShape): input X of NHWC dimensions x and the window's output size and leading
// padding.
template <typename S>
S geometry(const int64_t* x, const nn::Window& win) {
  S s;
  s.n = x[0];
  s.in_h = x[1];
  s.in_w = x[2];
  s.out_h = win.out[0];
  s.out_w = win.out[1];
  s.pad_top = win.pad_begin[0];
  s.pad_left = win.pad_begin[1];
  return s;
}

// Whether a convolution of W (OHWI) over NHWC input dims d is a plain product of the pixels
// and the weights: 1x1, stride 1, no padding, the output the input's size.
bool is_pointwise(const Shape& w, const nn::Window& v, const int64_t* d) {
  return w[1] == 1 && w[2] == 1 && v.stride[0] == 1 && v.stride[1] == 1 && v.pad_begin[0] == 0 &&
         v.pad_begin[1] == 0 && v.out[0] == d[1] && v.out[1] == d[2];
}

// True when the convolution is one Winograd F(4x4, 3x3) computes and it pays off there.
// The alternative is sgemm's im2col where own_gemm_conv(), XNNPACK elsewhere.
bool winograd_fits(const nn::Window& v, const int64_t* kernel, int64_t group, int64_t cin,
                   int64_t m) {
  return group == 1 && kernel[0] == 3 && kernel[1] == 3 && v.stride[0] == 1 && v.stride[1] == 1 &&
         v.dilation[0] == 1 && v.dilation[1] == 1 &&
         nn::winograd_pays_off(cin, m, v.out[0], v.out[1]) &&
         (!own_gemm_conv() || nn::winograd_beats_sgemm(cin, m, v.out[0], v.out[1]));
}

// Packs W (OHWI: [m][kH][kW][cg], B's columns) and B into st once.
void pack_sgemm(ConvState* st, const Tensor& w, const Tensor* b) {
  const int64_t m = w.shape[0], k = w.shape[1] * w.shape[2] * w.shape[3];
  st->packed.resize(nn::sgemm_packed_b_floats(k, m));
  nn::sgemm_pack_b(w.data_as<float>(), 1, k, k, m, st->packed.data());
  if (b != nullptr) st->bias.assign(b->data_as<float>(), b->data_as<float>() + m);
}

Status check_inputs(const KernelContext& ctx, const Tensor** w, const Tensor** b) {
  *w = ctx.input(1);
  *b = ctx.input_info(2) != nullptr ? ctx.input(2) : nullptr;
  if (*w == nullptr || (*w)->dtype != DType::kFloat32 || (*w)->shape.rank != 4) {
    return Status::invalid("W must be a constant 4-D float32 tensor (OHWI)");
  }
  if (ctx.input_info(2) != nullptr &&
      (*b == nullptr || (*b)->dtype != DType::kFloat32 || (*b)->numel() != (*w)->shape[0])) {
    return Status::invalid("B must be a constant float32 tensor of " +
                           std::to_string((*w)->shape[0]) + " values");
  }
  return Status::ok();
}

// (Re)creates the operator for input x [N, H, W, C] whose pixels are x_stride floats apart.
Status create(KernelContext& ctx, ConvState* st, const int64_t* x, int64_t x_stride) {
  st->x_stride = x_stride;
  const Tensor* w = nullptr;
  const Tensor* b = nullptr;
  PARALLAX_RETURN_IF_ERROR(check_inputs(ctx, &w, &b));
  const int64_t group = ctx.attr_int("group", 1);
  const int64_t m = w->shape[0], cg = w->shape[3];
  if (group <= 0 || m % group != 0 || cg * group != x[3]) {
    return Status::invalid("W " + w->shape.to_string() + " with group " + std::to_string(group) +
                           " does not fit " + std::to_string(x[3]) + " input channels");
  }
  const int64_t kernel[2] = {w->shape[1], w->shape[2]};
  const std::vector<int64_t>* ks = ctx.attr_ints("kernel_shape");
  if (ks != nullptr && !ks->empty() &&
      (ks->size() != 2 || (*ks)[0] != kernel[0] || (*ks)[1] != kernel[1])) {
    return Status::invalid("kernel_shape does not match W " + w->shape.to_string());
  }
  // The window geometry is layout-free: describe X as the NCHW tensor it stands for.
  const Shape nchw{x[0], x[3], x[1], x[2]};
  PARALLAX_RETURN_IF_ERROR(nn::read_window(ctx, nchw, kernel, /*ceil_mode=*/false, &st->win));
  const nn::Window& v = st->win;
  st->in_h = x[1];
  st->in_w = x[2];
  if (st->nchw_input) {
    if (group != 1 || v.dilation[0] != 1 || v.dilation[1] != 1) {
      return Status::invalid("nchw_input needs group 1 and no dilation");
    }
    if (!st->input_conv.packed()) {
      st->input_conv.pack(w->data_as<float>(), b ? b->data_as<float>() : nullptr, m, cg, kernel[0],
                          kernel[1]);
    }
    st->input_conv.set_input_width(x[2]);
    nn::Activation act;
    PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, &act));
    st->fused_silu = act.kind == nn::Activation::Kind::kSiLU;
    st->op.reset();
    return Status::ok();
  }
  st->use_winograd =
      winograd_fits(v, kernel, group, cg, m) &&
      (st->winograd.packed() ||
       st->winograd.pack(w->data_as<float>(), b ? b->data_as<float>() : nullptr, m, cg));
  if (st->use_winograd) {
    st->op.reset();
    return Status::ok();
  }
  bool silu = false;
  st->use_depthwise = depthwise_applies(ctx, v, kernel, group, cg, m, &silu);
  if (st->use_depthwise) {
    if (!st->depthwise.packed()) {
      st->depthwise.pack(w->data_as<float>(), b ? b->data_as<float>() : nullptr, m, kernel[0],
                         kernel[1]);
    }
    st->fused_silu = silu;
    st->op.reset();
    return Status::ok();
  }
  st->use_sgemm = group == 1 && own_gemm_conv();
  if (st->use_sgemm) {
    if (st->packed.empty()) pack_sgemm(st, *w, b);
    nn::Activation act;
    PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, &act));
    st->silu = act.kind == nn::Activation::Kind::kSiLU || act.kind == nn::Activation::Kind::kSwish;
    st->silu_alpha = act.kind == nn::Activation::Kind::kSwish ? act.p0 : 1.0f;
    st->op.reset();
    return Status::ok();
  }
  const auto u32 = [](int64_t i) { return static_cast<uint32_t>(i); };
  // A pixel stride of Y's channels writes the channel range in place; an activation applied
  // afterwards needs the product dense (run() stages it).
  const int64_t out_stride = st->epilogue.active() ? m : st->out_channels;
  PARALLAX_RETURN_IF_ERROR(xnn::check(
      xnn_create_convolution2d_nhwc_f32(
          u32(v.pad_begin[0]), u32(v.pad_end[1]), u32(v.pad_end[0]), u32(v.pad_begin[1]),
          u32(kernel[0]), u32(kernel[1]), u32(v.stride[0]), u32(v.stride[1]), u32(v.dilation[0]),
          u32(v.dilation[1]), u32(group), static_cast<size_t>(cg), static_cast<size_t>(m / group),
          static_cast<size_t>(x_stride), static_cast<size_t>(out_stride), w->data_as<float>(),
          b ? b->data_as<float>() : nullptr, st->epilogue.output_min(), st->epilogue.output_max(),
          0, st->op.out()),
      "create convolution"));
  return Status::ok();
}

}  // namespace

Status ConvNhwc_prepare(KernelContext& ctx) {
  if (!xnn::available()) return Status::unsupported("XNNPACK cannot run on this CPU");
  const TensorInfo* x = ctx.input_info(0);
  if (x == nullptr || x->dtype != DType::kFloat32 || !x->rank_known || x->shape.size() != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC)");
  }
  const Tensor* w = nullptr;
  const Tensor* b = nullptr;
  PARALLAX_RETURN_IF_ERROR(check_inputs(ctx, &w, &b));
  auto* st = new ConvState;
  ctx.state() = st;  // released by the executor even if what follows fails
  st->nchw_input = ctx.attr_int("nchw_input", 0) != 0;
  st->in_channels = ctx.attr_int("input_channels", 0);
  if (st->in_channels < 0 || (st->in_channels > 0 && st->nchw_input)) {
    return Status::invalid("input_channels must be positive, and not with nchw_input");
  }
  const int64_t m = w->shape[0];
  st->out_channels = ctx.attr_int("output_channels", m);
  st->out_offset = ctx.attr_int("output_channel_offset", 0);
  if (st->out_offset < 0 || st->out_channels < m || st->out_offset > st->out_channels - m) {
    return Status::invalid("output_channel_offset " + std::to_string(st->out_offset) +
                           " and output_channels " + std::to_string(st->out_channels) +
                           " do not hold W's " + std::to_string(m) + " output channels");
  }
  const TensorInfo* into = ctx.input_info(3);
  if (into != nullptr && (into->dtype != DType::kFloat32 || !into->rank_known ||
                          into->shape.size() != 4 || into->shape[3] != st->out_channels)) {
    return Status::invalid("input 3 (into) must be a 4-D float32 tensor (NHWC) of " +
                           std::to_string(st->out_channels) + " channels");
  }
  PARALLAX_RETURN_IF_ERROR(st->epilogue.init(ctx));
  if (x->shape[1] >= 0 && x->shape[2] >= 0 && x->shape[3] >= 0) {
    int64_t d[4], x_stride = 0;
    PARALLAX_RETURN_IF_ERROR(nhwc_dims(*st, x->shape.data(), d, &x_stride));
    PARALLAX_RETURN_IF_ERROR(create(ctx, st, d, x_stride));
    // The spatial size is static, so run never re-creates: the transformed weights are all
    // that W and B are read as from now on.
    if (st->use_winograd || st->use_depthwise || st->nchw_input || st->use_sgemm) {
      ctx.input_packed(1);
      if (b != nullptr) ctx.input_packed(2);
    }
  }
  return Status::ok();
}

void ConvNhwc_release(void* state) { delete static_cast<ConvState*>(state); }

Status ConvNhwc(KernelContext& ctx) {
  auto* st = static_cast<ConvState*>(ctx.state());
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (st == nullptr) return Status::internal("ConvNhwc ran without prepare");
  if (x->dtype != DType::kFloat32 || x->shape.rank != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC), got " + x->shape.to_string());
  }
  int64_t d[4], x_stride = 0;  // X's dimensions in NHWC order (channels read), pixel stride
  PARALLAX_RETURN_IF_ERROR(nhwc_dims(*st, x->shape.dims, d, &x_stride));
  if ((!st->op && !st->use_winograd && !st->use_depthwise && !st->nchw_input && !st->use_sgemm) ||
      st->in_h != d[1] || st->in_w != d[2] || st->x_stride != x_stride) {
    PARALLAX_RETURN_IF_ERROR(create(ctx, st, d, x_stride));
  }
  const int64_t m = ctx.input(1)->shape[0];
  if (d[3] != ctx.input(1)->shape[3] * ctx.attr_int("group", 1)) {
    return Status::invalid("X " + x->shape.to_string() + " does not have the channels W expects");
  }
  Tensor* y = nullptr;
  const Shape out{d[0], st->win.out[0], st->win.out[1], st->out_channels};
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, out, &y));
  if (out.numel() == 0) return Status::ok();
  if (ctx.input_info(3) != nullptr) {
    const Tensor* into = nullptr;
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, 3, &into));
    if (into->dtype != DType::kFloat32 || into->shape != out) {
      return Status::invalid("input 3 (into) " + into->shape.to_string() + " is not Y's shape " +
                             out.to_string());
    }
    if (into->data != y->data) {
      std::memcpy(y->data, into->data, static_cast<size_t>(out.numel()) * sizeof(float));
    }
  }
  // This convolution's m channels go to `dst` with pixel stride `ldy`: straight into Y's channel
  // range, or into a dense stage after the scratch the path itself needs when the path cannot
  // write a pixel stride or an activation still runs over the product.
  const Path path = path_of(*st);
  const int64_t pixels = d[0] * st->win.out[0] * st->win.out[1];
  const bool post = !activation_in_kernel(*st, path) && st->epilogue.active();
  const bool strided_path =
      path == Path::kWinograd || path == Path::kSgemm || path == Path::kXnnpack;
  const bool staged = st->out_channels != m && (!strided_path || post);
  const auto wino = geometry<nn::WinogradShape>(d, st->win);
  const size_t work = path == Path::kWinograd
                          ? (st->winograd.scratch_bytes(wino, ctx.threads()) + 63) / 64 * 64
                          : 0;
  // X's first d[3] of x_stride channels: read in place by the paths that take a pixel stride
  // (depthwise, XNNPACK, a 1x1 product on sgemm), else copied dense after `work`.
  const bool pointwise = path == Path::kSgemm && is_pointwise(ctx.input(1)->shape, st->win, d);
  const bool in_staged =
      x_stride != d[3] && (path == Path::kWinograd || (path == Path::kSgemm && !pointwise));
  const int64_t in_pixels = d[0] * d[1] * d[2];
  const size_t in_bytes =
      in_staged ? (static_cast<size_t>(in_pixels * d[3]) * sizeof(float) + 63) / 64 * 64 : 0;
  const size_t stage_bytes = staged ? static_cast<size_t>(pixels * m) * sizeof(float) : 0;
  const size_t scratch_bytes = work + in_bytes + stage_bytes;
  auto* scratch = scratch_bytes > 0 ? static_cast<uint8_t*>(ctx.scratch(scratch_bytes)) : nullptr;
  const float* xd = x->data_as<float>();
  if (in_staged) {
    auto* dense = reinterpret_cast<float*>(scratch + work);
    for (int64_t p = 0; p < in_pixels; ++p) {
      std::memcpy(dense + p * d[3], xd + p * x_stride, static_cast<size_t>(d[3]) * sizeof(float));
    }
    xd = dense;
  }
  const int64_t x_pixel = in_staged ? d[3] : x_stride;  // floats between xd's pixels
  float* const y_range = y->data_as<float>() + st->out_offset;
  float* const dst = staged ? reinterpret_cast<float*>(scratch + work + in_bytes) : y_range;
  const int64_t ldy = staged ? m : st->out_channels;
  switch (path) {
    case Path::kWinograd: {
      auto s = wino;
      s.out_stride = ldy;
      st->winograd.run(s, xd, dst, st->epilogue.output_min(), st->epilogue.output_max(), scratch,
                       ctx.threadpool(), ctx.threads());
      break;
    }
    case Path::kInputConv: {
      auto s = geometry<nn::InputConvShape>(d, st->win);
      s.stride_h = st->win.stride[0];
      s.stride_w = st->win.stride[1];
      st->input_conv.run(s, x->data_as<float>(), dst, st->epilogue.output_min(),
                         st->epilogue.output_max(), st->fused_silu, ctx.threadpool());
      break;
    }
    case Path::kDepthwise: {
      auto s = geometry<nn::DepthwiseShape>(d, st->win);
      s.stride_h = st->win.stride[0];
      s.stride_w = st->win.stride[1];
      s.in_stride = x_pixel;
      st->depthwise.run(s, xd, dst, st->epilogue.output_min(), st->epilogue.output_max(),
                        st->fused_silu, ctx.threadpool());
      break;
    }
    case Path::kSgemm: {
      const Tensor* w = ctx.input(1);
      const nn::Window& v = st->win;
      nn::SgemmArgs g;
      g.m = pixels;
      g.n = m;
      g.k = w->shape[1] * w->shape[2] * w->shape[3];
      g.b_packed = st->packed.data();
      g.bias = st->bias.empty() ? nullptr : st->bias.data();
      g.c = dst;
      g.ldc = ldy;
      g.out_min = st->epilogue.output_min();
      g.out_max = st->epilogue.output_max();
      g.silu = st->silu;
      g.silu_alpha = st->silu_alpha;
      nn::SgemmConv cv;
      if (pointwise) {  // the pixels are A's rows as they are
        g.a = xd;
        g.lda = x_pixel;
      } else {
        cv.x = xd;
        cv.in_h = d[1];
        cv.in_w = d[2];
        cv.c = d[3];
        cv.out_h = v.out[0];
        cv.out_w = v.out[1];
        cv.kh = w->shape[1];
        cv.kw = w->shape[2];
        cv.stride_h = v.stride[0];
        cv.stride_w = v.stride[1];
        cv.dil_h = v.dilation[0];
        cv.dil_w = v.dilation[1];
        cv.pad_top = v.pad_begin[0];
        cv.pad_left = v.pad_begin[1];
        g.conv = &cv;
      }
      nn::sgemm(g, nullptr, ctx.threadpool());
      break;
    }
    case Path::kXnnpack:
      PARALLAX_RETURN_IF_ERROR(xnn::check(
          xnn_setup_convolution2d_nhwc_f32(
              st->op.get(), static_cast<size_t>(x->shape[0]), static_cast<size_t>(x->shape[1]),
              static_cast<size_t>(x->shape[2]), xd, dst, ctx.threadpool()),
          "setup convolution"));
      PARALLAX_RETURN_IF_ERROR(st->op.run(ctx));
      break;
  }
  // ldy == m here whenever post holds: an activation after the product sees it dense.
  if (post) PARALLAX_RETURN_IF_ERROR(st->epilogue.apply(ctx, dst, static_cast<size_t>(pixels * m)));
  if (staged) {
    for (int64_t p = 0; p < pixels; ++p) {
      std::memcpy(y_range + p * st->out_channels, dst + p * m,
                  static_cast<size_t>(m) * sizeof(float));
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
