// FusedAttention (com.parallax, version 1):
//   Y = MatMul(Softmax(E(MatMul(Q, Kt)), axis=-1), V)
// the scaled-dot-product core of attention, where E is the score epilogue: the elementwise
// steps an exporter puts between the scores and the Softmax (a scale, a position bias, a
// padding or causal mask), applied in order. Inputs: Q [..., M, K], Kt [..., K, N],
// V [..., N, D], MatMul operands of rank >= 2 with numpy batch broadcasting as in the two
// MatMuls; then the epilogue's operands. Attribute `score_ops` (strings, default none) lists
// the steps, each reading the next inputs:
//   "Add" x: s + x   "Sub" x: s - x   "Mul" x: s * x   "Div" x: s / x      (x float)
//   "Where" c, x: c ? s : x           "WhereNot" c, x: c ? x : s          (c bool, x float)
// Every operand broadcasts to the scores [..., M, N] without enlarging them (dimensions
// beyond the scores' rank must be 1); see score_ops.h. Made by passes/fuse_attention.h.
// Types: float.
//
// Why fused: the scores Q x Kt are [..., M, N] (whisper's encoder: 6 x 1500 x 1500 floats, 54
// MB a layer), and unfused they go to memory three times (MatMul writes them, Softmax reads
// and writes them, the second MatMul reads them), plus twice per epilogue step. Here each task
// takes a block of R query rows, computes their R x N scores into a cache-sized buffer with
// nn::sgemm, applies the epilogue and normalises them there (nn::softmax_rows_f32) and
// multiplies them by V at once, so the scores never leave the cache. When a product has
// several row blocks, Kt and V are packed into sgemm's panels once per call; with one, sgemm
// packs (or reads in place) what each block needs, as the unfused MatMul would.
//
// Determinism: every score and output element is computed by one thread with sgemm's fixed
// order, and each softmax row by one thread, so results do not depend on the thread count.
// The epilogue does the unfused nodes' float operations in their order, so results differ
// from the unfused graph only where sgemm's sums differ from the MatMul kernel's (last bits).
// A row whose scores are all -inf after the epilogue is NaN, as the unfused Softmax makes it.
#include <pthreadpool.h>

#include <algorithm>
#include <string>

#include "../common.h"
#include "../nn/matmul.h"
#include "../nn/scratch.h"
#include "../nn/sgemm.h"
#include "../nn/vector_math.h"
#include "score_ops.h"

