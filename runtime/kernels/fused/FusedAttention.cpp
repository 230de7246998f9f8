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
// Attribute `heads` (int, default 0) H > 0 selects the projections' own layout, with the
// heads side by side in the last axis: Q [..., M, H*d], K [..., N, H*d] (the keys, not
// transposed), V [..., N, H*dv], all with the same batch dimensions, and Y [..., M, H*dv];
// head h is the h-th group of d (dv) columns. The scores are those of the split form,
// [..., H, M, N], and the score operands broadcast to that. It saves the Transposes an
// exporter puts around attention to split and merge the heads (passes/attention_heads.h).
//
// Attribute `key_rows` (int, default 0) = 1 without heads: input 1 is K [..., N, d], the keys
// as rows, instead of Kt [..., d, N]; sgemm reads it transposed while it packs it, which saves
// the Transpose in front (passes/attention_heads.h). With heads K is always rows.
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
#include <utility>
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
  // Strides: Q rows lda apart; Kt(p, j) at kt[p * kt_rs + j * kt_cs]; V rows v_rs apart;
  // Y rows ldy apart.
  int64_t lda, kt_rs, kt_cs, v_rs, ldy;
  int64_t rows;    // R: query rows per task
  int64_t blocks;  // row blocks per product
  int64_t count1;  // score matrices (batch entries of Q x Kt)
  int64_t tasks, workers;
  const int64_t* q_off;   // per score matrix
  const int64_t* kt_off;  // per score matrix
  const int64_t* s_idx;   // per output matrix: its score matrix
  const int64_t* v_off;   // per output matrix
  const int64_t* y_off;   // per output matrix
  // Prepacked (several row blocks per product, or a Kt or V shared by several products): each
  // distinct Kt and V matrix in sgemm's panels, once. Otherwise null, and each call of sgemm
  // packs what it needs in the chunk's own `packing` floats (nothing when it reads B in place).
  float* kt_packed;  // kt_count matrices of kt_floats
  float* v_packed;   // v_count matrices of v_floats
  size_t kt_floats, v_floats;
  int64_t kt_count, v_count;
  const int64_t* kt_src;   // per packed Kt: its offset in kt
  const int64_t* v_src;    // per packed V: its offset in v
  const int64_t* kt_slot;  // per score matrix: its packed Kt
  const int64_t* v_slot;   // per output matrix: its packed V
  float* packing;  // workers x packing_floats, when not prepacked
  size_t packing_floats;
  float* scores;        // workers (chunks) x rows x n
  fused::ScoreOps ops;  // the epilogue, operands bound
};

// Item i < kt_count packs distinct Kt matrix i, the rest pack V matrix i - kt_count.
void pack(void* context, size_t i) {
  const AttentionJob& j = *static_cast<const AttentionJob*>(context);
  const int64_t t = static_cast<int64_t>(i);
  if (t < j.kt_count) {
    nn::sgemm_pack_b(j.kt + j.kt_src[t], j.kt_rs, j.kt_cs, j.k, j.n,
                     j.kt_packed + t * j.kt_floats);
  } else {
    const int64_t u = t - j.kt_count;
    nn::sgemm_pack_b(j.v + j.v_src[u], j.v_rs, 1, j.n, j.d, j.v_packed + u * j.v_floats);
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
    g.a = j.q + j.q_off[si] + i0 * j.lda;
    g.lda = j.lda;
    g.c = s;
    g.ldc = j.n;
    float* packing = j.packing ? j.packing + w * j.packing_floats : nullptr;
    if (j.kt_packed) {
      g.b_packed = j.kt_packed + j.kt_slot[si] * j.kt_floats;
    } else {
      g.b = j.kt + j.kt_off[si];
      g.b_rs = j.kt_rs;
      g.b_cs = j.kt_cs;
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
    p.c = j.y + j.y_off[u] + i0 * j.ldy;
    p.ldc = j.ldy;
    if (j.v_packed) {
      p.b_packed = j.v_packed + j.v_slot[u] * j.v_floats;
    } else {
      p.b = j.v + j.v_off[u];
      p.b_rs = j.v_rs;
    }
    nn::sgemm(p, packing, nullptr);
  }
}

}  // namespace

