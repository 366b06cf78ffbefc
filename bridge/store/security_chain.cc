#include "store/security_chain.h"

#include <openssl/evp.h>

#include <memory>

namespace idb::store {

const char kGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

void AppendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out.append(field);
  out += ',';
}

}  // namespace

Result<std::string> Sha256HexOf(std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), md, &len) != 1)
    return Internal("SHA-256 failed");
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

Result<std::string> ChainHash(const std::string& prev_hash, int64_t seq, int64_t time_ms, const SecurityEvent& e) {
  std::string data;
  AppendField(data, prev_hash);
  AppendField(data, std::to_string(seq));
  AppendField(data, std::to_string(time_ms));
  AppendField(data, e.actor);
  AppendField(data, e.action);
  AppendField(data, e.target);
  AppendField(data, e.before);
  AppendField(data, e.after);
  return Sha256HexOf(data);
}

bool ChainVerifier::Fail(int64_t seq, std::string problem) {
  report_.ok = false;
  report_.bad_seq = seq;
  report_.problem = std::move(problem);
  return false;
}

bool ChainVerifier::Add(const ChainRow& row) {
  if (!report_.ok) return false;
  if (row.seq != expected_) {
    if (row.seq > expected_)
      return Fail(expected_, "entry " + std::to_string(expected_) + " is missing (deleted): the next entry is " +
                                 std::to_string(row.seq));
    return Fail(row.seq, "entry " + std::to_string(row.seq) + " is out of order");
  }
  if (row.prev_hash != prev_)
    return Fail(row.seq, "entry " + std::to_string(row.seq) +
                             " does not chain to the entry before it (an entry was deleted, inserted or reordered)");
  auto h = ChainHash(row.prev_hash, row.seq, row.time_ms, row.event);
  if (!h.ok()) return Fail(row.seq, h.status().message());
  if (*h != row.hash) return Fail(row.seq, "entry " + std::to_string(row.seq) + " was modified (hash mismatch)");
  prev_ = row.hash;
  ++expected_;
  ++report_.entries;
  return true;
}

AuditReport ChainVerifier::Finish(const std::optional<ChainHead>& head) {
  if (!report_.ok) return report_;
  const int64_t last = expected_ - 1;
  if (!head) {
    Fail(0, "the log head record is missing (the log was truncated or replaced)");
  } else if (head->seq != last || head->hash != prev_) {
    if (head->seq > last)
      Fail(last + 1, "entries " + std::to_string(last + 1) + ".." + std::to_string(head->seq) +
                         " are missing (deleted from the end of the log)");
    else
      Fail(0, "the log head (entry " + std::to_string(head->seq) + ") does not match the last entry " +
                  std::to_string(last));
  } else {
    report_.head_hash = prev_;
  }
  return report_;
}

AuditReport VerifyChain(const std::vector<ChainRow>& rows, const std::optional<ChainHead>& head) {
  ChainVerifier v;
  for (const auto& row : rows)
    if (!v.Add(row)) break;
  return v.Finish(head);
}

}  // namespace idb::store
