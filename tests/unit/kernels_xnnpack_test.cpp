// Unit tests of the 'xnnpack' kernel family: every XNNPACK-backed kernel against its reference
// kernel, the oracle, on randomized shapes and attributes (fixed seeds). Weights go in as
// constants, as the compiler emits them, so prepare packs them; the NHWC operators are compared
// with the NCHW reference through explicit transposes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel_harness.h"

namespace parallax::rt::kernels {
Status Add(KernelContext&);
Status Sub(KernelContext&);
Status Mul(KernelContext&);
Status Div(KernelContext&);
Status Min(KernelContext&);
Status Max(KernelContext&);
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
Status Gemm(KernelContext&);
Status MatMul(KernelContext&);
Status FusedGemm(KernelContext&);
Status FusedMatMul(KernelContext&);
Status FusedConv(KernelContext&);
Status Softmax(KernelContext&);
Status MaxPool(KernelContext&);
Status AveragePool(KernelContext&);
Status GlobalAveragePool(KernelContext&);
Status Concat(KernelContext&);
Status XnnAdd(KernelContext&);
Status XnnSoftmax(KernelContext&);
Status XnnFusedMatMul(KernelContext&);
}  // namespace parallax::rt::kernels

using namespace parallax::test;
namespace rt = parallax::rt;
namespace k = parallax::rt::kernels;

namespace {

// The table index of the kernel whose run function is `fn`.
int index_of(rt::KernelFn fn) {
  const auto& t = rt::kernel_table();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].run == fn) return static_cast<int>(i);
  return -1;
}

// The kernel find_kernel picks, i.e. the XNNPACK one where the family has it.
int chosen(const char* domain, const char* op, int opset) {
  return rt::find_kernel(domain, op, opset);
}

struct Arg {
  const OwnedTensor* t;  // nullptr = omitted
  bool constant;
};

// Runs `kernel` as a one-step program; constant arguments go into the weights blob, so the
// kernel's prepare sees them.
// `threads` > 1 gives the step a thread pool (XNNPACK splits its work across it).
OpResult run_kernel(int kernel, const std::string& op, const std::string& domain, int opset,
                    const std::vector<Arg>& args, std::vector<rt::Attribute> attrs,
                    int n_outputs = 1, int threads = 1) {
  OpResult r;
  rt::Program p;
  p.graphs.resize(1);
  rt::GraphProgram& g = p.graphs[0];
  rt::Step step;
  step.kernel = kernel;
  step.name = "test_" + op;
  step.op_type = op;
  step.domain = domain;
  step.opset = opset;
  step.attributes = std::move(attrs);
  std::vector<const OwnedTensor*> bound;
  for (const Arg& a : args) {
    if (a.t == nullptr) {
      step.inputs.push_back(-1);
      continue;
    }
    rt::TensorInfo info;
    info.name = "in" + std::to_string(step.inputs.size());
    info.dtype = a.t->dtype;
    info.shape = a.t->shape;
    info.rank_known = true;
    if (a.constant) {
      info.kind = rt::TensorKind::kConstant;
      info.weight_offset = (p.weights.size() + 63) / 64 * 64;
      p.weights.resize(info.weight_offset + a.t->bytes.size());
      std::memcpy(p.weights.data() + info.weight_offset, a.t->bytes.data(), a.t->bytes.size());
    } else {
      info.kind = rt::TensorKind::kInput;
      g.inputs.push_back(static_cast<int32_t>(p.tensors.size()));
      bound.push_back(a.t);
    }
    step.inputs.push_back(static_cast<int32_t>(p.tensors.size()));
    p.tensors.push_back(info);
  }
  for (int o = 0; o < n_outputs; ++o) {
    rt::TensorInfo info;
    info.name = "out" + std::to_string(o);
    step.outputs.push_back(static_cast<int32_t>(p.tensors.size()));
    step.output_wanted.push_back(true);
    g.outputs.push_back(static_cast<int32_t>(p.tensors.size()));
    p.tensors.push_back(info);
  }
  g.steps.push_back(step);
  std::unique_ptr<rt::Executor> ex;
  rt::ExecutorOptions options;
  options.threads = threads;
  options.pin_threads = false;
  r.status = rt::Executor::create(&p, options, &ex);
  for (size_t i = 0; r.status.is_ok() && i < bound.size(); ++i)
    r.status = ex->set_input(static_cast<int>(i), bound[i]->view());
  if (r.status.is_ok()) r.status = ex->run();
  if (!r.status.is_ok()) return r;
  for (int o = 0; o < n_outputs; ++o) {
    const rt::Tensor& t = ex->output(o);
    OwnedTensor ot;
    ot.dtype = t.dtype;
    ot.shape.assign(t.shape.dims, t.shape.dims + t.shape.rank);
    ot.bytes.resize(t.nbytes() + 1);
    if (t.nbytes()) std::memcpy(ot.bytes.data(), t.data, t.nbytes());
    r.outputs.push_back(std::move(ot));
  }
  return r;
}

