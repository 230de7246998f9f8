// MaxPoolNhwc, AveragePoolNhwc, GlobalAveragePoolNhwc (com.parallax, version 1): 2-D pooling
// in NHWC, made by the layout pass (passes/layout.h) from the ONNX operators of the same name,
// whose attributes they keep (pads / auto_pad meaning what they mean in NCHW). X [N, H, W, C],
// Y [N, oH, oW, C] (global: [N, 1, 1, C]); float32 only; MaxPool without its Indices output.
//
// XNNPACK computes output sizes rounding down; ceil_mode is expressed as extra end padding,
// which changes nothing else because XNNPACK's max pool ignores padded taps and its average
// pool divides by the taps inside the input: ONNX's count_include_pad = 0. (The layout pass
// turns an AveragePool that counts padding into a depthwise ConvNhwc instead.) Windows of one
// element, pads as wide as the window and unequal dilations are refused (XNNPACK rejects or
// miscomputes them) and never made by the layout pass.
#include <algorithm>

#include "../nn/window.h"
#include "xnn.h"

namespace parallax::rt::kernels {

namespace {

enum class Pool { kMax, kAverage, kGlobalAverage };

struct PoolState {
  xnn::Operator op;
  int64_t key[3] = {-1, -1, -1};  // H, W, C the operator was made for
  nn::Window win;
};

Status create_window_pool(KernelContext& ctx, Pool kind, const int64_t* x, PoolState* st) {
  const std::vector<int64_t>* ks = ctx.attr_ints("kernel_shape");
  if (ks == nullptr || ks->size() != 2) return Status::invalid("kernel_shape must have 2 entries");
  const Shape nchw{x[0], x[3], x[1], x[2]};
  nn::Window& w = st->win;
  PARALLAX_RETURN_IF_ERROR(
      nn::read_window(ctx, nchw, ks->data(), ctx.attr_int("ceil_mode", 0) != 0, &w));
  int64_t end[2];
  for (int d = 0; d < 2; ++d) {
    const int64_t extent = (w.kernel[d] - 1) * w.dilation[d] + 1;
    const int64_t padded = w.in[d] + w.pad_begin[d] + w.pad_end[d];
    end[d] = w.pad_end[d] + std::max<int64_t>(0, (w.out[d] - 1) * w.stride[d] + extent - padded);
    if ((w.in[d] + w.pad_begin[d] + end[d] - extent) / w.stride[d] + 1 != w.out[d]) {
      return Status::internal("pooling window does not map onto XNNPACK's output size");
    }
  }
  // Where XNNPACK (2022) is right, found by comparing it with the reference on every small
  // case: padding narrower than the window (so no window lies in padding alone) and, when
  // dilated, equal dilations and no end padding as wide as the window.
  const bool dilated = w.dilation[0] != 1 || w.dilation[1] != 1;
  for (int d = 0; d < 2; ++d) {
    if (w.pad_begin[d] >= w.kernel[d] || w.pad_end[d] >= w.kernel[d] ||
        (dilated && (end[d] >= w.kernel[d] || w.dilation[0] != w.dilation[1]))) {
      return Status::unsupported(
          "XNNPACK pooling needs pads smaller than the window, and dilated windows equal "
          "dilations without ceil_mode");
    }
  }
  const auto u32 = [](int64_t i) { return static_cast<uint32_t>(i); };
  const size_t c = static_cast<size_t>(x[3]);
  if (kind == Pool::kMax) {
    return xnn::check(
        xnn_create_max_pooling2d_nhwc_f32(
            u32(w.pad_begin[0]), u32(end[1]), u32(end[0]), u32(w.pad_begin[1]), u32(w.kernel[0]),
            u32(w.kernel[1]), u32(w.stride[0]), u32(w.stride[1]), u32(w.dilation[0]),
            u32(w.dilation[1]), c, c, c, -xnn::kInf, xnn::kInf, 0, st->op.out()),
        "create max pooling");
  }
  if (w.dilation[0] != 1 || w.dilation[1] != 1) {
    return Status::unsupported("AveragePool with dilations");
  }
  const bool padded = w.pad_begin[0] || w.pad_begin[1] || w.pad_end[0] || w.pad_end[1];
  if (ctx.attr_int("count_include_pad", 0) != 0 && padded) {
    return Status::internal("AveragePoolNhwc cannot count padding");
  }
  return xnn::check(xnn_create_average_pooling2d_nhwc_f32(
                        u32(w.pad_begin[0]), u32(end[1]), u32(end[0]), u32(w.pad_begin[1]),
                        u32(w.kernel[0]), u32(w.kernel[1]), u32(w.stride[0]), u32(w.stride[1]), c,
                        c, c, -xnn::kInf, xnn::kInf, 0, st->op.out()),
                    "create average pooling");
}

Status create(KernelContext& ctx, Pool kind, const int64_t* x, PoolState* st) {
  if (kind == Pool::kGlobalAverage) {
    const size_t c = static_cast<size_t>(x[3]);
    PARALLAX_RETURN_IF_ERROR(xnn::check(
        xnn_create_global_average_pooling_nwc_f32(c, c, c, -xnn::kInf, xnn::kInf, 0, st->op.out()),
        "create global average pooling"));
  } else {
    PARALLAX_RETURN_IF_ERROR(create_window_pool(ctx, kind, x, st));
  }
  st->key[0] = x[1];
  st->key[1] = x[2];
  st->key[2] = x[3];
  return Status::ok();
}

Status prepare(KernelContext& ctx, Pool kind) {
  if (!xnn::available()) return Status::unsupported("XNNPACK cannot run on this CPU");
  const TensorInfo* x = ctx.input_info(0);
  if (x == nullptr || x->dtype != DType::kFloat32 || !x->rank_known || x->shape.size() != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC)");
  }
  auto* st = new PoolState;
  ctx.state() = st;
  if (x->shape[1] >= 0 && x->shape[2] >= 0 && x->shape[3] >= 0) {
    PARALLAX_RETURN_IF_ERROR(create(ctx, kind, x->shape.data(), st));
  }
  return Status::ok();
}

void release(void* state) { delete static_cast<PoolState*>(state); }

Status run(KernelContext& ctx, Pool kind) {
  auto* st = static_cast<PoolState*>(ctx.state());
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (st == nullptr) return Status::internal("pooling ran without prepare");
  if (x->dtype != DType::kFloat32 || x->shape.rank != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC), got " + x->shape.to_string());
  }
  const int64_t* d = x->shape.dims;
  if (!st->op || st->key[0] != d[1] || st->key[1] != d[2] || st->key[2] != d[3]) {
    PARALLAX_RETURN_IF_ERROR(create(ctx, kind, d, st));
  }
  const bool global = kind == Pool::kGlobalAverage;
  const Shape out{d[0], global ? 1 : st->win.out[0], global ? 1 : st->win.out[1], d[3]};
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, out, &y));
  if (out.numel() == 0) return Status::ok();
  const float* in = x->data_as<float>();
  float* o = y->data_as<float>();
  const size_t n = static_cast<size_t>(d[0]), h = static_cast<size_t>(d[1]),
               w = static_cast<size_t>(d[2]);
  xnn_status s;
  switch (kind) {
    case Pool::kMax:
      s = xnn_setup_max_pooling2d_nhwc_f32(st->op.get(), n, h, w, in, o, ctx.threadpool());
      break;
    case Pool::kAverage:
      s = xnn_setup_average_pooling2d_nhwc_f32(st->op.get(), n, h, w, in, o, ctx.threadpool());
      break;
    default:
      s = xnn_setup_global_average_pooling_nwc_f32(st->op.get(), n, h * w, in, o, ctx.threadpool());
      break;
  }
  PARALLAX_RETURN_IF_ERROR(xnn::check(s, "setup pooling"));
  return st->op.run(ctx);
}

}  // namespace

Status MaxPoolNhwc_prepare(KernelContext& ctx) { return prepare(ctx, Pool::kMax); }
void MaxPoolNhwc_release(void* state) { release(state); }
Status MaxPoolNhwc(KernelContext& ctx) { return run(ctx, Pool::kMax); }

Status AveragePoolNhwc_prepare(KernelContext& ctx) { return prepare(ctx, Pool::kAverage); }
void AveragePoolNhwc_release(void* state) { release(state); }
Status AveragePoolNhwc(KernelContext& ctx) { return run(ctx, Pool::kAverage); }

Status GlobalAveragePoolNhwc_prepare(KernelContext& ctx) {
  return prepare(ctx, Pool::kGlobalAverage);
}
void GlobalAveragePoolNhwc_release(void* state) { release(state); }
Status GlobalAveragePoolNhwc(KernelContext& ctx) { return run(ctx, Pool::kGlobalAverage); }

}  // namespace parallax::rt::kernels