namespace {

// What prepare reads from the attributes once.
struct AttentionState {
  fused::ScoreOps ops;  // the score_ops steps, operands unbound
  int64_t heads = 0;
  bool key_rows = false;  // input 1 is K [..., N, d], not Kt
};

// The shapes of a `heads` (side-by-side) node: Q [..., M, H*d], K [..., N, H*d],
// V [..., N, H*dv]. Sets the split form's score shape s1 ([..., H, M, N], batch [..., H]),
// d, dv and Y's shape [..., M, H*dv].
Status head_shapes(const Shape& q, const Shape& k, const Shape& v, int64_t heads,
                   nn::MatMulShape* s1, int64_t* dv, Shape* y) {
  const int r = q.rank;
  if (k.rank != r || v.rank != r || r + 1 > kMaxRank) {
    return Status::invalid("FusedAttention with heads needs Q, K and V of one rank (< " +
                           std::to_string(kMaxRank) + "), got " + q.to_string() + ", " +
                           k.to_string() + ", " + v.to_string());
  }
  for (int a = 0; a < r - 2; ++a) {
    if (k[a] != q[a] || v[a] != q[a]) {
      return Status::invalid(
          "FusedAttention with heads needs Q, K and V of the same batch "
          "dimensions, got " +
          q.to_string() + ", " + k.to_string() + ", " + v.to_string());
    }
  }
  const int64_t width = q[r - 1];
  if (width % heads != 0 || k[r - 1] != width || v[r - 1] % heads != 0 || v[r - 2] != k[r - 2]) {
    return Status::invalid("FusedAttention with " + std::to_string(heads) + " heads: Q " +
                           q.to_string() + ", K " + k.to_string() + " and V " + v.to_string() +
                           " do not split into heads alike");
  }
  s1->m = q[r - 2];
  s1->n = k[r - 2];
  s1->k = width / heads;
  *dv = v[r - 1] / heads;
  Shape::from(q.dims, r - 2, &s1->batch);
  s1->batch.dims[s1->batch.rank++] = heads;
  s1->a_batch = s1->b_batch = s1->batch;
  s1->out = s1->batch;
  s1->out.dims[s1->out.rank++] = s1->m;
  s1->out.dims[s1->out.rank++] = s1->n;
  *y = q;
  y->dims[r - 1] = heads * *dv;
  return Status::ok();
}

}  // namespace

// The score_ops steps and the head layout, read once from the attributes.
Status FusedAttention_prepare(KernelContext& ctx) {
  auto* st = new AttentionState;
  ctx.state() = st;  // released by the executor even if parsing fails
  st->heads = ctx.attr_int("heads", 0);
  if (st->heads < 0) {
    return Status::invalid("FusedAttention heads must be >= 0, got " + std::to_string(st->heads));
  }
  const int64_t key_rows = ctx.attr_int("key_rows", 0);
  if (key_rows != 0 && key_rows != 1) {
    return Status::invalid("FusedAttention key_rows must be 0 or 1, got " +
                           std::to_string(key_rows));
  }
  st->key_rows = key_rows == 1;
  return fused::parse_score_ops(ctx, &st->ops);
}

void FusedAttention_release(void* state) { delete static_cast<AttentionState*>(state); }

