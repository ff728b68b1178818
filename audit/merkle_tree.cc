#include "audit/merkle_tree.h"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "audit/internal/merkle_walk.h"
#include "audit/merkle.h"
#include "common/status_macros.h"

namespace taskgate::audit {
namespace {

absl::Status CheckTreeSize(uint64_t tree_size, uint64_t size) {
  if (tree_size > size) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree size ", tree_size, " is larger than the log (", size,
                     " leaves); ask for a size the log has reached"));
  }
  return absl::OkStatus();
}

}  // namespace

MerkleTree::MerkleTree(std::span<const Hash> leaf_hashes) {
  Reserve(leaf_hashes.size());
  for (const Hash& leaf : leaf_hashes) Append(leaf);
}

void MerkleTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // A level that reaches an even count has just completed a pair: its parent
  // is complete too, and so on up.
  for (size_t h = 0; levels_[h].size() % 2 == 0; ++h) {
    if (h + 1 == levels_.size()) levels_.emplace_back();
    const std::vector<Hash>& level = levels_[h];
    const Hash parent = NodeHash(level[level.size() - 2], level.back());
    levels_[h + 1].push_back(parent);
  }
}

void MerkleTree::Reserve(uint64_t leaf_count) {
  for (size_t h = 0; (leaf_count >> h) > 0; ++h) {
    if (h == levels_.size()) levels_.emplace_back();
    levels_[h].reserve(leaf_count >> h);
  }
}

Hash MerkleTree::Root() const {
  if (size() == 0) return Sha256("");
  return SubtreeHash(0, size());
}

absl::StatusOr<Hash> MerkleTree::Root(uint64_t tree_size) const {
  TASKGATE_RETURN_IF_ERROR(CheckTreeSize(tree_size, size()));
  if (tree_size == 0) return Sha256("");
  return SubtreeHash(0, tree_size);
}

absl::StatusOr<std::vector<Hash>> MerkleTree::InclusionProof(
    uint64_t index, uint64_t tree_size) const {
  TASKGATE_RETURN_IF_ERROR(CheckTreeSize(tree_size, size()));
  TASKGATE_RETURN_IF_ERROR(internal::CheckInclusionArgs(index, tree_size));
  return internal::InclusionPath(
      index, tree_size,
      [this](uint64_t lo, uint64_t hi) { return SubtreeHash(lo, hi); });
}

absl::StatusOr<std::vector<Hash>> MerkleTree::ConsistencyProof(
    uint64_t old_size, uint64_t new_size) const {
  TASKGATE_RETURN_IF_ERROR(CheckTreeSize(new_size, size()));
  TASKGATE_RETURN_IF_ERROR(internal::CheckConsistencyArgs(old_size, new_size));
  return internal::ConsistencyPath(
      old_size, new_size,
      [this](uint64_t lo, uint64_t hi) { return SubtreeHash(lo, hi); });
}

absl::StatusOr<std::vector<Hash>> MerkleTree::RangeProof(
    uint64_t begin, uint64_t end, uint64_t tree_size) const {
  TASKGATE_RETURN_IF_ERROR(CheckTreeSize(tree_size, size()));
  TASKGATE_RETURN_IF_ERROR(internal::CheckRangeArgs(begin, end, tree_size));
  auto subtree = [this](uint64_t lo, uint64_t hi) {
    return SubtreeHash(lo, hi);
  };
  std::vector<Hash> proof;
  internal::RangePath(0, tree_size, begin, end, subtree, proof);
  return proof;
}

Hash MerkleTree::SubtreeHash(uint64_t lo, uint64_t hi) const {
  // Split [lo, hi) into complete subtrees, largest (leftmost) first: one per
  // set bit of the width. `lo`'s alignment keeps each piece aligned.
  std::array<const Hash*, 64> pieces;
  size_t count = 0;
  uint64_t pos = lo;
  const uint64_t width = hi - lo;
  for (int h = 63; h >= 0; --h) {
    const uint64_t span = uint64_t{1} << h;
    if ((width & span) == 0) continue;
    pieces[count++] = &levels_[h][pos >> h];
    pos += span;
  }
  // The RFC splits off the largest power of two on the left each time, so
  // the pieces fold from the right.
  Hash root = *pieces[count - 1];
  for (size_t i = count - 1; i-- > 0;) root = NodeHash(*pieces[i], root);
  return root;
}

}  // namespace taskgate::audit