std::mt19937& rng() {
  static std::mt19937 g(20240229);
  return g;
}
int64_t pick(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng());
}
bool coin() { return pick(0, 1) == 1; }

OwnedTensor random_tensor(std::vector<int64_t> shape, float lo = -1.0f, float hi = 1.0f) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng());
  return make_tensor<float>(std::move(shape), v);
}


// Same shape, and max |got - want| <= 1e-4 * max(1, max |want|): tolerance relative to scale.
void require_close(const OpResult& got, const OpResult& want, const std::string& what) {
  INFO(what);
  INFO("reference status: " << want.status.message());
  REQUIRE(want.status.is_ok());
  INFO("xnnpack status: " << got.status.message());
  REQUIRE(got.status.is_ok());
  REQUIRE(got.outputs.size() == want.outputs.size());
  for (size_t o = 0; o < got.outputs.size(); ++o) {
    REQUIRE(got.outputs[o].shape == want.outputs[o].shape);
    const std::vector<float> a = got.outputs[o].values<float>();
    const std::vector<float> b = want.outputs[o].values<float>();
    float scale = 1.0f, err = 0.0f;
    for (size_t i = 0; i < a.size(); ++i) {
      scale = std::max(scale, std::fabs(b[i]));
      err = std::max(err, std::fabs(a[i] - b[i]));
    }
    CHECK(err <= 1e-4f * scale);
  }
}

rt::Attribute activation_attr(int which, std::vector<float>* params) {
  static const char* kNames[] = {"Relu", "Clip", "Sigmoid",     "HardSwish", "LeakyRelu",
                                 "SiLU", "Tanh", "HardSigmoid", "Swish"};
  const std::string name = kNames[which];
  params->clear();
  if (name == "Clip") *params = {-0.25f, 0.5f};
  if (name == "Swish") *params = {1.702f};
  if (name == "LeakyRelu") *params = {0.1f};
  if (name == "HardSigmoid") *params = {0.2f, 0.5f};
  return attr_string("activation", name);
}

}  // namespace

TEST_CASE("XNNPACK kernels come first in the kernel table", "[xnnpack]") {
  CHECK(chosen("", "Add", 14) == index_of(&k::XnnAdd));
  CHECK(chosen("", "Softmax", 13) == index_of(&k::XnnSoftmax));
  CHECK(chosen("com.parallax", "FusedMatMul", 1) == index_of(&k::XnnFusedMatMul));
  CHECK(index_of(&k::Add) > index_of(&k::XnnAdd));
}

