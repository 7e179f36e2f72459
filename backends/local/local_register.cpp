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
      // rclone's names; the short global flags -L, -l, -x and --copy-links, --links,
      // --skip-links, --one-file-system set them too (commands/cli.cpp).
      {.name = "copy_links",
       .help = "Follow symlinks and copy the pointed to item (writes follow them too)",
       .default_value = "false"},
      {.name = "links",
       .help = "Translate symlinks to/from regular files with a '.rclonelink' extension",
       .default_value = "false"},
      {.name = "skip_links",
       .help = "Don't warn about skipped symlinks",
       .default_value = "false"},
      {.name = "one_file_system",
       .help = "Don't cross filesystem boundaries: listings leave out folders on another "
               "filesystem",
       .default_value = "false"},
      {.name = "allow_control_characters",
       .help = "Create files and folders whose names hold control characters (ESC, tab, "
               "newline, ...; default: such a file fails with an error)",
       .default_value = "false"},
  };
  info.create = [](const Context&, const std::string& display_name, const std::string& root,
                   const Options& options,
                   const RemoteOpener&) -> Result<std::unique_ptr<Remote>> {
    CVC_ASSIGN_OR_RETURN(bool no_fsync, options.GetBool("no_fsync", false));
    LocalOptions local{.fsync = !no_fsync};
    CVC_ASSIGN_OR_RETURN(local.copy_links, options.GetBool("copy_links", false));
    CVC_ASSIGN_OR_RETURN(local.links, options.GetBool("links", false));
    CVC_ASSIGN_OR_RETURN(local.skip_links, options.GetBool("skip_links", false));
    CVC_ASSIGN_OR_RETURN(local.one_file_system, options.GetBool("one_file_system", false));
    CVC_ASSIGN_OR_RETURN(local.allow_control_characters,
                         options.GetBool("allow_control_characters", false));
    return NewLocalRemote(root, display_name, local);
  };
  registry.Register(std::move(info));
}

}  // namespace cvclone
