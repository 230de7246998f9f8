// layout: each case imports a small CNN in text form, canonicalizes it, checks the NHWC
// rewrite's shape (ops, where the layout changes), and runs the canonical and the rewritten
// graph on the same inputs, comparing every output within 1e-4 of its scale (the rewritten one
// runs XNNPACK, the other the reference kernels, so the sums differ in rounding only).
#include "passes/layout.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codegen/program_builder.h"
#include "compiler/import/importer.h"
#include "compiler/ir/verifier.h"
#include "parallax/runtime/executor.h"
#include "passes/canonicalize.h"
#include "passes/concat_in_place.h"
#include "passes/dense_concat.h"
#include "passes/fuse_conv_maxpool.h"
#include "passes/fuse_expand_depthwise.h"
#include "passes/pipeline.h"
#include "test_util.h"

namespace parallax::test {
namespace {

ir::Graph canonical(const std::string& text) {
  ir::Graph g;
  rt::Status s = import::import_model(write_file(temp_dir(), "m.onnxtxt", text), {}, &g);
  INFO(s.message());
  REQUIRE(s.is_ok());
  REQUIRE(passes::canonicalize(g).is_ok());
  return g;
}

// g passes the IR verifier (its message shown when not).
void require_verified(const ir::Graph& g) {
  const rt::Status v = ir::verify(g);
  INFO(v.message());
  REQUIRE(v.is_ok());
}

ir::Graph with_layout(const ir::Graph& g) {
  ir::Graph l = g;
  const passes::CompileOptions options;
  REQUIRE(passes::assign_layout(l, options).is_ok());
  require_verified(l);
  return l;
}

// Runs g on deterministic float inputs in [-2, 2); the outputs with their shapes. With a plan,
// the program has its branches and memory arena (in-place values share bytes).
std::vector<std::pair<std::vector<int64_t>, std::vector<float>>> run(
    const ir::Graph& g, const ir::Plan* plan = nullptr) {
  rt::Program p;
  rt::Status s = plan ? codegen::build_program(g, *plan, &p) : codegen::build_program(g, &p);
  INFO(s.message());
  REQUIRE(s.is_ok());
  std::unique_ptr<rt::Executor> ex;
  s = rt::Executor::create(&p, &ex);
  INFO(s.message());
  REQUIRE(s.is_ok());
  std::mt19937 rng(5);
  std::vector<std::vector<float>> storage(ex->input_count());
  for (int i = 0; i < ex->input_count(); ++i) {
    const rt::TensorInfo& info = ex->input_info(i);
    rt::Tensor t;
    t.dtype = info.dtype;
    REQUIRE(rt::Shape::from(info.shape.data(), static_cast<int>(info.shape.size()), &t.shape));
    storage[i].resize(static_cast<size_t>(t.numel()) + 4);
    for (float& v : storage[i]) v = std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
    t.data = storage[i].data();
    REQUIRE(ex->set_input(i, t).is_ok());
  }
  s = ex->run();
  INFO(s.message());
  REQUIRE(s.is_ok());
  std::vector<std::pair<std::vector<int64_t>, std::vector<float>>> out;
  for (int i = 0; i < ex->output_count(); ++i) {
    const rt::Tensor& t = ex->output(i);
    out.push_back({std::vector<int64_t>(t.shape.dims, t.shape.dims + t.shape.rank),
                   std::vector<float>(t.data_as<float>(), t.data_as<float>() + t.numel())});
  }
  return out;
}

void check_same_outputs(const ir::Graph& before, const ir::Graph& after,
                        const ir::Plan* after_plan = nullptr) {
  const auto want = run(before);
  const auto got = run(after, after_plan);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    REQUIRE(got[i].first == want[i].first);
    float scale = 1.0f, err = 0.0f;
    for (size_t k = 0; k < want[i].second.size(); ++k) {
      scale = std::max(scale, std::fabs(want[i].second[k]));
      err = std::max(err, std::fabs(got[i].second[k] - want[i].second[k]));
    }
    INFO("output " << i);
    CHECK(err <= 1e-4f * scale);
  }
}

// The main region's ops in order, "com.parallax." where it applies.
std::vector<std::string> ops(const ir::Graph& g) {
  std::vector<std::string> r;
  for (ir::NodeId n : g.regions[0].nodes) {
    const ir::Node& node = g.nodes[n];
    r.push_back((node.domain.empty() ? "" : node.domain + ".") + node.op_type);
  }
  return r;
}

using Ops = std::vector<std::string>;

// How many main-region nodes of g are `op` (named as ops() names them).
int count_op(const ir::Graph& g, const std::string& op) {
  const Ops o = ops(g);
  return static_cast<int>(std::count(o.begin(), o.end(), op));
}

// has_attr(g, op, name): some node of type op carries attribute name.
bool has_attr(const ir::Graph& g, const std::string& op, const std::string& name) {
  for (const ir::Node& n : g.nodes)
    if (n.op_type == op)
      for (const rt::Attribute& a : n.attrs)
        if (a.name == name) return true;
  return false;
}

TEST_CASE("layout: a residual CNN runs in NHWC from its NCHW image to one Reshape out",
          "[passes][layout]") {
  const ir::Graph g = canonical(R"(
<ir_version: 8, opset_import: ["" : 13]>
res (float[1, 3, 15, 15] x) => (float[1, 10] y)
{
  w1 = Constant <value = float[8, 3, 3, 3] )" +
                                values(216, 1, -0.5, 0.5) + R"(> ()
  b1 = Constant <value = float[8] )" +
                                values(8, 2, -0.5, 0.5) + R"(> ()
  w2 = Constant <value = float[8, 8, 3, 3] )" +
                                values(576, 3, -0.5, 0.5) + R"(> ()
  w3 = Constant <value = float[8, 1, 3, 3] )" +
                                values(72, 4, -0.5, 0.5) + R"(> ()
  fc = Constant <value = float[10, 8] )" +
                                values(80, 5, -0.5, 0.5) + R"(> ()
  c1 = Conv <kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]> (x, w1, b1)
  r1 = Relu (c1)
  p = MaxPool <kernel_shape = [3, 3], strides = [2, 2], ceil_mode = 1> (r1)
  c2 = Conv <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (p, w2)
  c3 = Conv <kernel_shape = [3, 3], pads = [1, 1, 1, 1], group = 8> (c2, w3)
  a = Add (c3, p)
  r2 = Relu (a)
  gp = GlobalAveragePool (r2)
  f = Flatten (gp)
  y = Gemm <transB = 1> (f, fc)
}
)");
  const ir::Graph l = with_layout(g);
  // The first convolution reads the 3-channel image in NCHW (nchw_input): no Transpose in.
  CHECK(has_attr(l, "ConvNhwc", "nchw_input"));
  CHECK(ops(l) == Ops{"com.parallax.ConvNhwc", "com.parallax.MaxPoolNhwc", "com.parallax.ConvNhwc",
                      "com.parallax.ConvNhwc", "Add", "Relu", "com.parallax.GlobalAveragePoolNhwc",
                      "Reshape", "Flatten", "Gemm"});
  check_same_outputs(g, l);
}

