// Registration of the local backend, kept apart from local.cpp so that code using only
// NewLocalRemote (tests, tools) does not pull in the registry and with it the backend list.
#include "backends/local/local.hpp"

namespace cvclone {

void RegisterLocalBackend(Registry& registry) {
  BackendInfo info;
  info.name = "local";
  info.description = "Local disk";
  info.options = {
      {.name = "no_fsync",
       .help = "Do not fsync written files before renaming them into place (faster; a power "
               "cut may then lose recently copied files, a killed process still leaves none "
               "half-written)",
       .default_value = "false"},
  };
  info.create = [](const Context&, const std::string& display_name, const std::string& root,
                   const Options& options,
                   const RemoteOpener&) -> Result<std::unique_ptr<Remote>> {
    CVC_ASSIGN_OR_RETURN(bool no_fsync, options.GetBool("no_fsync", false));
    return NewLocalRemote(root, display_name, LocalOptions{.fsync = !no_fsync});
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