namespace parallax::rt::kernels {

namespace {

struct AttentionJob {
  const float* q;
  const float* kt;  // only while packing
  const float* v;   // only while packing
  float* y;
  int64_t m, n, k, d;
  int64_t rows;    // R: query rows per task
  int64_t blocks;  // row blocks per product
  int64_t count1;  // score matrices (batch entries of Q x Kt)
  int64_t tasks, workers;
  const int64_t* q_off;   // per score matrix
  const int64_t* kt_off;  // per score matrix
  const int64_t* s_idx;   // per output matrix: its score matrix
  const int64_t* v_off;   // per output matrix
  const int64_t* y_off;   // per output matrix
  // Prepacked (several row blocks per product): Kt of each score matrix and V of each output
  // matrix in sgemm's panels. Otherwise null, and each call of sgemm packs what it needs in
  // the chunk's own `packing` floats (nothing when it reads B in place).
  float* kt_packed;  // count1 matrices of kt_floats
  float* v_packed;   // one per output matrix, v_floats each
  size_t kt_floats, v_floats;
  float* packing;  // workers x packing_floats, when not prepacked
  size_t packing_floats;
  float* scores;        // workers (chunks) x rows x n
  fused::ScoreOps ops;  // the epilogue, operands bound
};

// Item i < count1 packs Kt of score matrix i, the rest pack V of output matrix i - count1.
void pack(void* context, size_t i) {
  const AttentionJob& j = *static_cast<const AttentionJob*>(context);
  const int64_t t = static_cast<int64_t>(i);
  if (t < j.count1) {
    nn::sgemm_pack_b(j.kt + j.kt_off[t], j.n, 1, j.k, j.n, j.kt_packed + t * j.kt_floats);
  } else {
    const int64_t u = t - j.count1;
    nn::sgemm_pack_b(j.v + j.v_off[u], j.d, 1, j.n, j.d, j.v_packed + u * j.v_floats);
  }
}

// Chunk w: a contiguous range of (output matrix, row block) tasks, with its own score block.
void work(void* context, size_t w) {
  const AttentionJob& j = *static_cast<const AttentionJob*>(context);
  float* s = j.scores + static_cast<int64_t>(w) * j.rows * j.n;
  const int64_t first = static_cast<int64_t>(w) * j.tasks / j.workers;
  const int64_t last = (static_cast<int64_t>(w) + 1) * j.tasks / j.workers;
  for (int64_t task = first; task < last; ++task) {
    const int64_t u = task / j.blocks, i0 = (task % j.blocks) * j.rows;
    const int64_t rows = std::min(j.rows, j.m - i0);
    const int64_t si = j.s_idx[u];
    nn::SgemmArgs g;
    g.m = rows;
    g.n = j.n;
    g.k = j.k;
    g.a = j.q + j.q_off[si] + i0 * j.k;
    g.lda = j.k;
    g.c = s;
    g.ldc = j.n;
    float* packing = j.packing ? j.packing + w * j.packing_floats : nullptr;
    if (j.kt_packed) {
      g.b_packed = j.kt_packed + si * j.kt_floats;
    } else {
      g.b = j.kt + j.kt_off[si];
      g.b_rs = j.n;
    }
    nn::sgemm(g, packing, nullptr);
    fused::apply_score_ops(j.ops, si, i0, rows, j.n, s);
    nn::softmax_rows_f32(s, s, rows, j.n, j.n, nullptr);
    nn::SgemmArgs p;
    p.m = rows;
    p.n = j.d;
    p.k = j.n;
    p.a = s;
    p.lda = j.n;
    p.c = j.y + j.y_off[u] + i0 * j.d;
    p.ldc = j.d;
    if (j.v_packed) {
      p.b_packed = j.v_packed + u * j.v_floats;
    } else {
      p.b = j.v + j.v_off[u];
      p.b_rs = j.d;
    }
    nn::sgemm(p, packing, nullptr);
  }
}

}  // namespace

// The score_ops steps, read once from the attribute.
Status FusedAttention_prepare(KernelContext& ctx) {
  auto* ops = new fused::ScoreOps;
  ctx.state() = ops;  // released by the executor even if parsing fails
  return fused::parse_score_ops(ctx, ops);
}

void FusedAttention_release(void* state) { delete static_cast<fused::ScoreOps*>(state); }

Status FusedAttention(KernelContext& ctx) {
  const auto* parsed = static_cast<const fused::ScoreOps*>(ctx.state());
  if (parsed == nullptr) return Status::internal("FusedAttention ran without prepare");
  const Tensor* q = nullptr;
  const Tensor* kt = nullptr;
  const Tensor* v = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &q));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &kt));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &v));
  for (const Tensor* t : {q, kt, v}) {
    if (t->dtype != DType::kFloat32) {
      return Status::invalid("FusedAttention takes float tensors, got " +
                             std::string(dtype_name(t->dtype)));
    }
    if (t->shape.rank < 2) {
      return Status::invalid("FusedAttention operands must have rank >= 2, got " +
                             t->shape.to_string());
    }
  }
  AttentionJob j{};
  j.ops = *parsed;  // the operand bindings below are this run's
  const int operands = j.ops.operands;
  if (ctx.input_count() != 3 + operands) {
    return Status::invalid("FusedAttention: score_ops take " + std::to_string(operands) +
                           " operands, got " + std::to_string(ctx.input_count() - 3));
  }
  nn::MatMulShape s1, s2;
  PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(q->shape, kt->shape, &s1));
  PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(s1.out, v->shape, &s2));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, s2.out, &y));
  const int64_t m = s1.m, n = s1.n, k = s1.k, d = s2.n;
  float* py = y->data_as<float>();
  if (y->numel() == 0) return Status::ok();
  if (n == 0) {  // empty rows: nothing to weigh, every output is an empty sum
    std::fill(py, py + y->numel(), 0.0f);
    return Status::ok();
  }
  const int64_t count1 = s1.batch.numel(), count2 = s2.batch.numel();
  // R rows of scores: at most 256 KB, so they stay in L2 between the two products; a multiple
  // of 8 rows, the height of sgemm's AVX-512 tile; at most 128, so that a sequence of up to
  // 128 tokens (DistilBERT, CLIP) is one block (no ragged second block, nothing prepacked):
  // measured 4-15% faster on their attention than a 64-row limit.
  const int64_t rows =
      std::min<int64_t>(m, std::max<int64_t>(8, std::min<int64_t>(128, 65536 / n) / 8 * 8));
  const int64_t blocks = (m + rows - 1) / rows, tasks = count2 * blocks;
  // Chunks of tasks, each with its own score block: one on one thread; four per thread
  // otherwise, so that a thread held up by another step sharing the pool delays a quarter of
  // its share, not all of it.
  const int64_t workers = std::min<int64_t>(ctx.threads() == 1 ? 1 : 4 * ctx.threads(), tasks);
  // With one row block per product each Kt and V is used once (per output matrix), so packing
  // them ahead buys nothing, and sgemm reads a short block's B in place, as the unfused
  // MatMuls do (Whisper's decoder: 16 queries over 1500 keys).
  const bool prepack = blocks > 1;
  const size_t kt_floats = prepack ? nn::sgemm_packed_b_floats(k, n) : 0,
               v_floats = prepack ? nn::sgemm_packed_b_floats(n, d) : 0;
  size_t packing_floats = 0;
  if (!prepack) {
    nn::SgemmArgs g1, g2;
    g1.m = g2.m = m;
    g1.k = k;
    g1.n = g2.k = n;
    g2.n = d;
    g1.b_rs = n;
    g2.b_rs = d;
    // Rounded to 16 floats: every chunk's space starts 64-byte aligned.
    packing_floats =
        (std::max(nn::sgemm_packed_floats(g1), nn::sgemm_packed_floats(g2)) + 15) / 16 * 16;
  }

  nn::ScratchLayout layout;
  const size_t o_q = layout.add<int64_t>(count1), o_kt = layout.add<int64_t>(count1),
               o_si = layout.add<int64_t>(count2), o_v = layout.add<int64_t>(count2),
               o_y = layout.add<int64_t>(count2), o_ops = layout.add<int64_t>(operands * count1),
               o_ktp = layout.add<float>(count1 * static_cast<int64_t>(kt_floats)),
               o_vp = layout.add<float>(count2 * static_cast<int64_t>(v_floats)),
               o_pk = layout.add<float>(workers * static_cast<int64_t>(packing_floats)),
               o_s = layout.add<float>(workers * rows * n);
  char* base = layout.allocate(ctx);
  PARALLAX_RETURN_IF_ERROR(
      fused::bind_score_operands(ctx, 3, s1, nn::ScratchLayout::at<int64_t>(base, o_ops), &j.ops));
  j.q = q->data_as<float>();
  j.kt = kt->data_as<float>();
  j.v = v->data_as<float>();
  j.y = py;
  j.m = m;
  j.n = n;
  j.k = k;
  j.d = d;
  j.rows = rows;
  j.blocks = blocks;
  j.count1 = count1;
  j.tasks = tasks;
  j.workers = workers;
  int64_t* q_off = nn::ScratchLayout::at<int64_t>(base, o_q);
  int64_t* kt_off = nn::ScratchLayout::at<int64_t>(base, o_kt);
  int64_t* s_idx = nn::ScratchLayout::at<int64_t>(base, o_si);
  int64_t* v_off = nn::ScratchLayout::at<int64_t>(base, o_v);
  int64_t* y_off = nn::ScratchLayout::at<int64_t>(base, o_y);
  const int64_t s_size = m * n;
  nn::for_each_matmul(s1, [&](int64_t qo, int64_t kto, int64_t so) {
    q_off[so / s_size] = qo;
    kt_off[so / s_size] = kto;
  });
  int64_t u = 0;
  nn::for_each_matmul(s2, [&](int64_t so, int64_t vo, int64_t yo) {
    s_idx[u] = so / s_size;
    v_off[u] = vo;
    y_off[u] = yo;
    ++u;
  });
  j.q_off = q_off;
  j.kt_off = kt_off;
  j.s_idx = s_idx;
  j.v_off = v_off;
  j.y_off = y_off;
  j.kt_packed = prepack ? nn::ScratchLayout::at<float>(base, o_ktp) : nullptr;
  j.v_packed = prepack ? nn::ScratchLayout::at<float>(base, o_vp) : nullptr;
  j.kt_floats = kt_floats;
  j.v_floats = v_floats;
  j.packing = packing_floats ? nn::ScratchLayout::at<float>(base, o_pk) : nullptr;
  j.packing_floats = packing_floats;
  j.scores = nn::ScratchLayout::at<float>(base, o_s);
  if (prepack) {
    pthreadpool_parallelize_1d(ctx.threadpool(), &pack, &j, static_cast<size_t>(count1 + count2),
                               0);
  }
  pthreadpool_parallelize_1d(ctx.threadpool(), &work, &j, static_cast<size_t>(workers), 0);
  return Status::ok();
}

}  // namespace parallax::rt::kernels
