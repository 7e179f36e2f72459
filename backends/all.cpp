// The list of backends: one registration line each.
#include "backends/encfs/encfs_remote.hpp"
#include "backends/local/local.hpp"
#include "backends/s3/s3_remote.hpp"
#include "backends/webdav/webdav_remote.hpp"
#include "core/registry.hpp"
#include "crypt/crypt_remote.hpp"

namespace cvclone {

void RegisterAllBackends(Registry& registry) {
  RegisterLocalBackend(registry);
  RegisterCryptBackend(registry);
  RegisterEncfsBackend(registry);
  RegisterS3Backend(registry);
  RegisterWebdavBackend(registry);
}

}  // namespace cvclone