TEST_CASE("ConvNhwc matches Conv / FusedConv (groups, depthwise, strides, pads, dilations)",
          "[xnnpack]") {
  const int conv = index_of(&k::FusedConv);
  const int nhwc = chosen("com.parallax", "ConvNhwc", 1);
  REQUIRE(nhwc >= 0);
  for (int iter = 0; iter < 60; ++iter) {
    const int64_t n = pick(1, 2), h = pick(1, 12), w = pick(1, 12);
    int64_t c = pick(1, 12), group = 1, m = pick(1, 12);
    const int kind = static_cast<int>(pick(0, 2));  // 0 plain, 1 depthwise, 2 grouped
    if (kind == 1) {
      group = c;
      m = c * pick(1, 2);
    } else if (kind == 2) {
      group = pick(2, 3);
      c = group * pick(1, 4);
      m = group * pick(1, 4);
    }
    const int64_t kh = std::min<int64_t>(pick(1, 5), h + 2),
                  kw = std::min<int64_t>(pick(1, 5), w + 2);
    const int64_t sh = pick(1, 3), sw = pick(1, 3), dh = pick(1, 2), dw = pick(1, 2);
    std::vector<rt::Attribute> attrs = {attr_ints("kernel_shape", {kh, kw}),
                                        attr_ints("strides", {sh, sw}),
                                        attr_ints("dilations", {dh, dw}), attr_int("group", group)};
    const int pad_kind = static_cast<int>(pick(0, 3));
    if (pad_kind == 0) {
      // Explicit pads large enough that the dilated window fits.
      const int64_t need_h = std::max<int64_t>(0, (kh - 1) * dh + 1 - h);
      const int64_t need_w = std::max<int64_t>(0, (kw - 1) * dw + 1 - w);
      const int64_t pt = pick(0, kh - 1) + need_h, pl = pick(0, kw - 1) + need_w;
      attrs.push_back(attr_ints("pads", {pt, pl, pick(0, kh - 1), pick(0, kw - 1)}));
    } else {
      static const char* kAuto[] = {"SAME_UPPER", "SAME_LOWER", "SAME_UPPER"};
      attrs.push_back(attr_string("auto_pad", kAuto[pad_kind - 1]));
    }
    const bool bias = coin();
    if (coin()) {
      std::vector<float> params;
      attrs.push_back(activation_attr(static_cast<int>(pick(0, 8)), &params));
      if (!params.empty()) attrs.push_back(attr_floats("activation_params", params));
    }
    const OwnedTensor x = random_tensor({n, c, h, w});
    const OwnedTensor wt = random_tensor({m, c / group, kh, kw});
    const OwnedTensor b = random_tensor({m});
    const OwnedTensor xn = permute4(x, kToNhwc), wn = permute4(wt, kToNhwc);
    const OpResult want =
        run_kernel(conv, "FusedConv", "com.parallax", 1,
                   {{&x, false}, {&wt, true}, {bias ? &b : nullptr, true}}, attrs);
    OpResult got = run_kernel(nhwc, "ConvNhwc", "com.parallax", 1,
                              {{&xn, false}, {&wn, true}, {bias ? &b : nullptr, true}}, attrs, 1,
                              1 + iter % 2);
    if (got.status.is_ok()) got.outputs[0] = permute4(got.outputs[0], kToNchw);
    require_close(got, want, "conv iteration " + std::to_string(iter));
  }
}

