// fuzz_golden — mapping golden-case files (mappings/tests/*.yaml) on
// arbitrary bytes against the shipped policy: no crash or exception; a
// malformed file gives diagnostics, a well-formed one a report.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/golden.h"
#include "core/policy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const idb::PolicyLoad shipped = idb::LoadPolicyFromStrings(
      idb::fuzz::ReadSourceFile("mappings/catalog.yaml"), idb::fuzz::ReadSourceFile("mappings/profiles.yaml"),
      idb::fuzz::ReadSourceFile("mappings/rules.yaml"));
  if (!shipped.ok()) std::abort();
  idb::fuzz::MemoryFile file(std::string(reinterpret_cast<const char*>(data), size));
  idb::GoldenReport report = idb::RunGoldenTests(*shipped.policy, file.path());
  for (const auto& d : report.errors) (void)d.ToString();
  return 0;
}
