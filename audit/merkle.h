// RFC 6962 (Certificate Transparency) Merkle tree hashing over SHA-256.
//
//   leaf hash  = SHA-256(0x00 || leaf bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
//
// TaskGate's audit log is such a tree: each audit event's canonical encoding
// is one leaf. Pure functions over OpenSSL's EVP digest; thread-safe.
//
// Proofs follow RFC 6962 §2.1.1 (PATH, audit path) and §2.1.2 (PROOF,
// consistency proof); their verification follows RFC 9162 §2.1.3.2 and
// §2.1.4.2. A proof lists hashes from the bottom of the tree upwards. For
// serving proofs repeatedly from a growing log, use `MerkleTree`
// (common/merkle_tree.h); the span functions here rehash the leaves.
#ifndef TASKGATE_AUDIT_MERKLE_H_
#define TASKGATE_AUDIT_MERKLE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace taskgate::audit {

using Hash = std::array<uint8_t, 32>;

// Returns SHA-256 of `data`.
Hash Sha256(std::string_view data);

// Returns the RFC 6962 leaf hash of `leaf`.
Hash LeafHash(std::string_view leaf);

// Returns the RFC 6962 interior node hash of two children.
Hash NodeHash(const Hash& left, const Hash& right);

// Returns the Merkle tree hash (root) over `leaf_hashes`, in order; for an
// empty span, SHA-256 of the empty string. Linear time, O(log n) memory.
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// The root of a growing list of leaves in O(log n) memory: a left-to-right
// stack of perfect subtree roots. `Root()` after each `Append` is the root
// of the leaves so far; a verifier walks the log once and reads the roots
// at every checkpoint's size on the way.
class RootAccumulator {
 public:
  void Append(const Hash& leaf_hash);
  Hash Root() const;  // O(log n) hashes; SHA-256 of "" when empty
  uint64_t size() const { return size_; }

 private:
  std::vector<Hash> stack_;
  std::vector<int> heights_;  // heights_[i] is the height of stack_[i]
  uint64_t size_ = 0;
};

// Returns the RFC 6962 audit path PATH(index, D[n]) of leaf `index` in the
// tree of all of `leaf_hashes` (n = leaf_hashes.size()), bottom-up. Linear in
// n (every leaf is hashed into some subtree root once). INVALID_ARGUMENT when
// `index` >= n (which includes the empty tree).
absl::StatusOr<std::vector<Hash>> InclusionProof(
    std::span<const Hash> leaf_hashes, uint64_t index);

// Returns the RFC 6962 consistency proof PROOF(old_size, D[n]) between the
// tree of the first `old_size` leaves and the tree of all n of `leaf_hashes`.
// Empty when old_size == n. Linear in n. INVALID_ARGUMENT unless
// 0 < old_size <= n.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(
    std::span<const Hash> leaf_hashes, uint64_t old_size);

// Returns true when `proof` shows that `leaf_hash` is leaf `index` of the
// tree of `tree_size` leaves whose root is `root` (RFC 9162 §2.1.3.2). False
// for index >= tree_size, a proof of the wrong length, or any mismatch.
//
// Only the pair (`tree_size`, `root`) is bound by a signed checkpoint: the
// algorithm alone cannot tell every wrong `tree_size` from the right one when
// the caller also supplies the root of another size (the tree shapes can
// coincide), so callers take both from the same checkpoint.
bool VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                     std::span<const Hash> proof, const Hash& root);

// Returns true when `proof` shows that the tree of `old_size` leaves with
// root `old_root` is a prefix of the tree of `new_size` leaves with root
// `new_root` (RFC 9162 §2.1.4.2). Sizes must satisfy 0 < old_size <=
// new_size; for old_size == new_size the proof must be empty and the roots
// equal (RFC 9162 leaves that case to the caller; an empty tree, old_size 0,
// is trivially a prefix of anything and is rejected here as meaningless).
bool VerifyConsistency(uint64_t old_size, uint64_t new_size,
                       const Hash& old_root, const Hash& new_root,
                       std::span<const Hash> proof);

// Returns the range proof of leaves [begin, end) in the tree of all of
// `leaf_hashes`: the hashes of the largest subtrees of RFC 6962's recursion
// lying wholly outside the range, left to right (at most about 2 log2(n)).
// It lets a holder of only those leaves recompute the root, binding each to
// its position: a contiguous slice of the log (say, one month) proven
// against a signed checkpoint without the rest of the log. Linear in n.
// INVALID_ARGUMENT unless begin < end <= n.
absl::StatusOr<std::vector<Hash>> RangeProof(std::span<const Hash> leaf_hashes,
                                             uint64_t begin, uint64_t end);

// Returns the root of the tree of `tree_size` leaves whose leaves
// [begin, begin + range_leaf_hashes.size()) are `range_leaf_hashes`, from
// `proof` as `RangeProof` builds it. INVALID_ARGUMENT when the range is empty
// or runs past tree_size, or `proof` has too few or too many hashes. The
// caller compares the result with a trusted (signed) root of that size.
absl::StatusOr<Hash> RootFromRange(uint64_t begin, uint64_t tree_size,
                                   std::span<const Hash> range_leaf_hashes,
                                   std::span<const Hash> proof);

// Lower-case hex of `hash`.
std::string ToHex(const Hash& hash);

// Lower-case hex of any bytes.
std::string BytesToHex(std::string_view bytes);

// The bytes of a hex string (either case), or nullopt when it is not hex.
std::optional<std::string> HexToBytes(std::string_view hex);

// The hash of 64 hex digits, or nullopt.
std::optional<Hash> HashFromHex(std::string_view hex);

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_MERKLE_H_