Status FusedAttention(KernelContext& ctx) {
  const auto* st = static_cast<const AttentionState*>(ctx.state());
  if (st == nullptr) return Status::internal("FusedAttention ran without prepare");
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
  j.ops = st->ops;  // the operand bindings below are this run's
  const int operands = j.ops.operands;
  if (ctx.input_count() != 3 + operands) {
    return Status::invalid("FusedAttention: score_ops take " + std::to_string(operands) +
                           " operands, got " + std::to_string(ctx.input_count() - 3));
  }
  const int64_t heads = st->heads;
  nn::MatMulShape s1, s2;
  Shape y_shape;
  int64_t d = 0;
  if (heads > 0) {
    PARALLAX_RETURN_IF_ERROR(head_shapes(q->shape, kt->shape, v->shape, heads, &s1, &d, &y_shape));
  } else {
    // K [..., N, d] as rows: the product's B is its transpose.
    Shape kt_shape = kt->shape;
    if (st->key_rows) std::swap(kt_shape.dims[kt_shape.rank - 1], kt_shape.dims[kt_shape.rank - 2]);
    PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(q->shape, kt_shape, &s1));
    PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(s1.out, v->shape, &s2));
    y_shape = s2.out;
    d = s2.n;
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, y_shape, &y));
  const int64_t m = s1.m, n = s1.n, k = s1.k;
  // Strides of the split form, or of the heads side by side (K read transposed, in place).
  const bool k_rows = heads > 0 || st->key_rows;
  j.lda = heads > 0 ? heads * k : k;
  j.kt_rs = k_rows ? 1 : n;
  j.kt_cs = heads > 0 ? heads * k : (k_rows ? k : 1);
  j.v_rs = heads > 0 ? heads * d : d;
  j.ldy = heads > 0 ? heads * d : d;
  float* py = y->data_as<float>();
  if (y->numel() == 0) return Status::ok();
  if (n == 0) {  // empty rows: nothing to weigh, every output is an empty sum
    std::fill(py, py + y->numel(), 0.0f);
    return Status::ok();
  }
  const int64_t count1 = s1.batch.numel(), count2 = heads > 0 ? count1 : s2.batch.numel();
  // R rows of scores: at most 256 KB, so they stay in L2 between the two products; at most
  // 128, so that a sequence of up to 128 tokens (DistilBERT, CLIP) is one block (no ragged
  // second block, nothing prepacked): measured 4-15% faster on their attention than a 64-row
  // limit. Several blocks have a multiple of the height of sgemm's tile (8 rows AVX-512, 6
  // AVX2): 40 rows on AVX2 left 4 to a 3- and a 1-row tile.
  const int64_t cap = std::min<int64_t>(128, 65536 / n), tile = nn::sgemm_tile_rows();
  const int64_t rows = m <= cap ? m : std::max<int64_t>(tile, cap / tile * tile);
  const int64_t blocks = (m + rows - 1) / rows, tasks = count2 * blocks;
  // Chunks of tasks, each with its own score block: one on one thread; four per thread
  // otherwise, so that a thread held up by another step sharing the pool delays a quarter of
  // its share, not all of it.
  const int64_t workers = std::min<int64_t>(ctx.threads() == 1 ? 1 : 4 * ctx.threads(), tasks);
  // Distinct Kt and V matrices: one per product with heads side by side, otherwise as many as
  // their batch entries (fewer than the products when broadcast over heads).
  const int64_t kt_count = heads > 0 ? count1 : s1.b_batch.numel(),
                v_count = heads > 0 ? count2 : s2.b_batch.numel();
  // With one row block per product and no Kt or V shared, each is used once, so packing them
  // ahead buys nothing, and sgemm reads a short block's B in place, as the unfused MatMuls do
  // (Whisper's decoder self-attention: 16 queries). A Kt or V shared by several products (its
  // cross-attention after reassociate-attention: the 1500 audio frames for every head) is
  // packed once: read in place, each head's pass went down rows 6 KB apart, across pages, at
  // 7-11 GFMA/s on a Zen 3 core.
  const bool prepack = blocks > 1 || kt_count < count1 || v_count < count2;
  const size_t kt_floats = prepack ? nn::sgemm_packed_b_floats(k, n) : 0,
               v_floats = prepack ? nn::sgemm_packed_b_floats(n, d) : 0;
  size_t packing_floats = 0;
  if (!prepack) {
    nn::SgemmArgs g1, g2;
    g1.m = g2.m = m;
    g1.k = k;
    g1.n = g2.k = n;
    g2.n = d;
    g1.b_rs = j.kt_rs;
    g1.b_cs = j.kt_cs;
    g2.b_rs = j.v_rs;
    // Rounded to 16 floats: every chunk's space starts 64-byte aligned.
    packing_floats =
        (std::max(nn::sgemm_packed_floats(g1), nn::sgemm_packed_floats(g2)) + 15) / 16 * 16;
  }

  nn::ScratchLayout layout;
  const size_t o_q = layout.add<int64_t>(count1), o_kt = layout.add<int64_t>(count1),
               o_si = layout.add<int64_t>(count2), o_v = layout.add<int64_t>(count2),
               o_y = layout.add<int64_t>(count2), o_ops = layout.add<int64_t>(operands * count1),
               o_kts = layout.add<int64_t>(kt_count), o_vs = layout.add<int64_t>(v_count),
               o_ktl = layout.add<int64_t>(count1), o_vl = layout.add<int64_t>(count2),
               o_ktp = layout.add<float>(kt_count * static_cast<int64_t>(kt_floats)),
               o_vp = layout.add<float>(v_count * static_cast<int64_t>(v_floats)),
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
  if (heads > 0) {
    // Score matrix t = (batch entry b, head h): head h's columns of row block b.
    for (int64_t t = 0; t < count1; ++t) {
      const int64_t b = t / heads, h = t % heads;
      q_off[t] = b * m * heads * k + h * k;
      kt_off[t] = b * n * heads * k + h * k;
      s_idx[t] = t;
      v_off[t] = b * n * heads * d + h * d;
      y_off[t] = b * m * heads * d + h * d;
    }
  } else {
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
  }
  int64_t* kt_src = nn::ScratchLayout::at<int64_t>(base, o_kts);
  int64_t* v_src = nn::ScratchLayout::at<int64_t>(base, o_vs);
  int64_t* kt_slot = nn::ScratchLayout::at<int64_t>(base, o_ktl);
  int64_t* v_slot = nn::ScratchLayout::at<int64_t>(base, o_vl);
  if (heads > 0) {  // every product its own matrices
    for (int64_t t = 0; t < count1; ++t) kt_src[t] = kt_off[t], kt_slot[t] = t;
    for (int64_t u = 0; u < count2; ++u) v_src[u] = v_off[u], v_slot[u] = u;
  } else {  // batch entry i of Kt (V) starts at i * k * n (i * n * d)
    for (int64_t i = 0; i < kt_count; ++i) kt_src[i] = i * k * n;
    for (int64_t i = 0; i < v_count; ++i) v_src[i] = i * n * d;
    for (int64_t t = 0; t < count1; ++t) kt_slot[t] = k * n > 0 ? kt_off[t] / (k * n) : 0;
    for (int64_t u = 0; u < count2; ++u) v_slot[u] = n * d > 0 ? v_off[u] / (n * d) : 0;
  }
  j.kt_count = kt_count;
  j.v_count = v_count;
  j.kt_src = kt_src;
  j.v_src = v_src;
  j.kt_slot = kt_slot;
  j.v_slot = v_slot;
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
    pthreadpool_parallelize_1d(ctx.threadpool(), &pack, &j,
                               static_cast<size_t>(kt_count + v_count), 0);
  }
  pthreadpool_parallelize_1d(ctx.threadpool(), &work, &j, static_cast<size_t>(workers), 0);
  return Status::ok();
}

}  // namespace parallax::rt::kernels