TEST_CASE("MaxPoolNhwc / AveragePoolNhwc match MaxPool / AveragePool, ceil_mode included",
          "[xnnpack]") {
  for (int iter = 0; iter < 60; ++iter) {
    const bool max = iter % 2 == 0;
    const int64_t n = pick(1, 2), c = pick(1, 9), h = pick(2, 11), w = pick(2, 11);
    const int64_t kh = pick(1, std::min<int64_t>(h, 4)),
                  kw = pick(kh == 1 ? 2 : 1, std::min<int64_t>(w, 4));
    const int64_t dh = max ? pick(1, 2) : 1, dw = dh;  // XNNPACK refuses unequal dilations
    if ((kh - 1) * dh + 1 > h || (kw - 1) * dw + 1 > w) continue;
    std::vector<rt::Attribute> attrs = {
        attr_ints("kernel_shape", {kh, kw}), attr_ints("strides", {pick(1, 3), pick(1, 3)}),
        attr_ints("pads", {pick(0, kh - 1), pick(0, kw - 1), pick(0, kh - 1), pick(0, kw - 1)}),
        attr_int("ceil_mode", dh == 1 ? pick(0, 1) : 0)};
    if (max) attrs.push_back(attr_ints("dilations", {dh, dw}));
    const OwnedTensor x = random_tensor({n, c, h, w});
    const OwnedTensor xn = permute4(x, kToNhwc);
    const char* op = max ? "MaxPool" : "AveragePool";
    const OpResult want =
        run_kernel(index_of(max ? &k::MaxPool : &k::AveragePool), op, "", 12, {{&x, false}}, attrs);
    OpResult got = run_kernel(chosen("com.parallax", max ? "MaxPoolNhwc" : "AveragePoolNhwc", 1),
                              std::string(op) + "Nhwc", "com.parallax", 1, {{&xn, false}}, attrs);
    if (got.status.is_ok()) got.outputs[0] = permute4(got.outputs[0], kToNchw);
    std::string what = std::string(op) + " x " + std::to_string(h) + "x" + std::to_string(w) + ":";
    for (const rt::Attribute& a : attrs) {
      what += " " + a.name + "=";
      for (int64_t v : a.ints) what += std::to_string(v) + ",";
      if (a.ints.empty()) what += std::to_string(a.i);
    }
    require_close(got, want, what);
  }
}

TEST_CASE("GlobalAveragePoolNhwc matches GlobalAveragePool", "[xnnpack]") {
  for (int iter = 0; iter < 10; ++iter) {
    const OwnedTensor x = random_tensor({pick(1, 2), pick(1, 40), pick(1, 9), pick(1, 9)});
    const OwnedTensor xn = permute4(x, kToNhwc);
    const OpResult want =
        run_kernel(index_of(&k::GlobalAveragePool), "GlobalAveragePool", "", 1, {{&x, false}}, {});
    OpResult got = run_kernel(chosen("com.parallax", "GlobalAveragePoolNhwc", 1),
                              "GlobalAveragePoolNhwc", "com.parallax", 1, {{&xn, false}}, {});
    if (got.status.is_ok()) got.outputs[0] = permute4(got.outputs[0], kToNchw);
    require_close(got, want, "global average pool");
  }
}

TEST_CASE("Binary elementwise kernels match the reference under random broadcasting", "[xnnpack]") {
  struct Op {
    const char* name;
    rt::KernelFn reference;
  };
  const Op ops[] = {{"Add", &k::Add}, {"Sub", &k::Sub}, {"Mul", &k::Mul},
                    {"Div", &k::Div}, {"Min", &k::Min}, {"Max", &k::Max}};
  for (int iter = 0; iter < 120; ++iter) {
    const Op& op = ops[iter % 6];
    const int rank = static_cast<int>(pick(0, 5));
    std::vector<int64_t> a, b;
    for (int d = 0; d < rank; ++d) {
      const int64_t dim = pick(1, 7);
      const int how = static_cast<int>(pick(0, 3));  // same, a broadcasts, b broadcasts
      a.push_back(how == 1 ? 1 : dim);
      b.push_back(how == 2 ? 1 : dim);
    }
    // Sometimes b has fewer dimensions (numpy aligns trailing ones).
    if (!b.empty() && coin())
      b.erase(b.begin(), b.begin() + pick(0, static_cast<int64_t>(b.size())));
    if (coin()) std::swap(a, b);
    const OwnedTensor x = random_tensor(a), y = random_tensor(b, 0.5f, 2.0f);
    const bool constant = coin();  // a constant operand, as a folded bias would be
    const OpResult want =
        run_kernel(index_of(op.reference), op.name, "", 14, {{&x, false}, {&y, constant}}, {});
    const OpResult got = run_kernel(chosen("", op.name, 14), op.name, "", 14,
                                    {{&x, false}, {&y, constant}}, {}, 1, 1 + iter % 2);
    require_close(got, want, std::string(op.name) + " iteration " + std::to_string(iter));
  }
}

