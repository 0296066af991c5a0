// --config and --print-config over CLI11's config support.
#include "harness/app/config_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ipcbench {
namespace {

std::vector<std::string> given_options(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options())
    if (option->count() > 0 && !is_meta_option(*option)) names.push_back(option->get_name());
  return names;
}

// name and value as a configuration holds them: a flag given is true, an option its value or
// its default; nothing for an option unset with no default (the built-in one applies).
struct Setting {
  std::string name;
  std::vector<std::string> values;
  bool flag;
  bool positional = false;
};

// A default that gives way to an option given (--duration to --round-trips) is not in effect.
bool excluded_by_given(const CLI::Option& option) {
  for (const CLI::Option* other : option.get_excludes())
    if (other->count() > 0) return true;
  return false;
}

std::vector<Setting> settings_of(const CLI::App& command) {
  std::vector<Setting> settings;
  for (const CLI::Option* option : command.get_options()) {
    if (is_meta_option(*option) || !option->get_configurable()) continue;
    const std::string name = option->get_single_name();
    if (option->get_expected_min() == 0) {
      if (option->count() > 0) settings.push_back({name, {"true"}, true});
      continue;
    }
    const std::vector<std::string> results = option->reduced_results();
    if (!results.empty())
      settings.push_back({name, results, false, !option->nonpositional()});
    else if (!option->get_default_str().empty() && !excluded_by_given(*option))
      settings.push_back({name, {option->get_default_str()}, false});
  }
  return settings;
}

std::string toml_string(const std::string& text) {
  std::string quoted = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') quoted += '\\';
    quoted += ch;
  }
  return quoted + '"';
}

std::string shell_word(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.:=_+-/%@") ==
                           std::string::npos)
    return text;
  std::string quoted = "'";
  for (char ch : text) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

}  // namespace

bool is_meta_option(const CLI::Option& option) {
  const std::string& name = option.get_name();
  return name == "--help" || name == "--help-all" || name == "--version" || name == "--config" || name == "--print-config";
}

std::vector<CLI::ConfigItem> SuiteConfigReader::from_config(std::istream& input) const {
  if (!file_read_) typed_before_file_ = given_options(*suite_);
  file_read_ = true;
  return CLI::ConfigTOML::from_config(input);
}

std::vector<std::string> SuiteConfigReader::typed_suite_options() const {
  return file_read_ ? typed_before_file_ : given_options(*suite_);
}

std::string effective_config_toml(const CLI::App& command) {
  std::string text = "# ipcbench --config FILE reads this; options not listed take their built-in defaults\n";
  if (command.get_parent() != nullptr) text += fmt::format("[{}]\n", command.get_name());
  for (const Setting& s : settings_of(command)) {
    std::vector<std::string> values;
    for (const std::string& v : s.values) values.push_back(s.flag ? v : toml_string(v));
    const std::string value = fmt::format("{}", fmt::join(values, ", "));
    text += fmt::format("{} = {}\n", s.name, values.size() == 1 ? value : "[" + value + "]");
  }
  return text;
}

std::string effective_config_command_line(const CLI::App& command) {
  std::string line = "ipcbench";
  if (command.get_parent() != nullptr) line += " " + command.get_name();
  std::string positionals;
  for (const Setting& s : settings_of(command)) {
    for (const std::string& value : s.values) {
      if (s.positional) positionals += " " + shell_word(value);
      else line += s.flag ? fmt::format(" --{}", s.name) : fmt::format(" --{}={}", s.name, shell_word(value));
    }
  }
  return line + positionals;
}

}  // namespace ipcbench
