// Registration of the local backend, kept apart from local.cpp so that code using only
// NewLocalRemote (tests, tools) does not pull in the registry and with it the backend list.
#include "backends/local/local.hpp"

namespace cvclone {

void RegisterLocalBackend(Registry& registry) {
  BackendInfo info;
  info.name = "local";
  info.description = "Local disk";
  info.create = [](const Context&, const std::string& display_name, const std::string& root,
                   const Options&, const RemoteOpener&) -> Result<std::unique_ptr<Remote>> {
    return NewLocalRemote(root, display_name);
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
