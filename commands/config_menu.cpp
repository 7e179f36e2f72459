// The interactive `config` menu, after rclone's (cmd/config, fs/config/ui.go): the same menu
// letters, prompts and order of questions, one answer a line.
#include "commands/config_menu.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

#include "commands/common.hpp"
#include "core/log.hpp"
#include "core/printable.hpp"
#include "core/config.hpp"

namespace cvclone {

bool IsObscuredOption(const Registry& registry, const std::string& type, const std::string& key) {
  const BackendInfo* backend = registry.Find(type);
  if (backend == nullptr) return false;
  const OptionSpec* o = backend->FindOption(key);
  return o != nullptr && o->obscured;
}

namespace {

void Say(const std::string& text) {
  WriteStdout(text);
  std::fflush(stdout);
}

class Menu {
 public:
  Menu(const Invocation& inv, ConfigFile& cfg, std::istream& in)
      : inv_(inv), registry_(*inv.registry), cfg_(cfg), in_(in) {}

  Status Run();

 private:
  // One line of input, without its line end; kIo at the end of input.
  Result<std::string> ReadLine(const std::string& prompt);
  // One of the letters in `letters` (first character of the answer, any case); an empty answer
  // is fallback when it is not 0.
  Result<char> Choose(const std::string& letters, char fallback = 0);
  Result<std::string> SelectRemote();
  // A new remote name: valid and not taken.
  Result<std::string> AskNewName(const std::string& question);
  Result<std::string> AskType();
  // Asks for one option; nullopt keeps the current value (or leaves it unset).
  Result<std::optional<std::string>> AskOption(const std::string& type, const OptionSpec& o,
                                               const std::optional<std::string>& current);
  // Asks the options of section name (basic ones, then the others if wanted) into cfg.
  Status AskOptions(ConfigFile& cfg, const std::string& name, const std::string& type);
  // Shows the options and asks y/e/d until the remote is kept or deleted; saves.
  Status Confirm(ConfigFile& cfg, const std::string& name);
  Status New();
  Status Edit();
  Status Save(ConfigFile updated);
  void ShowRemotes() const;
  std::string Options(const ConfigFile& cfg, const std::string& name) const;

