// diagnostic.h — one configuration error, pointing at file:line:col.
//
// Why: IT edits YAML by hand; every loader (core, daemon, ldap, oidc sections)
// reports problems in the same "file:line:col: message" form, one per line, so
// editors and CI can jump to them. Lines and columns are 1-based (0 = unknown).
// Thread-safety: plain value.
#pragma once

#include <string>

namespace idb {

struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  // "file:line:col: message" ("file: message" when the position is unknown).
  std::string ToString() const {
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
  }
};

// Where something was defined, for diagnostics and explanations.
struct SourceRef {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
  std::string ToString() const {
    return line <= 0 ? file : file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

}  // namespace idb
