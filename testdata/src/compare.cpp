#include <cmath>
#include <cstdio>
#include <vector>

#include "parallax/testdata/tensor_io.h"

namespace parallax::testdata {
namespace {

// Every element as a double; false for dtypes that have no numeric reading.
bool as_doubles(const HostTensor& t, std::vector<double>* out) {
  rt::Tensor v;
  if (!t.view(&v).is_ok()) return false;
  out->resize(static_cast<size_t>(t.numel()));
  rt::Status s = PARALLAX_DISPATCH(t.dtype, rt::kAllTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = v.data_as<T>();
    for (size_t i = 0; i < out->size(); ++i)
      (*out)[i] = static_cast<double>(static_cast<rt::compute_t<T>>(p[i]));
    return rt::Status::ok();
  });
  return s.is_ok();
}

}  // namespace

std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

Comparison compare(const HostTensor& actual, const HostTensor& expected, double rtol, double atol) {
  Comparison c;
  if (actual.dtype != expected.dtype) {
    c.problem = std::string("dtype ") + rt::dtype_name(actual.dtype) + ", expected " +
                rt::dtype_name(expected.dtype);
    return c;
  }
  if (actual.dims != expected.dims) {
    c.problem = "shape " + dims_string(actual.dims) + ", expected " + dims_string(expected.dims);
    return c;
  }
  std::vector<double> a, b;
  if (!as_doubles(actual, &a) || !as_doubles(expected, &b)) {
    c.problem = std::string("cannot compare values of type ") + rt::dtype_name(actual.dtype);
    return c;
  }
  const bool exact = !rt::dtype_is_float(actual.dtype);
  c.ok = true;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) continue;
    const double err = std::fabs(a[i] - b[i]);
    const double rel = b[i] != 0.0 ? err / std::fabs(b[i]) : err;
    if (!(err <= c.max_abs_err)) c.max_abs_err = err;  // also catches NaN errors
    if (!(rel <= c.max_rel_err)) c.max_rel_err = rel;
    if (exact || !(err <= atol + rtol * std::fabs(b[i]))) c.ok = false;
  }
  return c;
}

std::string summarize(const HostTensor& t) {
  std::string s = std::string(rt::dtype_name(t.dtype)) + " " + dims_string(t.dims);
  std::vector<double> v;
  if (t.numel() == 0 || !as_doubles(t, &v)) return s;
  double sum = 0.0, lo = v[0], hi = v[0];
  for (double x : v) {
    sum += x;
    lo = std::fmin(lo, x);
    hi = std::fmax(hi, x);
  }
  char buf[128];
  std::snprintf(buf, sizeof buf, " mean=%.6g min=%.6g max=%.6g",
                sum / static_cast<double>(v.size()), lo, hi);
  return s + buf;
}

}  // namespace parallax::testdata
