// idbridgectl — the IT administrator's command line for idbridge.
//
// Exit codes: 0 success, 1 a finding (invalid configuration, failed audit
// verification, a denied check), 2 usage or operational error.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/commands.h"

namespace {

void PrintUsage(const std::vector<idb::ctl::Command>& commands, std::ostream& os) {
  os << "usage: idbridgectl COMMAND [--config FILE] [options]\n\ncommands:\n";
  for (const auto& c : commands) os << "  " << c.name << std::string(c.name.size() < 14 ? 14 - c.name.size() : 1, ' ') << c.summary << "\n";
  os << "\nEvery command takes --config FILE (default " << idb::ctl::kDefaultConfigPath << ").\n";
}

int Run(int argc, char** argv) {
  std::vector<idb::ctl::Command> commands = idb::ctl::CoreCommands();
  for (auto& c : idb::ctl::StoreCommands()) commands.push_back(std::move(c));
  for (auto& c : idb::ctl::DaemonCommands()) commands.push_back(std::move(c));

  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help") {
    PrintUsage(commands, argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  for (const auto& c : commands) {
    if (c.name != name) continue;
    idb::ctl::ArgSpec spec = c.spec;
    spec.value_options.insert("config");
    auto args = idb::ctl::Args::Parse(std::vector<std::string>(argv + 2, argv + argc), spec);
    if (!args.ok()) {
      std::cerr << "idbridgectl " << name << ": " << args.status().message() << "\n";
      return 2;
    }
    return c.run(*args, std::cout, std::cerr);
  }
  std::vector<std::string> names;
  for (const auto& c : commands) names.push_back(c.name);
  std::cerr << "idbridgectl: unknown command '" << name << "'";
  if (auto hint = idb::ctl::ClosestMatch(name, names)) std::cerr << " (did you mean '" << *hint << "'?)";
  std::cerr << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "idbridgectl: internal error: " << e.what() << "\n";
    return 2;
  } catch (...) {
    std::cerr << "idbridgectl: internal error\n";
    return 2;
  }
}
