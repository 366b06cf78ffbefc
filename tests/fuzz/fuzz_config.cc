// fuzz_config — the main configuration file (idbridge.yaml) on arbitrary
// bytes. Mapping paths it names resolve against /proc/self/fd and fail; the
// point is the config parser itself: no crash, no exception, errors only.
#include <cstdint>
#include <string>

#include "core/config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  idb::fuzz::MemoryFile file(std::string(reinterpret_cast<const char*>(data), size));
  idb::ConfigLoad load = idb::LoadConfig(file.path());
  for (const auto& d : load.errors) (void)d.ToString();
  return 0;
}
