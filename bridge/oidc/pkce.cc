#include "oidc/pkce.h"

#include <vector>

#include <cjose/base64.h>
#include <cjose/util.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace idb::oidc {
namespace {

std::string Base64Url(const unsigned char* data, size_t len) {
  char* out = nullptr;
  size_t out_len = 0;
  cjose_err err;
  if (!cjose_base64url_encode(data, len, &out, &out_len, &err)) return "";
  std::string s(out, out_len);
  cjose_get_dealloc()(out);
  return s;
}

}  // namespace

Result<std::string> RandomUrlSafe(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) return Internal("RAND_bytes failed");
  std::string s = Base64Url(buf.data(), buf.size());
  if (s.empty()) return Internal("base64url encoding failed");
  return s;
}

std::string PkceS256Challenge(const std::string& verifier) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(verifier.data(), verifier.size(), md, &md_len, EVP_sha256(), nullptr) != 1) return "";
  return Base64Url(md, md_len);
}

}  // namespace idb::oidc