TEST_CASE("Unary elementwise kernels match the reference", "[xnnpack]") {
  struct Op {
    const char* name;
    rt::KernelFn reference;
    int opset;
    std::vector<rt::Attribute> attrs;
  };
  const std::vector<Op> ops = {
      {"Relu", &k::Relu, 14, {}},
      {"Clip", &k::Clip, 6, {attr_float("min", -0.3f), attr_float("max", 0.6f)}},
      {"Sigmoid", &k::Sigmoid, 13, {}},
      {"HardSwish", &k::HardSwish, 14, {}},
      {"LeakyRelu", &k::LeakyRelu, 16, {attr_float("alpha", 0.2f)}},
      {"Elu", &k::Elu, 6, {attr_float("alpha", 0.7f)}},
      {"Abs", &k::Abs, 13, {}},
      {"Neg", &k::Neg, 13, {}},
      {"Floor", &k::Floor, 13, {}},
      {"Ceil", &k::Ceil, 13, {}},
      {"Sqrt", &k::Sqrt, 13, {}},
      {"Round", &k::Round, 11, {}},
  };
  for (const Op& op : ops) {
    for (int iter = 0; iter < 4; ++iter) {
      std::vector<int64_t> shape;
      for (int64_t d = pick(0, 4); d > 0; --d) shape.push_back(pick(1, 40));
      const bool positive = std::string(op.name) == "Sqrt";
      OwnedTensor x = random_tensor(shape, positive ? 0.0f : -8.0f, 8.0f);
      if (std::string(op.name) == "Round" && x.numel() > 1) {
        // Halves exercise round-half-to-even.
        const float halves[] = {0.5f, 1.5f, -2.5f};
        for (int i = 0; i < 3 && i < x.numel(); ++i)
          std::memcpy(x.bytes.data() + i * sizeof(float), &halves[i], sizeof(float));
      }
      const OpResult want =
          run_kernel(index_of(op.reference), op.name, "", op.opset, {{&x, false}}, op.attrs);
      const OpResult got =
          run_kernel(chosen("", op.name, op.opset), op.name, "", op.opset, {{&x, false}}, op.attrs);
      require_close(got, want, op.name);
    }
  }
}

TEST_CASE("Clip with constant bound inputs uses XNNPACK; with run-time bounds it falls back",
          "[xnnpack]") {
  const OwnedTensor x = random_tensor({3, 17}, -2.0f, 2.0f);
  const OwnedTensor lo = make_tensor<float>({}, {-0.5f}), hi = make_tensor<float>({}, {1.25f});
  for (bool constant : {true, false}) {
    const std::vector<Arg> args = {{&x, false}, {&lo, constant}, {&hi, constant}};
    const OpResult want = run_kernel(index_of(&k::Clip), "Clip", "", 13, args, {});
    const OpResult got = run_kernel(chosen("", "Clip", 13), "Clip", "", 13, args, {});
    require_close(got, want, constant ? "constant bounds" : "run-time bounds");
  }
  const std::vector<Arg> only_max = {{&x, false}, {nullptr, true}, {&hi, true}};
  require_close(run_kernel(chosen("", "Clip", 13), "Clip", "", 13, only_max, {}),
                run_kernel(index_of(&k::Clip), "Clip", "", 13, only_max, {}), "max only");
}

