#include "test_ca.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "process.h"

namespace idb::testing {

Result<TestCa> TestCa::Create(const std::string& dir, const std::string& name) {
  TestCa ca;
  ca.dir_ = dir;
  ca.ca_cert_ = dir + "/" + name + ".pem";
  ca.ca_key_ = dir + "/" + name + ".key";
  auto r = RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                       "-keyout", ca.ca_key_, "-out", ca.ca_cert_, "-days", "2", "-subj", "/CN=idbridge " + name,
                       "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  if (r.exit_code != 0) return Internal("openssl could not make the test CA: " + r.output);
  return ca;
}

Result<std::pair<std::string, std::string>> TestCa::IssueServerCert(const std::string& name,
                                                                    const std::vector<std::string>& extra_dns,
                                                                    const std::string& out_dir) const {
  const std::string dir = out_dir.empty() ? dir_ : out_dir;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::string san = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1";
  if (host[0]) san += ",DNS:" + std::string(host);
  for (const auto& d : extra_dns) san += ",DNS:" + d;
  const std::string key = dir + "/" + name + ".key", csr = dir + "/" + name + ".csr",
                    cert = dir + "/" + name + ".pem", ext = dir + "/" + name + ".ext";
  auto r = RunCommand({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                       key, "-out", csr, "-subj", "/CN=localhost"});
  if (r.exit_code != 0) return Internal("openssl could not make a server key: " + r.output);
  if (!WriteFile(ext, san + "\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")) {
    return Internal("cannot write " + ext);
  }
  r = RunCommand({"openssl", "x509", "-req", "-in", csr, "-CA", ca_cert_, "-CAkey", ca_key_, "-set_serial", std::to_string(std::rand() % 1000000 + 2), "-out",
                  cert, "-days", "2", "-extfile", ext});
  if (r.exit_code != 0) return Internal("openssl could not sign the server certificate: " + r.output);
  if (chmod(key.c_str(), 0600) != 0) return Internal("cannot chmod " + key);
  return std::make_pair(cert, key);
}

}  // namespace idb::testing
