// JsonReporter: the CSV's content as one JSON document (nlohmann-json), written when the run ends.
#pragma once

#include <string>

#include "harness/reporter.hpp"

namespace ipcbench {

class JsonReporter final : public Reporter {
 public:
  // Opens the file at once, so that an unwritable path fails before anything is measured.
  explicit JsonReporter(std::string path);
  void on_start(const Manifest& manifest, std::span<const CellRecord>) override { manifest_ = manifest; }
  void on_finish(std::span<const CellRecord> cells) override;

 private:
  std::string path_;
  Manifest manifest_;
};

}  // namespace ipcbench
