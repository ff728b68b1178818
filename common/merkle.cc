#include "common/merkle.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

namespace taskgate::merkle {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// Hashes the concatenation of `parts`. EVP_Digest* cannot fail for SHA-256
// with valid pointers short of memory exhaustion, which aborts anyway.
Hash Digest(std::initializer_list<std::string_view> parts) {
  Hash out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::string_view part : parts) {
    EVP_DigestUpdate(ctx, part.data(), part.size());
  }
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}

std::string_view View(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace

Hash Sha256(std::string_view data) { return Digest({data}); }

Hash LeafHash(std::string_view leaf) {
  const char prefix = static_cast<char>(kLeafPrefix);
  return Digest({std::string_view(&prefix, 1), leaf});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  const char prefix = static_cast<char>(kNodePrefix);
  return Digest({std::string_view(&prefix, 1), View(left), View(right)});
}

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  if (leaf_hashes.empty()) return Sha256("");
  // Left-to-right stack of perfect subtree roots; `heights[i]` is the height
  // of `stack[i]`. Adding a leaf merges equal-height neighbours, exactly as
  // the RFC's split at the largest power of two builds the left subtrees.
  std::vector<Hash> stack;
  std::vector<int> heights;
  for (const Hash& leaf : leaf_hashes) {
    Hash node = leaf;
    int height = 0;
    while (!heights.empty() && heights.back() == height) {
      node = NodeHash(stack.back(), node);
      stack.pop_back();
      heights.pop_back();
      ++height;
    }
    stack.push_back(node);
    heights.push_back(height);
  }
  // The remaining perfect subtrees fold right to left into the root.
  Hash root = stack.back();
  for (size_t i = stack.size() - 1; i-- > 0;) {
    root = NodeHash(stack[i], root);
  }
  return root;
}

std::string ToHex(const Hash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(hash.size() * 2);
  for (uint8_t b : hash) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace taskgate::merkle
