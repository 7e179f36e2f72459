// The list of backends: one registration line each.
#include "backends/local/local.hpp"
#include "core/registry.hpp"

namespace cvclone {

void RegisterAllBackends(Registry& registry) {
  RegisterLocalBackend(registry);
}

}  // namespace cvclone