TEST_CASE("layout: squeeze-excitation with SiLU, a BatchNorm and a counted-padding AveragePool",
          "[passes][layout]") {
  const ir::Graph g = canonical(R"(
<ir_version: 8, opset_import: ["" : 13]>
se (float[2, 4, 9, 9] x) => (float[2, 4, 9, 9] y, float[2, 4, 9, 9] z)
{
  w1 = Constant <value = float[4, 4, 1, 1] )" +
                                values(16, 6, -0.5, 0.5) + R"(> ()
  ws = Constant <value = float[2, 4, 1, 1] )" +
                                values(8, 7, -0.5, 0.5) + R"(> ()
  we = Constant <value = float[4, 2, 1, 1] )" +
                                values(8, 8, -0.5, 0.5) + R"(> ()
  sc = Constant <value = float[4] {1.5, 0.5, 2, 1}> ()
  bi = Constant <value = float[4] {0.1, -0.2, 0.3, 0}> ()
  mu = Constant <value = float[4] {0, 0.5, -0.5, 1}> ()
  va = Constant <value = float[4] {1, 2, 0.5, 4}> ()
  c = Conv (x, w1)
  s = Sigmoid (c)
  h = Mul (c, s)
  g = GlobalAveragePool (h)
  e1 = Conv (g, ws)
  e2 = Relu (e1)
  e3 = Conv (e2, we)
  e4 = Sigmoid (e3)
  y = Mul (h, e4)
  r = Relu (y)
  n = BatchNormalization (r, sc, bi, mu, va)
  z = AveragePool <kernel_shape = [3, 3], pads = [1, 1, 1, 1], count_include_pad = 1> (n)
}
)");
  const ir::Graph l = with_layout(g);
  int convs = 0, transposes = 0;
  for (const ir::Node& n : l.nodes) {
    convs += n.op_type == "ConvNhwc";
    transposes += n.op_type == "Transpose";
  }
  CHECK(convs == 5);       // three convolutions, the BatchNorm, the AveragePool
  CHECK(transposes == 2);  // y and z out; the first convolution reads x (4 channels) in NCHW
  check_same_outputs(g, l);
}

