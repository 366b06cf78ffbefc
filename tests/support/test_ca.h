// test_ca.h — a throwaway certificate authority for TLS tests (openssl CLI).
//
// Why: LDAPS and StartTLS must be tested with certificate verification ON,
// so each test run makes its own CA and a server certificate with the SANs
// libldap checks (localhost, this host's name, 127.0.0.1, ::1). A second CA
// gives the "wrong CA is refused" case.
// Ownership: files live in the directory given to Create (the caller's temp
// dir). Thread-safety: not shared.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace idb::testing {

class TestCa {
 public:
  // Creates ca.pem / ca.key in `dir` (file names prefixed with `name`).
  static Result<TestCa> Create(const std::string& dir, const std::string& name = "test-ca");

  // Issues a server certificate signed by this CA, with SANs for localhost,
  // the host name, 127.0.0.1 and ::1 plus `extra_dns`. Returns {cert, key}
  // paths; the key is mode 0600.
  // Files go to `out_dir` ("" = the CA's directory).
  Result<std::pair<std::string, std::string>> IssueServerCert(const std::string& name,
                                                              const std::vector<std::string>& extra_dns = {},
                                                              const std::string& out_dir = "") const;

  const std::string& ca_file() const { return ca_cert_; }

 private:
  std::string dir_, ca_cert_, ca_key_;
};

}  // namespace idb::testing
