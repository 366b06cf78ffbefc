// command.h — one idbridgectl sub-command: its options and its handler.
//
// Why: main.cc keeps the table; each command lives in its own file and says
// which options it accepts (Args refuses the rest). Handlers return the exit
// code: 0 success, 1 a finding (invalid config, failed verification), 2 usage
// or operational error. They write results to `out` and errors to `err`.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "ctl/args.h"

namespace idb::ctl {

struct Command {
  std::string name;     // "check", "override"
  std::string summary;  // one line for `idbridgectl help`
  ArgSpec spec;         // "config" is always accepted
  std::function<int(const Args&, std::ostream& out, std::ostream& err)> run;
};

constexpr const char* kDefaultConfigPath = "config/idbridge.yaml";

}  // namespace idb::ctl
