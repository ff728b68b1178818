#include "audit/merkle.h"

#include <bit>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "audit/internal/merkle_walk.h"
#include "common/status_macros.h"

namespace taskgate::audit {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// SHA-256 fetched once: with OpenSSL 3, passing `EVP_sha256()` to every
// init repeats an implicit provider fetch, and a fresh EVP_MD_CTX per hash
// adds an allocation; together they cost more than hashing a 300-byte event.
// The fetched method is never freed (it lives as long as the process).
const EVP_MD* Sha256Method() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// One digest context per thread, reused: keeps the functions thread-safe
// without locking.
class ThreadContext {
 public:
  ThreadContext() : ctx_(EVP_MD_CTX_new()) {}
  ~ThreadContext() { EVP_MD_CTX_free(ctx_); }
  ThreadContext(const ThreadContext&) = delete;
  ThreadContext& operator=(const ThreadContext&) = delete;
  EVP_MD_CTX* get() { return ctx_; }

 private:
  EVP_MD_CTX* ctx_;
};

// Hashes the concatenation of `parts`. EVP_Digest* cannot fail for SHA-256
// with valid pointers short of memory exhaustion, which aborts anyway.
Hash Digest(std::initializer_list<std::string_view> parts) {
  thread_local ThreadContext context;
  EVP_MD_CTX* ctx = context.get();
  Hash out{};
  EVP_DigestInit_ex2(ctx, Sha256Method(), nullptr);
  for (std::string_view part : parts) {
    EVP_DigestUpdate(ctx, part.data(), part.size());
  }
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
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

void RootAccumulator::Append(const Hash& leaf_hash) {
  // Adding a leaf merges equal-height neighbours, exactly as the RFC's split
  // at the largest power of two builds the left subtrees.
  Hash node = leaf_hash;
  int height = 0;
  while (!heights_.empty() && heights_.back() == height) {
    node = NodeHash(stack_.back(), node);
    stack_.pop_back();
    heights_.pop_back();
    ++height;
  }
  stack_.push_back(node);
  heights_.push_back(height);
  ++size_;
}

Hash RootAccumulator::Root() const {
  if (stack_.empty()) return Sha256("");
  // The perfect subtrees fold right to left into the root.
  Hash root = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) {
    root = NodeHash(stack_[i], root);
  }
  return root;
}

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  RootAccumulator root;
  for (const Hash& leaf : leaf_hashes) root.Append(leaf);
  return root.Root();
}

absl::StatusOr<std::vector<Hash>> InclusionProof(
    std::span<const Hash> leaf_hashes, uint64_t index) {
  TASKGATE_RETURN_IF_ERROR(
      internal::CheckInclusionArgs(index, leaf_hashes.size()));
  return internal::InclusionPath(
      index, leaf_hashes.size(), [&](uint64_t lo, uint64_t hi) {
        return RootFromLeafHashes(leaf_hashes.subspan(lo, hi - lo));
      });
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(
    std::span<const Hash> leaf_hashes, uint64_t old_size) {
  TASKGATE_RETURN_IF_ERROR(
      internal::CheckConsistencyArgs(old_size, leaf_hashes.size()));
  return internal::ConsistencyPath(
      old_size, leaf_hashes.size(), [&](uint64_t lo, uint64_t hi) {
        return RootFromLeafHashes(leaf_hashes.subspan(lo, hi - lo));
      });
}

absl::StatusOr<std::vector<Hash>> RangeProof(std::span<const Hash> leaf_hashes,
                                             uint64_t begin, uint64_t end) {
  TASKGATE_RETURN_IF_ERROR(
      internal::CheckRangeArgs(begin, end, leaf_hashes.size()));
  auto subtree = [&](uint64_t lo, uint64_t hi) {
    return RootFromLeafHashes(leaf_hashes.subspan(lo, hi - lo));
  };
  std::vector<Hash> proof;
  internal::RangePath(0, leaf_hashes.size(), begin, end, subtree, proof);
  return proof;
}

namespace {

// The root of D[lo:hi] by the same recursion as `internal::RangePath`, taking
// subtrees outside the range from `proof` (advancing `next`) and those
// inside from the range's leaves. False when the proof runs out.
bool FoldRange(uint64_t lo, uint64_t hi, uint64_t begin,
               std::span<const Hash> range, std::span<const Hash> proof,
               size_t& next, Hash& out) {
  const uint64_t end = begin + range.size();
  if (hi <= begin || end <= lo) {
    if (next == proof.size()) return false;
    out = proof[next++];
    return true;
  }
  if (begin <= lo && hi <= end) {
    out = RootFromLeafHashes(range.subspan(lo - begin, hi - lo));
    return true;
  }
  const uint64_t mid = lo + internal::SplitPoint(hi - lo);
  Hash left;
  Hash right;
  if (!FoldRange(lo, mid, begin, range, proof, next, left) ||
      !FoldRange(mid, hi, begin, range, proof, next, right)) {
    return false;
  }
  out = NodeHash(left, right);
  return true;
}

}  // namespace

absl::StatusOr<Hash> RootFromRange(uint64_t begin, uint64_t tree_size,
                                   std::span<const Hash> range_leaf_hashes,
                                   std::span<const Hash> proof) {
  TASKGATE_RETURN_IF_ERROR(internal::CheckRangeArgs(
      begin, begin + range_leaf_hashes.size(), tree_size));
  size_t next = 0;
  Hash root;
  if (!FoldRange(0, tree_size, begin, range_leaf_hashes, proof, next, root) ||
      next != proof.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("range proof of leaves [", begin, ", ",
                     begin + range_leaf_hashes.size(), ") in a tree of size ",
                     tree_size, " has ", proof.size(),
                     " hashes, which is not the number the range "
                     "needs"));
  }
  return root;
}

// RFC 9162 §2.1.3.2. `fn` is the node index of the running hash at the
// current level and `sn` the index of the last node of that level; a node
// with an odd index, or the last node of its level, is a right child (or has
// no sibling at this level and is carried up unchanged: the shifts skip the
// levels where the running node is a lone rightmost node).
bool VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                     std::span<const Hash> proof, const Hash& root) {
  if (index >= tree_size) return false;
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;  // More hashes than levels.
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

// RFC 9162 §2.1.4.2. Two running hashes: `fr` rebuilds the old root from the
// proof and `sr` the new root; hashes to the right of the old tree's last
// leaf feed only `sr`.
bool VerifyConsistency(uint64_t old_size, uint64_t new_size,
                       const Hash& old_root, const Hash& new_root,
                       std::span<const Hash> proof) {
  if (old_size == 0 || old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (proof.empty()) return false;

  // When the old tree is a complete subtree, the proof leaves out its root
  // (the verifier has it), so the walk starts from `old_root`.
  const bool old_is_complete = std::has_single_bit(old_size);
  std::span<const Hash> rest = proof;
  Hash start = old_root;
  if (!old_is_complete) {
    start = proof.front();
    rest = proof.subspan(1);
  }

  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = start;
  Hash sr = start;
  for (const Hash& c : rest) {
    if (sn == 0) return false;  // More hashes than levels.
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == old_root && sr == new_root;
}

std::string ToHex(const Hash& hash) { return BytesToHex(View(hash)); }

std::string BytesToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<std::string> HexToBytes(std::string_view hex) {
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::optional<Hash> HashFromHex(std::string_view hex) {
  std::optional<std::string> bytes = HexToBytes(hex);
  Hash h{};
  if (!bytes.has_value() || bytes->size() != h.size()) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

}  // namespace taskgate::audit
