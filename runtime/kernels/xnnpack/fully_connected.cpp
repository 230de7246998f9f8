// Gemm, MatMul and com.parallax.FusedGemm / FusedMatMul when the weights are a constant 2-D
// float32 tensor: prepare packs them once into nn::sgemm's panels (scaled by Gemm's alpha) and
// keeps the bias (beta * C, or FusedMatMul's bias); a run is one nn::sgemm over every row of A
// (Gemm's [M, K], or MatMul's [..., M, K] flattened) with the accumulators starting from the
// bias and the activation's clamp (Relu, Clip) or SiLU applied in sgemm's tile. Other
// activations run after, through xnn::Epilogue.
//
// Why not XNNPACK's fully connected operator, which this file used to create: inside the
// models sgemm is level with it at every row count (swin_v2_t, whisper_tiny_encoder) and ahead
// with cold weights at up to 128 rows (DistilBERT, CLIP, a decoder's tokens), though up to 10%
// behind in isolated warm-weight calls; it fuses SiLU, and one path is simpler than two
// (docs/kernels.md has the measurements).
//
// Left to the reference kernels: weights computed at run time (attention's Q x K^T; this
// XNNPACK has no batched matrix multiply), Gemm with transA or a C that varies along rows,
// MatMul with a 1-D or batched B, other dtypes.
#include <vector>

#include "../nn/activation.h"
#include "../nn/sgemm.h"
#include "xnn.h"

