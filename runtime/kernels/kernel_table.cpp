// The one table of kernels. Each kernel family lists its kernels in <family>/kernels.def as
//   PARALLAX_KERNEL(OpType, min_opset, max_opset)               default ONNX domain
//   PARALLAX_KERNEL_IN(Fn, "domain", "OpType", min, max)        any other domain
//   PARALLAX_KERNEL_PREPARED(OpType, min, max)                  with prepare/release hooks
//   PARALLAX_KERNEL_PREPARED_IN(Fn, "domain", "OpType", min, max)
// where the kernel function is parallax::rt::kernels::<OpType> (or <Fn>); the PREPARED forms
// also need <Fn>_prepare (a KernelFn) and <Fn>_release (a KernelReleaseFn), see kernel.h.
// This file declares them all and builds the table; a kernel's index here is what Step::kernel
// stores.
#include <string_view>
#include <vector>

#include "parallax/runtime/kernel.h"

namespace parallax::rt {
namespace kernels {
#define PARALLAX_KERNEL(OP, MIN, MAX) Status OP(KernelContext&);
#define PARALLAX_KERNEL_IN(FN, DOMAIN, OP, MIN, MAX) Status FN(KernelContext&);
#define PARALLAX_KERNEL_PREPARED(OP, MIN, MAX) PARALLAX_KERNEL_PREPARED_IN(OP, "", #OP, MIN, MAX)
#define PARALLAX_KERNEL_PREPARED_IN(FN, DOMAIN, OP, MIN, MAX) \
  Status FN(KernelContext&);                                  \
  Status FN##_prepare(KernelContext&);                        \
  void FN##_release(void*);
#include "kernels.def"
#undef PARALLAX_KERNEL
#undef PARALLAX_KERNEL_IN
#undef PARALLAX_KERNEL_PREPARED
#undef PARALLAX_KERNEL_PREPARED_IN
}  // namespace kernels

const std::vector<KernelDef>& kernel_table() {
  static const std::vector<KernelDef> table = {
#define PARALLAX_KERNEL(OP, MIN, MAX) {"", #OP, MIN, MAX, &kernels::OP},
#define PARALLAX_KERNEL_IN(FN, DOMAIN, OP, MIN, MAX) {DOMAIN, OP, MIN, MAX, &kernels::FN},
#define PARALLAX_KERNEL_PREPARED(OP, MIN, MAX) PARALLAX_KERNEL_PREPARED_IN(OP, "", #OP, MIN, MAX)
#define PARALLAX_KERNEL_PREPARED_IN(FN, DOMAIN, OP, MIN, MAX) \
  {DOMAIN, OP, MIN, MAX, &kernels::FN, &kernels::FN##_prepare, &kernels::FN##_release},
#include "kernels.def"
#undef PARALLAX_KERNEL
#undef PARALLAX_KERNEL_IN
#undef PARALLAX_KERNEL_PREPARED
#undef PARALLAX_KERNEL_PREPARED_IN
  };
  return table;
}

int find_kernel(std::string_view domain, std::string_view op_type, int opset) {
  if (domain == "ai.onnx") domain = "";
  const std::vector<KernelDef>& t = kernel_table();
  for (size_t i = 0; i < t.size(); ++i) {
    if (domain == t[i].domain && op_type == t[i].op_type && opset >= t[i].min_opset &&
        opset <= t[i].max_opset) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace parallax::rt
