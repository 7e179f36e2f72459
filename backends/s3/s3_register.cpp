// Registration of the s3 backend, apart from the remote so that users of NewS3Remote alone do not
// pull in the backend list.
#include "backends/s3/s3_options.hpp"
#include "backends/s3/s3_remote.hpp"

namespace cvclone {

void RegisterS3Backend(Registry& registry) {
  BackendInfo info;
  info.name = "s3";
  info.description = "Amazon S3 and S3-compatible storage (Minio, Ceph, Wasabi, ...)";
  info.options = s3::S3OptionSpecs();
  info.create = [](const Context&, const std::string& display_name, const std::string& root,
                   const Options& options, const RemoteOpener&) -> Result<std::unique_ptr<Remote>> {
    return s3::NewS3Remote(display_name, root, options);
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