namespace parallax::rt::kernels {

Status Gemm(KernelContext&);
Status MatMul(KernelContext&);
Status FusedGemm(KernelContext&);
Status FusedMatMul(KernelContext&);

namespace {

struct FcState {
  xnn::Epilogue epilogue;
  int64_t k = 0, n = 0;
  bool gemm = false;  // A must be 2-D
  // B in sgemm's panels, the bias (empty = none), and whether sgemm applies the whole
  // activation (SiLU and Swish, with silu_alpha; the clamp of Relu / Clip always goes into its
  // tile).
  std::vector<float, AlignedAllocator<float>> packed;
  std::vector<float> bias;
  bool silu = false;
  float silu_alpha = 1.0f;
};

// The bias of a Gemm: beta * C broadcast along rows, or empty when C is absent. False when C is
// not a constant of one value or one value per column.
bool gemm_bias(const KernelContext& ctx, int64_t n, std::vector<float>* bias) {
  if (ctx.input_info(2) == nullptr) return true;
  const Tensor* c = ctx.input(2);
  if (c == nullptr || c->dtype != DType::kFloat32 || c->shape.rank > 2) return false;
  if (c->shape.rank == 2 && c->shape[0] != 1) return false;
  const int64_t cn = c->numel();
  if (cn != 1 && cn != n) return false;
  const float beta = ctx.attr_float("beta", 1.0f);
  bias->resize(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) (*bias)[j] = beta * c->data_as<float>()[cn == 1 ? 0 : j];
  return true;
}

// FusedMatMul's bias: one value per output column.
bool matmul_bias(const KernelContext& ctx, int64_t n, std::vector<float>* bias) {
  if (ctx.input_info(2) == nullptr) return true;
  const Tensor* c = ctx.input(2);
  if (c == nullptr || c->dtype != DType::kFloat32 || c->numel() != n) return false;
  bias->assign(c->data_as<float>(), c->data_as<float>() + n);
  return true;
}

Status prepare_fc(KernelContext& ctx, bool gemm, bool fused) {
  const Tensor* b = ctx.input(1);  // non-null only when constant
  if (!xnn::available() || b == nullptr || b->dtype != DType::kFloat32 || b->shape.rank != 2 ||
      !xnn::is_f32_input(ctx, 0) || !xnn::is_f32_output(ctx, 0)) {
    return Status::ok();
  }
  // Gemm before opset 7 broadcasts C only when asked to; FusedGemm (com.parallax version 1,
  // made from any Gemm by canonicalize) has opset 11's semantics whatever its own version says.
  if (gemm && ((!fused && ctx.opset() < 7) || ctx.attr_int("transA", 0) != 0)) {
    return Status::ok();
  }
  // Gemm with transB holds the weights as [N, K]: B transposed.
  const bool trans_b = gemm && ctx.attr_int("transB", 0) != 0;
  const int64_t k = trans_b ? b->shape[1] : b->shape[0];
  const int64_t n = trans_b ? b->shape[0] : b->shape[1];
  if (k == 0 || n == 0) return Status::ok();
  std::vector<float> bias;
  if (gemm ? !gemm_bias(ctx, n, &bias) : (fused && !matmul_bias(ctx, n, &bias))) {
    return Status::ok();
  }
  const float* w = b->data_as<float>();
  std::vector<float> scaled;
  const float alpha = gemm ? ctx.attr_float("alpha", 1.0f) : 1.0f;
  if (alpha != 1.0f) {
    scaled.assign(w, w + k * n);
    for (float& v : scaled) v *= alpha;
    w = scaled.data();
  }
  auto* st = new FcState;
  st->k = k;
  st->n = n;
  st->gemm = gemm;
  if (fused && !st->epilogue.init(ctx).is_ok()) {
    delete st;  // the reference kernel takes over (and reports the bad activation)
    return Status::ok();
  }
  st->packed.resize(nn::sgemm_packed_b_floats(k, n));
  // [N, K] weights (transB) are B transposed: column j is row j of w.
  nn::sgemm_pack_b(w, trans_b ? 1 : n, trans_b ? k : 1, k, n, st->packed.data());
  st->bias = std::move(bias);
  nn::Activation act;
  if (fused && nn::Activation::parse(ctx, &act).is_ok()) {
    st->silu = act.kind == nn::Activation::Kind::kSiLU || act.kind == nn::Activation::Kind::kSwish;
    if (act.kind == nn::Activation::Kind::kSwish) st->silu_alpha = act.p0;
  }
  ctx.state() = st;
  // Run reads B only through the panels (the reference fallback below is taken only for
  // inputs the reference rejects too).
  ctx.input_packed(1);
  return Status::ok();
}

void release_fc(void* state) { delete static_cast<FcState*>(state); }

// y = a x B + bias with the clamp (and SiLU or Swish) applied in sgemm's tile, then the rest of the
// activation.
Status run_packed(KernelContext& ctx, const FcState& st, const float* a, float* y, size_t rows) {
  nn::SgemmArgs g;
  g.m = static_cast<int64_t>(rows);
  g.n = st.n;
  g.k = st.k;
  g.a = a;
  g.lda = st.k;
  g.b_packed = st.packed.data();
  g.bias = st.bias.empty() ? nullptr : st.bias.data();
  g.c = y;
  g.ldc = st.n;
  g.out_min = st.epilogue.output_min();
  g.out_max = st.epilogue.output_max();
  g.silu = st.silu;
  g.silu_alpha = st.silu_alpha;
  nn::sgemm(g, nullptr, ctx.threadpool());
  if (st.silu) return Status::ok();
  return st.epilogue.apply(ctx, y, rows * static_cast<size_t>(st.n));
}

Status run_fc(KernelContext& ctx, KernelFn reference) {
  auto* st = static_cast<FcState*>(ctx.state());
  const Tensor* a = ctx.input(0);
  if (st == nullptr || a == nullptr || a->dtype != DType::kFloat32 || a->shape.rank < 1 ||
      a->shape[a->shape.rank - 1] != st->k || (st->gemm && a->shape.rank != 2)) {
    return reference(ctx);  // also reports shape errors in the usual words
  }
  Shape out = a->shape;
  out[out.rank - 1] = st->n;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, out, &y));
  const size_t rows = static_cast<size_t>(a->numel() / st->k);
  if (rows == 0) return Status::ok();
  return run_packed(ctx, *st, a->data_as<float>(), y->data_as<float>(), rows);
}

}  // namespace

Status XnnGemm_prepare(KernelContext& ctx) { return prepare_fc(ctx, true, false); }
void XnnGemm_release(void* state) { release_fc(state); }
Status XnnGemm(KernelContext& ctx) { return run_fc(ctx, &Gemm); }

Status XnnMatMul_prepare(KernelContext& ctx) { return prepare_fc(ctx, false, false); }
void XnnMatMul_release(void* state) { release_fc(state); }
Status XnnMatMul(KernelContext& ctx) { return run_fc(ctx, &MatMul); }

Status XnnFusedGemm_prepare(KernelContext& ctx) { return prepare_fc(ctx, true, true); }
void XnnFusedGemm_release(void* state) { release_fc(state); }
Status XnnFusedGemm(KernelContext& ctx) { return run_fc(ctx, &FusedGemm); }

Status XnnFusedMatMul_prepare(KernelContext& ctx) { return prepare_fc(ctx, false, true); }
void XnnFusedMatMul_release(void* state) { release_fc(state); }
Status XnnFusedMatMul(KernelContext& ctx) { return run_fc(ctx, &FusedMatMul); }

}  // namespace parallax::rt::kernels
