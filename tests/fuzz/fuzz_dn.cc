// fuzz_dn — RFC 4514 DN parsing and normalisation on arbitrary bytes (DNs
// come from directory answers and from mapping files).
//
// Invariants: no crash; the normal form is a fixed point (normalising it
// again gives it back); NormalizeDnInto agrees with NormalizeDn; SameDn holds
// between a DN and its normal form.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/dn.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = idb::ParseDn(text);
  auto normal = idb::NormalizeDn(text);
  if (parsed.ok() != normal.ok()) std::abort();
  std::string into;
  const bool into_ok = idb::NormalizeDnInto(text, &into);
  if (into_ok != normal.ok()) std::abort();
  (void)idb::FirstCnOf(text);
  if (!normal.ok()) return 0;
  if (into != *normal) std::abort();
  auto again = idb::NormalizeDn(*normal);
  if (!again.ok() || *again != *normal) std::abort();
  if (!idb::SameDn(text, *normal)) std::abort();
  (void)idb::EscapeDnValue(text);
  return 0;
}
