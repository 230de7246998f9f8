// BitShift (opset 11-17): y = x << s or x >> s (attribute direction = "LEFT" / "RIGHT"), with
// broadcasting. Shifting by the type's width or more gives 0. Types: uint8-uint64.
#include <string>

#include "binary.h"

namespace parallax::rt::kernels {

Status BitShift(KernelContext& ctx) {
  const std::string direction = ctx.attr_string("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") {
    return Status::invalid("direction must be \"LEFT\" or \"RIGHT\", got \"" + direction + "\"");
  }
  const bool left = direction == "LEFT";
  return elementwise::binary_same<kUnsignedIntTypes>(
      ctx, elementwise::kNumpyBroadcast, [left](auto x, auto s) {
        using C = decltype(x);
        if (static_cast<uint64_t>(s) >= sizeof(C) * 8) return C(0);
        return static_cast<C>(left ? x << s : x >> s);
      });
}

}  // namespace parallax::rt::kernels
