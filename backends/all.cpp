// The list of backends: one registration line each.
#include "backends/local/local.hpp"
#include "core/registry.hpp"
#include "crypt/crypt_remote.hpp"

namespace cvclone {

void RegisterAllBackends(Registry& registry) {
  RegisterLocalBackend(registry);
  RegisterCryptBackend(registry);
}

}  // namespace cvclone