TEST_CASE("layout: a BatchNorm's Relu fuses into the convolution the BatchNorm becomes",
          "[passes][layout]") {
  // DenseNet's pre-activation: the BatchNorm reads a Concat, so canonicalize has no convolution
  // to fold it into, and its Relu stays a node until layout makes the BatchNorm a ConvNhwc.
  const ir::Graph g = canonical(R"(
<ir_version: 8, opset_import: ["" : 13]>
dense (float[1, 4, 8, 8] x) => (float[1, 3, 8, 8] y)
{
  w1 = Constant <value = float[6, 4, 3, 3] )" +
                                values(216, 41, -0.5, 0.5) + R"(> ()
  w2 = Constant <value = float[3, 10, 1, 1] )" +
                                values(30, 42, -0.5, 0.5) + R"(> ()
  sc = Constant <value = float[10] )" +
                                values(10, 43, 0.5, 1.5) + R"(> ()
  bi = Constant <value = float[10] )" +
                                values(10, 44, -0.5, 0.5) + R"(> ()
  mu = Constant <value = float[10] )" +
                                values(10, 45, -0.5, 0.5) + R"(> ()
  va = Constant <value = float[10] )" +
                                values(10, 46, 0.5, 2.0) + R"(> ()
  c = Conv <pads = [1, 1, 1, 1]> (x, w1)
  cat = Concat <axis = 1> (x, c)
  n = BatchNormalization (cat, sc, bi, mu, va)
  r = Relu (n)
  y = Conv (r, w2)
}
)");
  CHECK(count_op(g, "Relu") == 1);
  const ir::Graph l = with_layout(g);
  CHECK(count_op(l, "Relu") == 0);
  CHECK(count_op(l, "com.parallax.ConvNhwc") == 3);
  CHECK(has_attr(l, "ConvNhwc", "activation"));
  check_same_outputs(g, l);
}

