// The descent through an RFC 6962 tree that both the span functions of
// common/merkle.h and `MerkleTree` use to build proofs. They differ only in
// how they obtain the hash of a subtree, which is passed in. Header-only,
// stateless, thread-safe. Not part of the public API.
#ifndef TASKGATE_AUDIT_INTERNAL_MERKLE_WALK_H_
#define TASKGATE_AUDIT_INTERNAL_MERKLE_WALK_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

#include "audit/merkle.h"

namespace taskgate::audit::internal {

// The largest power of two strictly smaller than `n`; `n` >= 2. This is the
// RFC's split point k between the left and right subtrees.
inline uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

inline absl::Status CheckInclusionArgs(uint64_t index, uint64_t tree_size) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf index ", index, " is outside a tree of size ",
                     tree_size, "; ask for an index below the tree size"));
  }
  return absl::OkStatus();
}

inline absl::Status CheckConsistencyArgs(uint64_t old_size, uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consistency between tree sizes ", old_size, " and ", new_size,
        " is undefined; the old size must be at least 1 and at most the new "
        "size"));
  }
  return absl::OkStatus();
}

// PATH(index, D[tree_size]) of RFC 6962 §2.1.1, where `subtree(lo, hi)`
// returns MTH(D[lo:hi]). The recursion is unrolled top-down, collecting the
// sibling at each level, and reversed so that the deepest sibling is first.
// Every range passed to `subtree` is either a complete power-of-two subtree
// aligned to its size or ends at `tree_size` and starts at a multiple of a
// power of two no smaller than its width. Requires index < tree_size.
template <typename SubtreeFn>
std::vector<Hash> InclusionPath(uint64_t index, uint64_t tree_size,
                                SubtreeFn&& subtree) {
  std::vector<Hash> path;
  uint64_t lo = 0;
  uint64_t hi = tree_size;
  while (hi - lo > 1) {
    const uint64_t mid = lo + SplitPoint(hi - lo);
    if (index < mid) {
      path.push_back(subtree(mid, hi));
      hi = mid;
    } else {
      path.push_back(subtree(lo, mid));
      lo = mid;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

// PROOF(old_size, D[new_size]) = SUBPROOF(old_size, D[new_size], true) of RFC
// 6962 §2.1.2, unrolled like `InclusionPath`. `old_size` stays absolute and
// the current subtree is D[lo:hi]. `on_left_edge` is the RFC's flag b: while
// it holds, D[lo:old_size] is the whole old tree, whose root the verifier
// already has, so it is left out of the proof.
// Requires 0 < old_size <= new_size.
template <typename SubtreeFn>
std::vector<Hash> ConsistencyPath(uint64_t old_size, uint64_t new_size,
                                  SubtreeFn&& subtree) {
  std::vector<Hash> proof;
  uint64_t lo = 0;
  uint64_t hi = new_size;
  bool on_left_edge = true;
  while (old_size != hi) {
    const uint64_t mid = lo + SplitPoint(hi - lo);
    if (old_size <= mid) {
      proof.push_back(subtree(mid, hi));
      hi = mid;
    } else {
      proof.push_back(subtree(lo, mid));
      lo = mid;
      on_left_edge = false;
    }
  }
  if (!on_left_edge) proof.push_back(subtree(lo, hi));
  std::reverse(proof.begin(), proof.end());
  return proof;
}

inline absl::Status CheckRangeArgs(uint64_t begin, uint64_t end,
                                   uint64_t tree_size) {
  if (begin >= end || end > tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf range [", begin, ", ", end,
                     ") is not a non-empty range inside a "
                     "tree of size ",
                     tree_size, "; ask for begin < end <= tree size"));
  }
  return absl::OkStatus();
}

// The range proof of D[begin:end] in D[lo:hi] (start with 0, tree_size):
// the hashes of the largest subtrees of the RFC's recursion that lie wholly
// outside the range, left to right. With them and the range's own leaves a
// verifier recomputes the root, so the range is bound to its positions the
// way an audit path binds one leaf. At most about 2 log2(n) hashes. The
// ranges passed to `subtree` are those the RFC's recursion produces, as for
// `InclusionPath`.
template <typename SubtreeFn>
void RangePath(uint64_t lo, uint64_t hi, uint64_t begin, uint64_t end,
               SubtreeFn& subtree, std::vector<Hash>& proof) {
  if (hi <= begin || end <= lo) {
    proof.push_back(subtree(lo, hi));
    return;
  }
  if (begin <= lo && hi <= end) return;
  // Partly inside, so at least two leaves wide.
  const uint64_t mid = lo + SplitPoint(hi - lo);
  RangePath(lo, mid, begin, end, subtree, proof);
  RangePath(mid, hi, begin, end, subtree, proof);
}

}  // namespace taskgate::audit::internal

#endif  // TASKGATE_AUDIT_INTERNAL_MERKLE_WALK_H_