TEST_CASE("Gemm / FusedGemm with constant weights match the reference", "[xnnpack]") {
  for (int iter = 0; iter < 40; ++iter) {
    const int64_t m = pick(1, 9), kk = pick(1, 40), n = pick(1, 30);
    const bool trans_b = coin(), fused = iter % 2 == 1;
    std::vector<rt::Attribute> attrs = {attr_int("transB", trans_b ? 1 : 0)};
    if (coin()) attrs.push_back(attr_float("alpha", 0.5f));
    if (coin()) attrs.push_back(attr_float("beta", 2.0f));
    if (fused) {
      std::vector<float> params;
      attrs.push_back(activation_attr(static_cast<int>(pick(0, 8)), &params));
      if (!params.empty()) attrs.push_back(attr_floats("activation_params", params));
    }
    const OwnedTensor a = random_tensor({m, kk});
    const OwnedTensor b =
        random_tensor(trans_b ? std::vector<int64_t>{n, kk} : std::vector<int64_t>{kk, n});
    const int c_kind = static_cast<int>(pick(0, 3));  // none, [N], [1, N], scalar
    const OwnedTensor c = random_tensor(c_kind == 1   ? std::vector<int64_t>{n}
                                        : c_kind == 2 ? std::vector<int64_t>{1, n}
                                                      : std::vector<int64_t>{1});
    const std::vector<Arg> args = {{&a, false}, {&b, true}, {c_kind ? &c : nullptr, true}};
    const char* op = fused ? "FusedGemm" : "Gemm";
    const char* domain = fused ? "com.parallax" : "";
    const int opset = fused ? 1 : 13;
    const OpResult want =
        run_kernel(index_of(fused ? &k::FusedGemm : &k::Gemm), op, domain, opset, args, attrs);
    const OpResult got =
        run_kernel(chosen(domain, op, opset), op, domain, opset, args, attrs, 1, 1 + iter % 2);
    require_close(got, want, std::string(op) + " iteration " + std::to_string(iter));
  }
}

TEST_CASE("MatMul / FusedMatMul with a constant 2-D B match the reference; a run-time B falls back",
          "[xnnpack]") {
  for (int iter = 0; iter < 40; ++iter) {
    std::vector<int64_t> ashape;
    for (int64_t d = pick(1, 4); d > 0; --d) ashape.push_back(pick(1, 6));
    const int64_t kk = ashape.back(), n = pick(1, 24);
    const bool fused = iter % 2 == 1, constant = iter % 5 != 4;
    std::vector<rt::Attribute> attrs;
    if (fused && coin()) {
      std::vector<float> params;
      attrs.push_back(activation_attr(static_cast<int>(pick(0, 8)), &params));
      if (!params.empty()) attrs.push_back(attr_floats("activation_params", params));
    }
    const OwnedTensor a = random_tensor(ashape), b = random_tensor({kk, n}),
                      bias = random_tensor({n});
    std::vector<Arg> args = {{&a, false}, {&b, constant}};
    if (fused) args.push_back({&bias, true});
    const char* op = fused ? "FusedMatMul" : "MatMul";
    const char* domain = fused ? "com.parallax" : "";
    const int opset = fused ? 1 : 13;
    const OpResult want =
        run_kernel(index_of(fused ? &k::FusedMatMul : &k::MatMul), op, domain, opset, args, attrs);
    const OpResult got = run_kernel(chosen(domain, op, opset), op, domain, opset, args, attrs);
    require_close(got, want, std::string(op) + " iteration " + std::to_string(iter));
  }
}