TEST_CASE("layout: a convolution reads its input in NCHW only when few channels come from outside",
          "[passes][layout]") {
  // x (3 channels) feeds an undilated single-group convolution (NCHW read) and an Add inside
  // the region (which still needs x in NHWC); u (5 channels) and the grouped and dilated
  // convolutions of v keep the Transpose.
  const ir::Graph g = canonical(R"(
<ir_version: 8, opset_import: ["" : 13]>
mix (float[1, 3, 8, 8] x, float[1, 5, 8, 8] u, float[1, 2, 8, 8] v) => (float[1, 3, 8, 8] y,
    float[1, 2, 8, 8] z, float[1, 2, 8, 8] t)
{
  wx = Constant <value = float[3, 3, 3, 3] )" +
                                values(81, 11, -0.5, 0.5) + R"(> ()
  wu = Constant <value = float[2, 5, 1, 1] )" +
                                values(10, 12, -0.5, 0.5) + R"(> ()
  wg = Constant <value = float[2, 1, 3, 3] )" +
                                values(18, 13, -0.5, 0.5) + R"(> ()
  wd = Constant <value = float[2, 2, 3, 3] )" +
                                values(36, 14, -0.5, 0.5) + R"(> ()
  cx = Conv <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (x, wx)
  y = Add (cx, x)
  z = Conv <kernel_shape = [1, 1]> (u, wu)
  cg = Conv <kernel_shape = [3, 3], pads = [1, 1, 1, 1], group = 2> (v, wg)
  cd = Conv <kernel_shape = [3, 3], pads = [2, 2, 2, 2], dilations = [2, 2]> (v, wd)
  t = Add (cg, cd)
}
)");
  const ir::Graph l = with_layout(g);
  int nchw = 0, to_nhwc = 0;
  for (const ir::Node& n : l.nodes) {
    for (const rt::Attribute& a : n.attrs) nchw += a.name == "nchw_input";
    to_nhwc += n.op_type == "Transpose" && n.name.find("/to_nhwc") != std::string::npos;
  }
  CHECK(nchw == 1);     // cx only
  CHECK(to_nhwc == 3);  // x for the Add, u, v (once for both of its convolutions)
  check_same_outputs(g, l);
}

TEST_CASE("layout: Concat, Split, Pad and Resize renumber their axes and per-dimension inputs",
          "[passes][layout]") {
  const ir::Graph g = canonical(R"(
<ir_version: 8, opset_import: ["" : 13]>
axes (float[1, 4, 6, 6] x) => (float[1, 6, 14, 14] y)
{
  w = Constant <value = float[4, 4, 3, 3] )" +
                                values(144, 9, -0.5, 0.5) + R"(> ()
  sp = Constant <value = int64[2] {1, 3}> ()
  pads = Constant <value = int64[8] {0, 0, 1, 0, 0, 0, 0, 1}> ()
  sc = Constant <value = float[4] {1, 1, 2, 2}> ()
  c = Conv <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (x, w)
  a, b = Split <axis = 1> (c, sp)
  j = Concat <axis = 1> (b, c, a)
  p = Pad (j, pads)
  y = Resize <mode = "nearest"> (p, , sc)
}
)");
  const ir::Graph l = with_layout(g);
  CHECK(ops(l) == Ops{"com.parallax.ConvNhwc", "Split", "Concat", "Pad", "Resize", "Transpose"});
  check_same_outputs(g, l);
}

TEST_CASE("layout: ShuffleNet's channel shuffle and chunk Slices stay inside the region",
          "[passes][layout]") {
  const ir::Graph g = canonical(R"(
<ir_version: 8, opset_import: ["" : 13]>
shuffle (float[1, 6, 5, 5] x) => (float[1, 6, 5, 5] y)
{
  w = Constant <value = float[6, 6, 1, 1] )" +
                                values(36, 10, -0.5, 0.5) + R"(> ()
  w2 = Constant <value = float[3, 3, 1, 1] )" +
                                values(9, 11, -0.5, 0.5) + R"(> ()
  s5 = Constant <value = int64[5] {1, 2, 3, 5, 5}> ()
  s4 = Constant <value = int64[4] {1, 6, 5, 5}> ()
  st = Constant <value = int64[1] {0}> ()
  mid = Constant <value = int64[1] {3}> ()
  en = Constant <value = int64[1] {6}> ()
  ax = Constant <value = int64[1] {1}> ()
  c = Conv (x, w)
  r1 = Reshape (c, s5)
  t = Transpose <perm = [0, 2, 1, 3, 4]> (r1)
  r2 = Reshape (t, s4)
  a = Slice (r2, st, mid, ax)
  b = Slice (r2, mid, en, ax)
  b2 = Conv (b, w2)
  y = Concat <axis = 1> (a, b2)
}
)");
  const ir::Graph l = with_layout(g);
  CHECK(ops(l) == Ops{"Transpose", "com.parallax.ConvNhwc", "com.parallax.ChannelShuffleNhwc",
                      "Slice", "Slice", "com.parallax.ConvNhwc", "Concat", "Transpose"});
  check_same_outputs(g, l);
}

