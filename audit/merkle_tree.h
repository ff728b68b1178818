// An append-only RFC 6962 Merkle tree over leaf hashes that answers roots and
// proofs for every size it has had, without rehashing the log.
//
// It keeps, for each level h, the hashes of all complete subtrees of 2^h
// leaves seen so far (level 0 holds the leaf hashes). Every root or proof
// node is either such a complete node, found by index, or the right edge of
// a smaller tree, folded from at most log2(n) complete nodes. So `Root(size)`
// costs O(log n) lookups and hashes, and a proof O(log n) lookups plus
// O(log^2 n) hashes at worst; `Append` costs one hash per completed subtree
// (amortized one).
//
// Memory: just under 2 hashes (64 bytes) per leaf, plus the slack of the
// per-level vectors' growth (up to twice that until `Reserve` is used): about
// 64 to 128 MiB for a million events.
//
// Thread-safety: not synchronized. Const methods may run concurrently with
// each other; `Append` and `Reserve` need exclusive access, so callers that
// append while serving proofs hold a lock (e.g. an absl::Mutex, shared for
// reads).
#ifndef TASKGATE_AUDIT_MERKLE_TREE_H_
#define TASKGATE_AUDIT_MERKLE_TREE_H_

#include <cstdint>
#include <span>
#include <vector>

#include <absl/status/statusor.h>

#include "audit/merkle.h"

namespace taskgate::audit {

class MerkleTree final {
 public:
  MerkleTree() = default;
  // Builds the tree of `leaf_hashes`, in order.
  explicit MerkleTree(std::span<const Hash> leaf_hashes);

  // Appends the next leaf (its RFC 6962 leaf hash, see `LeafHash`).
  void Append(const Hash& leaf_hash);

  // Reserves room for `leaf_count` leaves in total, so that growing to that
  // size does not reallocate.
  void Reserve(uint64_t leaf_count);

  // The number of leaves appended.
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // The leaf hash at `index`; requires index < size().
  const Hash& leaf_hash(uint64_t index) const { return levels_[0][index]; }

  // The root of the current tree (SHA-256 of "" when empty).
  Hash Root() const;

  // The root of the tree of the first `tree_size` leaves. INVALID_ARGUMENT
  // when tree_size > size().
  absl::StatusOr<Hash> Root(uint64_t tree_size) const;

  // PATH(index, D[tree_size]), as `merkle::InclusionProof` over the first
  // `tree_size` leaves. INVALID_ARGUMENT unless index < tree_size <= size().
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index,
                                                   uint64_t tree_size) const;

  // PROOF(old_size, D[new_size]), as `merkle::ConsistencyProof` over the
  // first `new_size` leaves. INVALID_ARGUMENT unless
  // 0 < old_size <= new_size <= size().
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size,
                                                     uint64_t new_size) const;

  // The range proof of leaves [begin, end) as `merkle::RangeProof` over the
  // first `tree_size` leaves. INVALID_ARGUMENT unless
  // begin < end <= tree_size <= size().
  absl::StatusOr<std::vector<Hash>> RangeProof(uint64_t begin, uint64_t end,
                                               uint64_t tree_size) const;

 private:
  // MTH(D[lo:hi]) for lo a multiple of a power of two >= hi - lo and
  // lo < hi <= size(): the ranges the RFC's recursion produces.
  Hash SubtreeHash(uint64_t lo, uint64_t hi) const;

  // levels_[h][i] is the root of leaves [i * 2^h, (i + 1) * 2^h).
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_MERKLE_TREE_H_
