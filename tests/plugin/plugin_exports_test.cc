// plugin_exports_test.cc — libidbridge.so.1 exports only idb_* symbols, has
// soname libidbridge.so.1, and answers idb_abi_version() through dlopen.
// Uses `nm -D --defined-only` and `readelf -d` (binutils) on the built file.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "idbridge.h"

namespace {

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST(PluginExports, OnlyIdbSymbolsAreExported) {
  std::string out = RunCommand(std::string("nm -D --defined-only '") + IDB_PLUGIN_PATH + "' 2>&1");
  std::istringstream lines(out);
  std::set<std::string> exported;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string addr, type, name;
    f >> addr >> type >> name;
    if (name.empty()) continue;
    name = name.substr(0, name.find('@'));  // "idb_check@@IDBRIDGE_1"
    if (type == "A" && name == "IDBRIDGE_1") continue;  // the version node of the version script
    exported.insert(name);
    EXPECT_EQ(name.rfind("idb_", 0), 0u) << "exported symbol outside idb_*: " << line;
  }
  EXPECT_TRUE(exported.count("idb_check")) << out;
  EXPECT_TRUE(exported.count("idb_login")) << out;
  EXPECT_TRUE(exported.count("idb_change_password")) << out;
  EXPECT_GE(exported.size(), 20u) << out;
}

TEST(PluginExports, SonameIsLibidbridgeSo1) {
  std::string out = RunCommand(std::string("readelf -d '") + IDB_PLUGIN_PATH + "' 2>&1");
  EXPECT_NE(out.find("Library soname: [libidbridge.so.1]"), std::string::npos) << out;
}

TEST(PluginExports, DlopenFindsAbiVersionWithItsMajorMatchingTheSoname) {
  void* lib = ::dlopen(IDB_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << ::dlerror();
  auto fn = reinterpret_cast<uint32_t (*)()>(::dlsym(lib, "idb_abi_version"));
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn() >> 16, 1u);
  EXPECT_EQ(::dlsym(lib, "_ZN3idb11DecisionSet5CheckESt17basic_string_viewIcSt11char_traitsIcEES4_S4_"), nullptr);
  ::dlclose(lib);
}

}  // namespace