TEST_CASE("layout: nothing changes without a convolution", "[passes][layout]") {
  const ir::Graph g = canonical(R"(
<ir_version: 8, opset_import: ["" : 13]>
pools (float[1, 2, 6, 6] x) => (float[1, 2, 1, 1] y)
{
  r = Relu (x)
  p = MaxPool <kernel_shape = [2, 2]> (r)
  y = GlobalAveragePool (p)
}
)");
  CHECK(ops(with_layout(g)) == ops(g));
}

// An inverted-residual block on an h x h image: 1x1 expansion 8 -> 64 with bias and `act1`
// (Clip, SiLU or HardSwish), a k x k depthwise convolution with stride s and `act2`, a 1x1
// projection back to 8; `also` = 1 returns the expanded tensor too.
std::string block(int h, const std::string& act1, int k, int s, const std::string& act2,
                  bool also) {
  const std::string hs = std::to_string(h), ks = std::to_string(k), p = std::to_string(k / 2);
  const std::string os = std::to_string((h + 2 * (k / 2) - k) / s + 1);
  std::string text = R"(
<ir_version: 8, opset_import: ["" : 14]>
block (float[1, 8, )" +
                     hs + ", " + hs + R"(] x) => (float[1, 8, )" + os + ", " + os + "] y" +
                     (also ? ", float[1, 64, " + hs + ", " + hs + "] e" : "") + R"()
{
  w1 = Constant <value = float[64, 8, 1, 1] )" +
                     values(512, 11, -0.5, 0.5) + R"(> ()
  b1 = Constant <value = float[64] )" +
                     values(64, 12, -0.5, 0.5) + R"(> ()
  w2 = Constant <value = float[64, 1, )" +
                     ks + ", " + ks + "] " + values(64 * k * k, 13, -0.5, 0.5) + R"(> ()
  b2 = Constant <value = float[64] )" +
                     values(64, 14, -0.5, 0.5) + R"(> ()
  w3 = Constant <value = float[8, 64, 1, 1] )" +
                     values(512, 15, -0.5, 0.5) + R"(> ()
  lo = Constant <value = float {0}> ()
  hi = Constant <value = float {6}> ()
  c1 = Conv (x, w1, b1)
)";
  if (act1 == "Clip") text += "  e = Clip (c1, lo, hi)\n";
  if (act1 == "SiLU") text += "  g1 = Sigmoid (c1)\n  e = Mul (c1, g1)\n";
  if (act1 == "HardSwish") text += "  e = HardSwish (c1)\n";
  text += "  c2 = Conv <group = 64, pads = [" + p + ", " + p + ", " + p + ", " + p +
          "], strides = [" + std::to_string(s) + ", " + std::to_string(s) + "]> (e, w2, b2)\n";
  if (act2 == "Relu") text += "  d = Relu (c2)\n";
  if (act2 == "SiLU") text += "  g2 = Sigmoid (c2)\n  d = Mul (c2, g2)\n";
  text += "  y = Conv (d, w3)\n}\n";
  return text;
}

ir::Graph with_fusion(const ir::Graph& g) {
  ir::Graph f = with_layout(g);
  passes::fuse_expand_depthwise(f);
  require_verified(f);
  return f;
}

TEST_CASE(
    "fuse-expand-depthwise: an inverted-residual block's expansion feeds its depthwise "
    "convolution row by row",
    "[passes][layout]") {
  // 64 x 64 x 64 floats expanded: 1 MiB, the pass's threshold.
  const ir::Graph g = canonical(block(64, "Clip", 3, 1, "Relu", false));
  const ir::Graph f = with_fusion(g);
  CHECK(ops(f) ==
        Ops{"Transpose", "com.parallax.ExpandDepthwiseNhwc", "com.parallax.ConvNhwc", "Transpose"});
  CHECK(has_attr(f, "ExpandDepthwiseNhwc", "expand_activation"));
  check_same_outputs(g, f);
  // SiLU on both sides, a 5x5 stride-2 depthwise convolution.
  const ir::Graph g2 = canonical(block(72, "SiLU", 5, 2, "SiLU", false));
  const ir::Graph f2 = with_fusion(g2);
  CHECK(ops(f2) ==
        Ops{"Transpose", "com.parallax.ExpandDepthwiseNhwc", "com.parallax.ConvNhwc", "Transpose"});
  check_same_outputs(g2, f2);
}

