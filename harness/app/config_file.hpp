// --config and --print-config: CLI11's TOML configuration for every entry point, and the
// effective configuration written back as TOML and as the command line that reproduces it.
#pragma once

#include <CLI/CLI.hpp>
#include <istream>
#include <string>
#include <vector>

namespace ipcbench {

// CLI11's TOML reader, noting which of the default suite's options the command line set
// before the file was read. The file's top-level keys are the default suite's; the same
// options typed before a subcommand are a mistake the caller reports, the file's are not.
class SuiteConfigReader : public CLI::ConfigTOML {
 public:
  explicit SuiteConfigReader(const CLI::App& suite) : suite_(&suite) {}
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
  // Long names of the suite's options given on the command line (all of them when no file was read).
  [[nodiscard]] std::vector<std::string> typed_suite_options() const;

 private:
  const CLI::App* suite_;
  // from_config is const in CLI11's interface; reading a file is when the snapshot is due.
  mutable bool file_read_ = false;
  mutable std::vector<std::string> typed_before_file_;
};

// The options a command runs with, given or defaulted, for a reader: TOML that --config
// reads back (a [section] for a subcommand), or one command line.
[[nodiscard]] std::string effective_config_toml(const CLI::App& command);
[[nodiscard]] std::string effective_config_command_line(const CLI::App& command);

// Whether the option is one of the configuration's own (help, version, config, print-config).
[[nodiscard]] bool is_meta_option(const CLI::Option& option);

}  // namespace ipcbench
