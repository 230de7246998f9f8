// Unit tests of ConvNhwc writing a channel range of a wider output (output_channels,
// output_channel_offset and the `into` input 3; made by passes/concat_in_place.h) and reading
// the first channels of a wider input (input_channels; passes/dense_concat.h). On randomized
// shapes taking every path of ConvNhwc (a 1x1 product, Winograd, im2col / XNNPACK with strides
// and 5x5 windows, depthwise, the NCHW-image convolution) and activations applied in the kernel
// and after it (HardSwish, LeakyRelu: the staged path), on 1, 2 and 3 threads: the range must
// hold exactly the plain ConvNhwc's output over the input's first channels, and every other
// channel `into`'s. Bad attributes and shapes give errors naming them.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;

namespace {

void add_activation(int act, std::vector<rt::Attribute>* attrs) {
  static const char* kNames[] = {"", "Relu", "Clip", "SiLU", "HardSwish", "LeakyRelu"};
  if (act == 0) return;
  attrs->push_back(attr_string("activation", kNames[act]));
  if (act == 2) attrs->push_back(attr_floats("activation_params", {-0.5f, 0.75f}));
  if (act == 5) attrs->push_back(attr_floats("activation_params", {0.1f}));
}

}  // namespace

TEST_CASE("ConvNhwc reads a wider input's first channels and writes a wider output's range",
          "[conv_concat]") {
  if (rt::find_kernel("com.parallax", "ConvNhwc", 1) < 0) return;  // a build without XNNPACK
  for (int iter = 0; iter < 48; ++iter) {
    const int kind = iter % 6, act = (iter / 6) % 6;
    const int64_t n = pick(1, 2), h = pick(8, 20), w = pick(8, 20);
    int64_t cin = pick(1, 24), m = pick(1, 40), k = 1, stride = 1, pad = 0, group = 1;
    if (kind == 1) {  // Winograd: 3x3 stride 1, enough channels and tiles
      k = 3;
      pad = 1;
      cin = pick(8, 24);
      m = pick(8, 40);
    } else if (kind == 2) {
      k = 3;
      stride = 2;
      pad = pick(0, 1);
    } else if (kind == 3) {
      k = 5;
      pad = 2;
    } else if (kind == 4) {  // depthwise
      k = 3;
      pad = 1;
      stride = pick(1, 2);
      m = cin;
      group = cin;
    } else if (kind == 5) {  // the image convolution reads NCHW
      k = 3;
      pad = 1;
      stride = 2;
      cin = 3;
    }
    const int64_t oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
    const int64_t before = pick(0, 9), after = pick(0, 9), total = before + m + after;
    const int64_t extra = kind == 5 ? 0 : pick(0, 9);  // X's channels past those read
    INFO("iteration " << iter << " kind " << kind << " activation " << act << " n " << n << " " << h
                      << "x" << w << " cin " << cin << " m " << m << " channels " << total
                      << " offset " << before << " input channels past " << extra);
    std::vector<rt::Attribute> attrs = {
        attr_ints("kernel_shape", {k, k}), attr_ints("strides", {stride, stride}),
        attr_ints("pads", {pad, pad, pad, pad}), attr_int("group", group)};
    if (kind == 5) attrs.push_back(attr_int("nchw_input", 1));
    add_activation(act, &attrs);
    const std::vector<int64_t> xs =
        kind == 5 ? std::vector<int64_t>{n, cin, h, w} : std::vector<int64_t>{n, h, w, cin};
    const OwnedTensor x = make_tensor<float>(xs, random_values(n * h * w * cin));
    // The same pixels with `extra` more channels after each.
    std::vector<float> wide_x(static_cast<size_t>(n * h * w * (cin + extra)));
    {
      const std::vector<float> xv = x.values<float>(), more = random_values(n * h * w * extra);
      for (int64_t p = 0; p < n * h * w; ++p) {
        std::copy(xv.begin() + p * cin, xv.begin() + (p + 1) * cin,
                  wide_x.begin() + p * (cin + extra));
        std::copy(more.begin() + p * extra, more.begin() + (p + 1) * extra,
                  wide_x.begin() + p * (cin + extra) + cin);
      }
    }
    const OwnedTensor xw = kind == 5 ? x : make_tensor<float>({n, h, w, cin + extra}, wide_x);
    const OwnedTensor wt =
        make_tensor<float>({m, k, k, cin / group}, random_values(m * k * k * (cin / group), 0.5f));
    const OwnedTensor b = make_tensor<float>({m}, random_values(m));
    const OwnedTensor into =
        make_tensor<float>({n, oh, ow, total}, random_values(n * oh * ow * total, 4.0f));
    const OpResult plain = run_threads("ConvNhwc", 1, {&x, &wt, &b}, attrs, 1, "com.parallax", 1);
    INFO(plain.status.message());
    REQUIRE(plain.status.is_ok());
    const std::vector<float> conv = plain.outputs[0].values<float>();
    const int64_t pixels = n * oh * ow;
    REQUIRE(conv.size() == static_cast<size_t>(pixels * m));
    std::vector<float> want = into.values<float>();
    for (int64_t p = 0; p < pixels; ++p)
      std::memcpy(&want[p * total + before], &conv[p * m], m * sizeof(float));

    std::vector<rt::Attribute> wide = attrs;
    wide.push_back(attr_int("output_channels", total));
    wide.push_back(attr_int("output_channel_offset", before));
    if (kind != 5) wide.push_back(attr_int("input_channels", cin));
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("threads " << threads);
      const OpResult got =
          run_threads("ConvNhwc", 1, {&xw, &wt, &b, &into}, wide, threads, "com.parallax", 1, 3);
      INFO(got.status.message());
      REQUIRE(got.status.is_ok());
      REQUIRE(got.outputs[0].shape == std::vector<int64_t>{n, oh, ow, total});
      const std::vector<float> y = got.outputs[0].values<float>();
      CHECK(std::memcmp(y.data(), want.data(), want.size() * sizeof(float)) == 0);
      // Without `into` the range is the same; the other channels are whatever was there.
      const OpResult alone =
          run_threads("ConvNhwc", 1, {&xw, &wt, &b}, wide, threads, "com.parallax", 1);
      REQUIRE(alone.status.is_ok());
      const std::vector<float> ya = alone.outputs[0].values<float>();
      bool same = true;
      for (int64_t p = 0; p < pixels; ++p)
        same = same && std::memcmp(&ya[p * total + before], &conv[p * m], m * sizeof(float)) == 0;
      CHECK(same);
    }
  }
}