TEST_CASE("fuse-expand-depthwise: near misses stay two convolutions", "[passes][layout]") {
  const Ops unfused = {"Transpose", "com.parallax.ConvNhwc", "com.parallax.ConvNhwc",
                       "com.parallax.ConvNhwc", "Transpose"};
  // A 256 KiB expanded tensor stays in cache anyway.
  CHECK(ops(with_fusion(canonical(block(32, "Clip", 3, 1, "Relu", false)))) == unfused);
  // HardSwish is not applied in sgemm's tile.
  CHECK(ops(with_fusion(canonical(block(64, "HardSwish", 3, 1, "Relu", false)))) == unfused);
  // The expanded tensor is also a graph output.
  const ir::Graph g = canonical(block(64, "Clip", 3, 1, "Relu", true));
  const ir::Graph f = with_fusion(g);
  CHECK(count_op(f, "com.parallax.ExpandDepthwiseNhwc") == 0);
  check_same_outputs(g, f);
}

// A ResNet stem: 7x7 stride-2 convolution of the RGB image with Relu, 3x3 stride-2 max pool
// (ceil_mode as given), a 1x1 convolution; `also` returns the convolution's output too.
std::string stem(int ceil_mode, bool also) {
  return R"(
<ir_version: 8, opset_import: ["" : 14]>
stem (float[1, 3, 30, 30] x) => (float[1, 4, 8, 8] y)" +
         std::string(also ? ", float[1, 8, 15, 15] r" : "") + R"()
{
  w1 = Constant <value = float[8, 3, 7, 7] )" +
         values(1176, 21, -0.2, 0.2) + R"(> ()
  b1 = Constant <value = float[8] )" +
         values(8, 22, -0.5, 0.5) + R"(> ()
  w2 = Constant <value = float[4, 8, 1, 1] )" +
         values(32, 23, -0.5, 0.5) + R"(> ()
  c = Conv <pads = [3, 3, 3, 3], strides = [2, 2]> (x, w1, b1)
  r = Relu (c)
  p = MaxPool <kernel_shape = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1], ceil_mode = )" +
         std::to_string(ceil_mode) + R"(> (r)
  y = Conv (p, w2)
}
)";
}

TEST_CASE("fuse-conv-maxpool: the stem's convolution and max pool become one node",
          "[passes][layout]") {
  for (int ceil_mode = 0; ceil_mode <= 1; ++ceil_mode) {
    const ir::Graph g = canonical(stem(ceil_mode, false));
    ir::Graph f = with_layout(g);
    CHECK(passes::fuse_conv_maxpool(f));
    require_verified(f);
    CHECK(ops(f) == Ops{"com.parallax.InputConvMaxPoolNhwc", "com.parallax.ConvNhwc", "Transpose"});
    CHECK(has_attr(f, "InputConvMaxPoolNhwc", "pool_ceil_mode"));
    check_same_outputs(g, f);
  }
  // The convolution's output is also returned: it must be stored, so nothing fuses.
  const ir::Graph g = canonical(stem(0, true));
  ir::Graph f = with_layout(g);
  CHECK_FALSE(passes::fuse_conv_maxpool(f));
}

// Runs the whole default pipeline on *g, filling *plan (branches, schedule, memory).
void compile_planned(ir::Graph* g, ir::Plan* plan) {
  const passes::CompileOptions options;
  passes::PassContext ctx{*g, *plan, options};
  rt::Status s = passes::run_pipeline(ctx, passes::PipelineOptions{});
  INFO(s.message());
  REQUIRE(s.is_ok());
}