TEST_CASE("Softmax matches the reference along the last axis and in the 2-D coercion",
          "[xnnpack]") {
  for (int iter = 0; iter < 20; ++iter) {
    std::vector<int64_t> shape;
    for (int64_t d = pick(1, 4); d > 0; --d) shape.push_back(pick(1, 30));
    const int opset = iter % 2 ? 13 : 11;
    std::vector<rt::Attribute> attrs;
    const int64_t rank = static_cast<int64_t>(shape.size());
    if (coin() || rank == 1)
      attrs.push_back(attr_int("axis", opset >= 13 ? -1 : pick(-rank, rank - 1)));
    const OwnedTensor x = random_tensor(shape, -10.0f, 10.0f);
    const OpResult want =
        run_kernel(index_of(&k::Softmax), "Softmax", "", opset, {{&x, false}}, attrs);
    const OpResult got =
        run_kernel(chosen("", "Softmax", opset), "Softmax", "", opset, {{&x, false}}, attrs);
    require_close(got, want, "softmax iteration " + std::to_string(iter));
  }
  // A middle axis at opset 13 is not XNNPACK's; the reference answers.
  const OwnedTensor x = random_tensor({2, 3, 4});
  require_close(
      run_kernel(chosen("", "Softmax", 13), "Softmax", "", 13, {{&x, false}},
                 {attr_int("axis", 1)}),
      run_kernel(index_of(&k::Softmax), "Softmax", "", 13, {{&x, false}}, {attr_int("axis", 1)}),
      "middle axis");
}

TEST_CASE("MaxPoolNhwc refuses what XNNPACK gets wrong instead of computing it", "[xnnpack]") {
  const OwnedTensor x = random_tensor({1, 6, 5, 2});
  const OpResult r = run_kernel(
      chosen("com.parallax", "MaxPoolNhwc", 1), "MaxPoolNhwc", "com.parallax", 1, {{&x, false}},
      {attr_ints("kernel_shape", {2, 2}), attr_ints("dilations", {2, 1})});
  REQUIRE(r.status.code() == rt::StatusCode::kUnsupported);
  CHECK_THAT(r.status.message(), Catch::Contains("equal dilations"));
}

TEST_CASE("Concat split across threads matches the reference, NHWC channel joins included",
          "[xnnpack]") {
  for (int iter = 0; iter < 30; ++iter) {
    const int rank = static_cast<int>(pick(1, 4));
    std::vector<int64_t> base;
    for (int d = 0; d < rank; ++d) base.push_back(pick(1, 9));
    const int64_t axis = pick(-rank, rank - 1);
    const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
    std::vector<OwnedTensor> ins;
    for (int64_t k = pick(2, 5); k > 0; --k) {
      std::vector<int64_t> s = base;
      s[a] = pick(0, 6);  // an empty input too, now and then
      ins.push_back(random_tensor(s));
    }
    std::vector<Arg> args;
    for (const OwnedTensor& t : ins) args.push_back({&t, false});
    const std::vector<rt::Attribute> attrs = {attr_int("axis", axis)};
    const OpResult want = run_kernel(index_of(&k::Concat), "Concat", "", 13, args, attrs);
    const OpResult got = run_kernel(chosen("", "Concat", 13), "Concat", "", 13, args, attrs, 1, 2);
    require_close(got, want, "concat iteration " + std::to_string(iter));
  }
}

TEST_CASE("ChannelShuffleNhwc matches Reshape [g, C/g] -> Transpose -> Reshape", "[xnnpack]") {
  for (int iter = 0; iter < 10; ++iter) {
    const int64_t g = pick(2, 4), cg = pick(1, 9), c = g * cg;
    const OwnedTensor x = random_tensor({pick(1, 2), pick(1, 5), pick(1, 5), c});
    const std::vector<float> in = x.values<float>();
    std::vector<float> want(in.size());
    for (size_t p = 0; p < in.size() / static_cast<size_t>(c); ++p)
      for (int64_t i = 0; i < cg; ++i)
        for (int64_t j = 0; j < g; ++j) want[p * c + i * g + j] = in[p * c + j * cg + i];
    const OpResult got =
        run_kernel(chosen("com.parallax", "ChannelShuffleNhwc", 1), "ChannelShuffleNhwc",
                   "com.parallax", 1, {{&x, false}}, {attr_int("groups", g)}, 1, 1 + iter % 2);
    REQUIRE(got.status.is_ok());
    CHECK(got.outputs[0].shape == x.shape);
    CHECK(got.outputs[0].values<float>() == want);
  }
}