TEST_CASE("ConvNhwc refuses a channel range or into that does not fit, naming it",
          "[conv_concat]") {
  if (rt::find_kernel("com.parallax", "ConvNhwc", 1) < 0) return;
  const OwnedTensor x = make_tensor<float>({1, 6, 6, 4}, random_values(144));
  const OwnedTensor wt = make_tensor<float>({5, 1, 1, 4}, random_values(20));
  const auto run = [&](int64_t total, int64_t offset, const OwnedTensor* into) {
    std::vector<rt::Attribute> attrs = {attr_ints("kernel_shape", {1, 1}),
                                        attr_int("output_channels", total),
                                        attr_int("output_channel_offset", offset)};
    return run_threads("ConvNhwc", 1, {&x, &wt, nullptr, into}, attrs, 1, "com.parallax", 1, 3);
  };
  const OwnedTensor fits = make_tensor<float>({1, 6, 6, 8}, random_values(288));
  CHECK(run(8, 3, &fits).status.is_ok());
  for (const auto& [total, offset] : {std::pair<int64_t, int64_t>{8, 4}, {4, 0}, {8, -1}}) {
    const OpResult r = run(total, offset, &fits);
    CHECK_FALSE(r.status.is_ok());
    CHECK(r.status.message().find("output_channel_offset") != std::string::npos);
  }
  const OwnedTensor narrow = make_tensor<float>({1, 6, 6, 7}, random_values(252));
  const OpResult r1 = run(8, 0, &narrow);
  CHECK_FALSE(r1.status.is_ok());
  CHECK(r1.status.message().find("into") != std::string::npos);
  const OwnedTensor small = make_tensor<float>({1, 5, 6, 8}, random_values(240));
  const OpResult r2 = run(8, 0, &small);
  CHECK_FALSE(r2.status.is_ok());
  CHECK(r2.status.message().find("into") != std::string::npos);
  // Reading more channels than X has, or a prefix of the NCHW image.
  for (const bool nchw : {false, true}) {
    std::vector<rt::Attribute> attrs = {attr_ints("kernel_shape", {1, 1}),
                                        attr_int("input_channels", nchw ? 2 : 5)};
    if (nchw) attrs.push_back(attr_int("nchw_input", 1));
    const OpResult r = run_threads("ConvNhwc", 1, {&x, &wt}, attrs, 1, "com.parallax", 1);
    CHECK_FALSE(r.status.is_ok());
    CHECK(r.status.message().find("input_channels") != std::string::npos);
  }
}