// How many in-place links lead back from v (each sharing the previous value's offset).
int in_place_links(const ir::Plan& plan, ir::ValueId v) {
  int links = 0;
  for (; plan.memory.in_place_of[v] >= 0; v = plan.memory.in_place_of[v], ++links)
    CHECK(plan.memory.offset[v] == plan.memory.offset[plan.memory.in_place_of[v]]);
  return links;
}

// A SqueezeNet-like fire module with three expansions (1x1, 3x3, 5x5) concatenated in an order
// other than the region's, then a 1x1 convolution. `out`: the 1x1 expansion is also returned;
// `pool`: the 5x5 expansion is a max pool instead.
std::string fire(bool out, bool pool) {
  std::string text = R"(
<ir_version: 8, opset_import: ["" : 14]>
fire (float[1, 8, 12, 12] x) => (float[1, 4, 12, 12] y)" +
                     std::string(out ? ", float[1, 6, 12, 12] ra" : "") + R"()
{
  ws = Constant <value = float[8, 8, 1, 1] )" +
                     values(64, 31, -0.5, 0.5) + R"(> ()
  w1 = Constant <value = float[6, 8, 1, 1] )" +
                     values(48, 32, -0.5, 0.5) + R"(> ()
  b1 = Constant <value = float[6] )" +
                     values(6, 33, -0.5, 0.5) + R"(> ()
  w3 = Constant <value = float[10, 8, 3, 3] )" +
                     values(720, 34, -0.3, 0.3) + R"(> ()
  b3 = Constant <value = float[10] )" +
                     values(10, 35, -0.5, 0.5) + R"(> ()
  w5 = Constant <value = float[8, 8, 5, 5] )" +
                     values(1600, 36, -0.2, 0.2) + R"(> ()
  wy = Constant <value = float[4, 24, 1, 1] )" +
                     values(96, 37, -0.5, 0.5) + R"(> ()
  q = Conv (x, ws)
  s = Relu (q)
  a = Conv (s, w1, b1)
  ra = Relu (a)
  c = Conv <pads = [1, 1, 1, 1]> (s, w3, b3)
  rc = Relu (c)
)";
  text += pool ? "  d = MaxPool <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (s)\n"
               : "  e = Conv <pads = [2, 2, 2, 2]> (s, w5)\n  d = HardSwish (e)\n";
  text += "  cat = Concat <axis = 1> (rc, d, ra)\n  y = Conv (cat, wy)\n}\n";
  return text;
}

TEST_CASE("concat-in-place: a fire module's convolutions write the Concat's channels, no Concat",
          "[passes][layout]") {
  const ir::Graph g = canonical(fire(false, false));
  ir::Graph f = with_layout(g);
  CHECK(passes::concat_in_place(f));
  require_verified(f);
  CHECK(count_op(f, "Concat") == 0);
  CHECK(count_op(f, "com.parallax.ConvNhwc") == 5);
  CHECK(has_attr(f, "ConvNhwc", "output_channel_offset"));
  // Without a plan every link copies `into` before writing its channels.
  check_same_outputs(g, f);

  // The whole pipeline: the chain is one buffer in the arena (each link in place of the one
  // before), and the outputs are the same.
  ir::Graph c = g;
  ir::Plan plan;
  compile_planned(&c, &plan);
  const ir::ValueId cat = find_value(c, "cat");
  REQUIRE(cat >= 0);
  REQUIRE(c.values[cat].producer >= 0);
  CHECK(c.nodes[c.values[cat].producer].op_type == "ConvNhwc");
  CHECK(in_place_links(plan, cat) == 2);
  check_same_outputs(g, c, &plan);
}

TEST_CASE("concat-in-place: a Concat with any other input, or an input also returned, stays",
          "[passes][layout]") {
  for (const bool out : {true, false}) {
    const ir::Graph g = canonical(fire(out, !out));
    ir::Graph f = with_layout(g);
    CHECK_FALSE(passes::concat_in_place(f));
    CHECK(count_op(f, "Concat") == 1);
  }
}