  const Invocation& inv_;
  const Registry& registry_;
  ConfigFile& cfg_;
  std::istream& in_;
};

Result<std::string> Menu::ReadLine(const std::string& prompt) {
  Say(prompt);
  std::string line;
  if (!std::getline(in_, line)) {
    Say("\n");
    return MakeError(ErrorCode::kIo, "config: standard input ended before the answer to \"" +
                                         prompt.substr(0, prompt.size() - 2) + "\"");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<char> Menu::Choose(const std::string& letters, char fallback) {
  std::string prompt;
  for (char c : letters) prompt += prompt.empty() ? std::string(1, c) : std::string("/") + c;
  for (;;) {
    CVC_ASSIGN_OR_RETURN(std::string answer, ReadLine(prompt + "> "));
    if (answer.empty() && fallback != 0) return fallback;
    const char c = answer.empty() ? 0 : static_cast<char>(std::tolower(answer[0]));
    if (c != 0 && letters.find(c) != std::string::npos) return c;
    std::string list;
    for (char l : letters) list += (list.empty() ? "" : ", ") + std::string(1, l);
    Say(fmt::format("This value must be one of the following characters: {}.\n", list));
  }
}

Result<std::string> Menu::SelectRemote() {
  const std::vector<std::string> names = cfg_.Sections();
  std::string text = "Select remote.\nChoose a number from below, or type in an existing value.\n";
  for (size_t i = 0; i < names.size(); ++i) text += fmt::format("{:>2} > {}\n", i + 1, names[i]);
  Say(text);
  for (;;) {
    CVC_ASSIGN_OR_RETURN(std::string answer, ReadLine("remote> "));
    if (cfg_.HasSection(answer)) return answer;
    const bool digits =
        !answer.empty() && answer.size() < 6 &&
        std::all_of(answer.begin(), answer.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      const size_t n = std::stoul(answer);
      if (n >= 1 && n <= names.size()) return names[n - 1];
    }
    Say(fmt::format("No remote \"{}\": choose a number from 1 to {}, or a name.\n",
                    TerminalSafe(answer), names.size()));
  }
}

Result<std::string> Menu::AskNewName(const std::string& question) {
  Say(question + "\n");
  for (;;) {
    CVC_ASSIGN_OR_RETURN(std::string name, ReadLine("name> "));
    if (!ConfigFile::ValidSectionName(name)) {
      Say("Invalid remote name: use letters, digits, _ . - and space, no leading or trailing "
          "space.\n");
    } else if (cfg_.HasSection(name)) {
      Say(fmt::format("Remote \"{}\" already exists.\n", name));
    } else {
      return name;
    }
  }
}

Result<std::string> Menu::AskType() {
  const std::vector<BackendInfo>& all = registry_.All();
  std::string text =
      "\nOption Storage.\nType of storage to configure.\nChoose a number from below, or type in "
      "your own value.\n";
  for (size_t i = 0; i < all.size(); ++i) {
    text += fmt::format("{:>2} / {}\n   \\ ({})\n", i + 1, all[i].description, all[i].name);
  }
  Say(text);
  for (;;) {
    CVC_ASSIGN_OR_RETURN(std::string answer, ReadLine("Storage> "));
    if (registry_.Find(answer) != nullptr) return answer;
    const bool digits =
        !answer.empty() && answer.size() < 6 &&
        std::all_of(answer.begin(), answer.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      const size_t n = std::stoul(answer);
      if (n >= 1 && n <= all.size()) return all[n - 1].name;
    }
    Say(fmt::format("Unknown storage type \"{}\": choose a number from 1 to {}, or a name.\n",
                    TerminalSafe(answer), all.size()));
  }
}

Result<std::optional<std::string>> Menu::AskOption(const std::string& type, const OptionSpec& o,
                                                   const std::optional<std::string>& current) {
  const bool secret = IsSecretOption(registry_, type, o.name);
  std::string text = fmt::format("\nOption {}.\n{}\n", o.name, o.help);
  if (current && !current->empty()) {
    text += fmt::format("Enter a value. Press Enter to leave unchanged ({}).\n",
                        secret ? std::string(kRedacted) : TerminalSafe(*current));
  } else if (!o.default_value.empty()) {
    text += fmt::format("Enter a value. Press Enter for the default ({}).\n", o.default_value);
  } else if (o.required) {
    text += "Enter a value.\n";
  } else {
    text += "Enter a value. Press Enter to leave empty.\n";
  }
  Say(text);
  for (;;) {
    CVC_ASSIGN_OR_RETURN(std::string value, ReadLine(o.name + "> "));
    if (value.empty()) {
      if (o.required && (!current || current->empty())) {
        Say("This value is required and it has no default.\n");
        continue;
      }
      return std::optional<std::string>();
    }
    if (o.obscured) {
      CVC_ASSIGN_OR_RETURN(value, Obscure(value));
    }
    return std::optional<std::string>(value);
  }
}

Status Menu::AskOptions(ConfigFile& cfg, const std::string& name, const std::string& type) {
  const BackendInfo* backend = registry_.Find(type);
  if (backend == nullptr) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("remote \"{}\" has unknown backend type \"{}\"", name, type));
  }
  std::vector<OptionSpec> basic, advanced;
  if (backend->wrapper && backend->FindOption("remote") == nullptr) {
    basic.push_back({.name = "remote",
                     .help = "Remote to wrap: \"myremote:path/to/dir\", \"myremote:bucket\" or "
                             "\"/local/path\".",
                     .required = true});
  }
  // As rclone's basic and advanced questions: options without a default are asked first, those
  // with one only when the user wants to edit them.
  for (const OptionSpec& o : backend->options) {
    (o.required || o.default_value.empty() ? basic : advanced).push_back(o);
  }
  auto ask = [&](const std::vector<OptionSpec>& options) -> Status {
    for (const OptionSpec& o : options) {
      CVC_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           AskOption(type, o, cfg.Get(name, o.name)));
      if (value) cfg.Set(name, o.name, *value);
    }
    return Ok();
  };
  CVC_RETURN_IF_ERROR(ask(basic));
  if (advanced.empty()) return Ok();
  Say("\nEdit advanced config?\ny) Yes\nn) No (default)\n");
  CVC_ASSIGN_OR_RETURN(char answer, Choose("yn", 'n'));
  if (answer == 'y') CVC_RETURN_IF_ERROR(ask(advanced));
  return Ok();
}

std::string Menu::Options(const ConfigFile& cfg, const std::string& name) const {
  const std::string type = cfg.Get(name, "type").value_or("");
  std::string out;
  for (const auto& [key, value] : cfg.Items(name)) {
    const bool hide = key != "type" && !value.empty() && IsSecretOption(registry_, type, key);
    out += fmt::format("- {}: {}\n", key, hide ? std::string(kRedacted) : TerminalSafe(value));
  }
  return out;
}

Status Menu::Save(ConfigFile updated) {
  if (inv_.DryRun()) {
    log::Notice("Skipped saving {} as --dry-run is set", cfg_.path());
  } else {
    CVC_RETURN_IF_ERROR(updated.Save());
  }
  cfg_ = std::move(updated);
  return Ok();
}

Status Menu::Confirm(ConfigFile& cfg, const std::string& name) {
  for (;;) {
    Say(fmt::format(
        "\nConfiguration complete.\nOptions:\n{}Keep this \"{}\" remote?\ny) Yes this is OK "
        "(default)\ne) Edit this remote\nd) Delete this remote\n",
        Options(cfg, name), name));
    CVC_ASSIGN_OR_RETURN(char answer, Choose("yed", 'y'));
    if (answer == 'y') return Save(std::move(cfg));
    if (answer == 'd') {
      cfg.DeleteSection(name);
      return Save(std::move(cfg));
    }
    CVC_RETURN_IF_ERROR(AskOptions(cfg, name, cfg.Get(name, "type").value_or("")));
  }
}

Status Menu::New() {
  CVC_ASSIGN_OR_RETURN(std::string name, AskNewName("Enter name for new remote."));
  CVC_ASSIGN_OR_RETURN(std::string type, AskType());
  ConfigFile updated = cfg_;
  updated.Set(name, "type", type);
  CVC_RETURN_IF_ERROR(AskOptions(updated, name, type));
  return Confirm(updated, name);
}

Status Menu::Edit() {
  CVC_ASSIGN_OR_RETURN(std::string name, SelectRemote());
  Say(fmt::format("Editing existing \"{}\" remote with options:\n{}", name, Options(cfg_, name)));
  ConfigFile updated = cfg_;
  CVC_RETURN_IF_ERROR(AskOptions(updated, name, updated.Get(name, "type").value_or("")));
  return Confirm(updated, name);
}

void Menu::ShowRemotes() const {
  std::string text = "Current remotes:\n\nName                 Type\n====                 ====\n";
  for (const std::string& name : cfg_.Sections()) {
    text += fmt::format("{:<20} {}\n", name, TerminalSafe(cfg_.Get(name, "type").value_or("")));
  }
  Say(text + "\n");
}

Status Menu::Run() {
  for (;;) {
    char answer = 0;
    if (cfg_.Sections().empty()) {
      Say("No remotes found, make a new one?\nn) New remote\nq) Quit config\n");
      CVC_ASSIGN_OR_RETURN(answer, Choose("nq"));
    } else {
      ShowRemotes();
      Say("e) Edit existing remote\nn) New remote\nd) Delete remote\nr) Rename remote\n"
          "c) Copy remote\nq) Quit config\n");
      CVC_ASSIGN_OR_RETURN(answer, Choose("endrcq"));
    }
    switch (answer) {
      case 'q':
        return Ok();
      case 'n':
        CVC_RETURN_IF_ERROR(New());
        break;
      case 'e':
        CVC_RETURN_IF_ERROR(Edit());
        break;
      case 'd': {
        CVC_ASSIGN_OR_RETURN(std::string name, SelectRemote());
        ConfigFile updated = cfg_;
        updated.DeleteSection(name);
        CVC_RETURN_IF_ERROR(Save(std::move(updated)));
        break;
      }
      case 'r':
      case 'c': {
        CVC_ASSIGN_OR_RETURN(std::string from, SelectRemote());
        CVC_ASSIGN_OR_RETURN(
            std::string to,
            AskNewName(answer == 'r' ? fmt::format("Enter new name for \"{}\" remote.", from)
                                     : fmt::format("Enter name for copy of \"{}\" remote.", from)));
        ConfigFile updated = cfg_;
        updated.RenameSection(from, to, /*keep=*/answer == 'c');
        CVC_RETURN_IF_ERROR(Save(std::move(updated)));
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace

Status RunConfigMenu(const Invocation& inv, ConfigFile& cfg, std::istream& in) {
  return Menu(inv, cfg, in).Run();
}

}  // namespace cvclone