// A DenseNet block of three layers (BatchNorm, Relu, convolution: 3x3, 3x3, 1x1, five channels
// each) over a six-channel input, then a 1x1 convolution of the whole block. `order`: the third
// layer's Concat lists its inputs (x0, f2, f1) instead; `out`: f1 is also returned.
std::string dense_block(bool order, bool out) {
  std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
dense (float[1, 4, 8, 8] x) => (float[1, 3, 8, 8] y)" +
                     std::string(out ? ", float[1, 5, 8, 8] f1" : "") + R"()
{
  w0 = Constant <value = float[6, 4, 3, 3] )" +
                     values(216, 51, -0.4, 0.4) + R"(> ()
  w1 = Constant <value = float[5, 6, 3, 3] )" +
                     values(270, 52, -0.3, 0.3) + R"(> ()
  w2 = Constant <value = float[5, 11, 3, 3] )" +
                     values(495, 53, -0.3, 0.3) + R"(> ()
  w3 = Constant <value = float[5, 16, 1, 1] )" +
                     values(80, 54, -0.4, 0.4) + R"(> ()
  wy = Constant <value = float[3, 21, 1, 1] )" +
                     values(63, 55, -0.4, 0.4) + R"(> ()
)";
  const auto bn = [&](int k, int c) {
    const std::string n = std::to_string(k), cs = std::to_string(c);
    return "  s" + n + " = Constant <value = float[" + cs + "] " + values(c, 60 + k, 0.5, 1.5) +
           "> ()\n  b" + n + " = Constant <value = float[" + cs + "] " +
           values(c, 70 + k, -0.5, 0.5) + "> ()\n  m" + n + " = Constant <value = float[" + cs +
           "] " + values(c, 80 + k, -0.5, 0.5) + "> ()\n  v" + n + " = Constant <value = float[" +
           cs + "] " + values(c, 90 + k, 0.5, 2.0) + "> ()\n  n" + n + " = BatchNormalization (" +
           (k == 1 ? std::string("x0") : "c" + n) + ", s" + n + ", b" + n + ", m" + n + ", v" + n +
           ")\n  r" + n + " = Relu (n" + n + ")\n";
  };
  text += "  x0 = Conv <pads = [1, 1, 1, 1]> (x, w0)\n";
  text += bn(1, 6) + "  f1 = Conv <pads = [1, 1, 1, 1]> (r1, w1)\n";
  text += "  c2 = Concat <axis = 1> (x0, f1)\n";
  text += bn(2, 11) + "  f2 = Conv <pads = [1, 1, 1, 1]> (r2, w2)\n";
  text +=
      order ? "  c3 = Concat <axis = 1> (x0, f2, f1)\n" : "  c3 = Concat <axis = 1> (x0, f1, f2)\n";
  text += bn(3, 16) + "  f3 = Conv (r3, w3)\n";
  text += "  c4 = Concat <axis = 1> (x0, f1, f2, f3)\n  y = Conv (c4, wy)\n}\n";
  return text;
}

TEST_CASE("dense-concat: a dense block's layers write one buffer and read its first channels",
          "[passes][layout]") {
  const ir::Graph g = canonical(dense_block(false, false));
  ir::Graph f = with_layout(g);
  CHECK(passes::dense_concat(f));
  require_verified(f);
  CHECK(count_op(f, "Concat") == 0);
  CHECK(count_op(f, "Pad") == 1);
  CHECK(has_attr(f, "ConvNhwc", "input_channels"));
  check_same_outputs(g, f);

  // The whole pipeline: the block is one buffer, Pad's output and each layer in place.
  ir::Graph c = g;
  ir::Plan plan;
  compile_planned(&c, &plan);
  const ir::ValueId c4 = find_value(c, "c4");
  REQUIRE(c4 >= 0);
  CHECK(in_place_links(plan, c4) == 3);
  check_same_outputs(g, c, &plan);
}

TEST_CASE("dense-concat: Concats that are not prefixes of one another, or a returned layer, stay",
          "[passes][layout]") {
  for (const bool order : {true, false}) {
    const ir::Graph g = canonical(dense_block(order, !order));
    ir::Graph f = with_layout(g);
    CHECK_FALSE(passes::dense_concat(f));
  }
}

}  // namespace
}  // namespace parallax::test
