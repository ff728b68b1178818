// Inclusion, consistency and range proofs (audit/merkle.h) and the
// incremental tree (audit/merkle_tree.h), checked against a naive
// transcription of RFC 6962's PATH and SUBPROOF written here, and against the
// Certificate Transparency vectors for its eight-leaf test tree. One piece:
// the naive reference is the oracle every test here compares with.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "audit/merkle.h"
#include "audit/merkle_tree.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::audit {
namespace {

using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ----------------------------------------------- independent reference code

// Test-local SHA-256 through OpenSSL's one-shot API, so that expected values
// do not come from the code under test.
Hash OneShotSha256(std::string_view data) {
  Hash out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         out.data());
  return out;
}

std::string Bytes(const Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

Hash FromHex(std::string_view hex) {
  Hash out{};
  auto nibble = [](char c) {
    return (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] =
        static_cast<uint8_t>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
  }
  return out;
}

std::string RawFromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(
        std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

using Leaves = std::vector<Hash>;

// D[lo:hi] as a new list, to keep the recursions below literal.
Leaves Slice(const Leaves& d, size_t lo, size_t hi) {
  return Leaves(d.begin() + lo, d.begin() + hi);
}

// The largest power of two smaller than n, found by counting up as the RFC
// states it.
size_t LargestPowerOfTwoBelow(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// RFC 6962 §2.1: MTH.
Hash Mth(const Leaves& d) {
  if (d.empty()) return OneShotSha256("");
  if (d.size() == 1) return d[0];
  const size_t k = LargestPowerOfTwoBelow(d.size());
  return OneShotSha256(std::string(1, '\x01') + Bytes(Mth(Slice(d, 0, k))) +
                       Bytes(Mth(Slice(d, k, d.size()))));
}

// RFC 6962 §2.1.1: PATH(m, D[n]).
Leaves Path(size_t m, const Leaves& d) {
  const size_t n = d.size();
  if (n == 1) return {};
  const size_t k = LargestPowerOfTwoBelow(n);
  Leaves out;
  if (m < k) {
    out = Path(m, Slice(d, 0, k));
    out.push_back(Mth(Slice(d, k, n)));
  } else {
    out = Path(m - k, Slice(d, k, n));
    out.push_back(Mth(Slice(d, 0, k)));
  }
  return out;
}

// RFC 6962 §2.1.2: SUBPROOF(m, D[n], b) and PROOF(m, D[n]).
Leaves Subproof(size_t m, const Leaves& d, bool b) {
  const size_t n = d.size();
  if (m == n) return b ? Leaves{} : Leaves{Mth(d)};
  const size_t k = LargestPowerOfTwoBelow(n);
  Leaves out;
  if (m <= k) {
    out = Subproof(m, Slice(d, 0, k), b);
    out.push_back(Mth(Slice(d, k, n)));
  } else {
    out = Subproof(m - k, Slice(d, k, n), false);
    out.push_back(Mth(Slice(d, 0, k)));
  }
  return out;
}

Leaves NaiveConsistency(size_t m, const Leaves& d) {
  return Subproof(m, d, true);
}

Leaves DistinctLeafHashes(size_t n) {
  Leaves out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(
        OneShotSha256(std::string(1, '\0') + "event-" + std::to_string(i)));
  }
  return out;
}

Hash Flipped(Hash h, size_t byte = 0) {
  h[byte] ^= 0x01;
  return h;
}

constexpr size_t kMaxSmallSize = 64;

// ------------------------------------------------ span functions vs. naive

TEST(MerkleProof, InclusionProofsEqualNaivePathForEverySizeUpTo64) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  int checked = 0;
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(const Leaves proof, InclusionProof(d, i));
      EXPECT_EQ(proof, Path(i, d)) << "leaf " << i << " of " << n;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 64 * 65 / 2);
}

TEST(MerkleProof, ConsistencyProofsEqualNaiveSubproofForEverySizeUpTo64) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  int checked = 0;
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    for (size_t m = 1; m <= n; ++m) {
      ASSERT_OK_AND_ASSIGN(const Leaves proof, ConsistencyProof(d, m));
      EXPECT_EQ(proof, NaiveConsistency(m, d)) << "sizes " << m << ", " << n;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 64 * 65 / 2);
}

TEST(MerkleProof, InclusionProofLengthIsPathDepth) {
  const Leaves d = DistinctLeafHashes(5);
  // Leaves 0-3 sit under the complete left subtree of 4, leaf 4 alone on the
  // right: three and one siblings.
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(const Leaves proof, InclusionProof(d, i));
    EXPECT_EQ(proof.size(), 3u) << "leaf " << i;
  }
  ASSERT_OK_AND_ASSIGN(const Leaves last, InclusionProof(d, 4));
  EXPECT_EQ(last, Leaves{Mth(Slice(d, 0, 4))});
}

TEST(MerkleProof, SingleLeafTreeHasEmptyInclusionProof) {
  const Leaves d = DistinctLeafHashes(1);
  ASSERT_OK_AND_ASSIGN(const Leaves proof, InclusionProof(d, 0));
  EXPECT_THAT(proof, IsEmpty());
  EXPECT_TRUE(VerifyInclusion(0, 1, d[0], proof, d[0]));
}

TEST(MerkleProof, ConsistencyWithItselfIsEmptyProof) {
  const Leaves d = DistinctLeafHashes(7);
  ASSERT_OK_AND_ASSIGN(const Leaves proof, ConsistencyProof(d, 7));
  EXPECT_THAT(proof, IsEmpty());
  EXPECT_TRUE(VerifyConsistency(7, 7, Mth(d), Mth(d), proof));
  EXPECT_FALSE(VerifyConsistency(7, 7, Mth(d), Flipped(Mth(d)), proof));
  EXPECT_FALSE(VerifyConsistency(7, 7, Mth(d), Mth(d), Leaves{d[0]}));
}

TEST(MerkleProof, InclusionProofRejectsIndexOutsideTree) {
  const Leaves d = DistinctLeafHashes(3);
  EXPECT_THAT(InclusionProof(d, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leaf index 3 is outside a tree of size 3")));
  EXPECT_THAT(InclusionProof({}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leaf index 0 is outside a tree of size 0")));
}

TEST(MerkleProof, ConsistencyProofRejectsZeroOrTooLargeOldSize) {
  const Leaves d = DistinctLeafHashes(3);
  EXPECT_THAT(ConsistencyProof(d, 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("between tree sizes 0 and 3")));
  EXPECT_THAT(ConsistencyProof(d, 4),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("between tree sizes 4 and 3")));
}

// ------------------------------------------------------ inclusion verifier

TEST(MerkleProof, EveryInclusionProofVerifiesUpTo64) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash root = Mth(d);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(VerifyInclusion(i, n, d[i], Path(i, d), root))
          << "leaf " << i << " of " << n;
    }
  }
}

TEST(MerkleProof, InclusionFailsWhenAnyProofHashIsFlipped) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 2; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash root = Mth(d);
    for (size_t i = 0; i < n; ++i) {
      const Leaves proof = Path(i, d);
      for (size_t j = 0; j < proof.size(); ++j) {
        Leaves bad = proof;
        bad[j] = Flipped(bad[j], j % 32);
        EXPECT_FALSE(VerifyInclusion(i, n, d[i], bad, root))
            << "leaf " << i << " of " << n << ", hash " << j;
      }
    }
  }
}

TEST(MerkleProof, InclusionFailsWithWrongLeafOrRoot) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash root = Mth(d);
    for (size_t i = 0; i < n; ++i) {
      const Leaves proof = Path(i, d);
      EXPECT_FALSE(VerifyInclusion(i, n, Flipped(d[i]), proof, root))
          << "leaf " << i << " of " << n;
      EXPECT_FALSE(VerifyInclusion(i, n, d[i], proof, Flipped(root, 31)))
          << "leaf " << i << " of " << n;
    }
  }
}

TEST(MerkleProof, InclusionFailsWithWrongIndexInSameTree) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 2; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash root = Mth(d);
    for (size_t i = 0; i < n; ++i) {
      const Leaves proof = Path(i, d);
      for (size_t wrong = 0; wrong < n + 2; ++wrong) {
        if (wrong == i) continue;
        EXPECT_FALSE(VerifyInclusion(wrong, n, d[i], proof, root))
            << "leaf " << i << " of " << n << " claimed as " << wrong;
      }
    }
  }
}

// A proof for one tree size does not prove inclusion in a tree of another
// size, whose root is taken from that size's checkpoint.
TEST(MerkleProof, InclusionFailsAgainstAnotherTreeSize) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize + 1);
  std::vector<Hash> roots;
  for (size_t n = 0; n <= kMaxSmallSize + 1; ++n) {
    roots.push_back(Mth(Slice(all, 0, n)));
  }
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    for (size_t i = 0; i < n; ++i) {
      const Leaves proof = Path(i, d);
      for (size_t other : {n - 1, n + 1}) {
        EXPECT_FALSE(VerifyInclusion(i, other, d[i], proof, roots[other]))
            << "leaf " << i << " of " << n << " claimed in " << other;
      }
    }
  }
}

TEST(MerkleProof, InclusionFailsWithMissingOrExtraProofHash) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash root = Mth(d);
    for (size_t i = 0; i < n; ++i) {
      Leaves longer = Path(i, d);
      longer.push_back(root);
      EXPECT_FALSE(VerifyInclusion(i, n, d[i], longer, root))
          << "leaf " << i << " of " << n;
      if (n > 1) {
        Leaves shorter = Path(i, d);
        shorter.pop_back();
        EXPECT_FALSE(VerifyInclusion(i, n, d[i], shorter, root))
            << "leaf " << i << " of " << n;
      }
    }
  }
}

TEST(MerkleProof, InclusionFailsForEmptyTreeOrIndexPastEnd) {
  const Leaves d = DistinctLeafHashes(1);
  EXPECT_FALSE(VerifyInclusion(0, 0, d[0], {}, d[0]));
  EXPECT_FALSE(VerifyInclusion(1, 1, d[0], {}, d[0]));
}

// ---------------------------------------------------- consistency verifier

TEST(MerkleProof, EveryConsistencyProofVerifiesUpTo64) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash new_root = Mth(d);
    for (size_t m = 1; m <= n; ++m) {
      EXPECT_TRUE(VerifyConsistency(m, n, Mth(Slice(d, 0, m)), new_root,
                                    NaiveConsistency(m, d)))
          << "sizes " << m << ", " << n;
    }
  }
}

TEST(MerkleProof, ConsistencyFailsWhenAnyProofHashIsFlipped) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 2; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash new_root = Mth(d);
    for (size_t m = 1; m < n; ++m) {
      const Hash old_root = Mth(Slice(d, 0, m));
      const Leaves proof = NaiveConsistency(m, d);
      for (size_t j = 0; j < proof.size(); ++j) {
        Leaves bad = proof;
        bad[j] = Flipped(bad[j], j % 32);
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, bad))
            << "sizes " << m << ", " << n << ", hash " << j;
      }
    }
  }
}

TEST(MerkleProof, ConsistencyFailsWithWrongRoots) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash new_root = Mth(d);
    for (size_t m = 1; m <= n; ++m) {
      const Hash old_root = Mth(Slice(d, 0, m));
      const Leaves proof = NaiveConsistency(m, d);
      EXPECT_FALSE(VerifyConsistency(m, n, Flipped(old_root), new_root, proof))
          << "sizes " << m << ", " << n;
      EXPECT_FALSE(
          VerifyConsistency(m, n, old_root, Flipped(new_root, 31), proof))
          << "sizes " << m << ", " << n;
    }
  }
}

// A tree whose old part was rewritten is not consistent with the old root.
TEST(MerkleProof, ConsistencyFailsWhenOldLeafWasRewritten) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 2; n <= kMaxSmallSize; ++n) {
    for (size_t m = 1; m < n; ++m) {
      const Hash old_root = Mth(Slice(all, 0, m));
      for (size_t edited : {size_t{0}, m - 1}) {
        Leaves d = Slice(all, 0, n);
        d[edited] = Flipped(d[edited]);
        EXPECT_FALSE(
            VerifyConsistency(m, n, old_root, Mth(d), NaiveConsistency(m, d)))
            << "sizes " << m << ", " << n << ", edited " << edited;
      }
    }
  }
}

// A proof between sizes (m, n) proves nothing about other sizes, even with
// their genuine roots.
TEST(MerkleProof, ConsistencyFailsForOtherSizes) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize + 1);
  std::vector<Hash> roots;
  for (size_t n = 0; n <= kMaxSmallSize + 1; ++n) {
    roots.push_back(Mth(Slice(all, 0, n)));
  }
  for (size_t n = 2; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    for (size_t m = 1; m < n; ++m) {
      const Leaves proof = NaiveConsistency(m, d);
      for (size_t other_m : {m - 1, m + 1}) {
        EXPECT_FALSE(
            VerifyConsistency(other_m, n, roots[other_m], roots[n], proof))
            << "sizes " << m << ", " << n << " claimed as " << other_m;
      }
      for (size_t other_n : {n - 1, n + 1}) {
        EXPECT_FALSE(
            VerifyConsistency(m, other_n, roots[m], roots[other_n], proof))
            << "sizes " << m << ", " << n << " claimed as " << other_n;
      }
    }
  }
}

TEST(MerkleProof, ConsistencyFailsWithMissingOrExtraProofHash) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  for (size_t n = 2; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash new_root = Mth(d);
    for (size_t m = 1; m < n; ++m) {
      const Hash old_root = Mth(Slice(d, 0, m));
      Leaves longer = NaiveConsistency(m, d);
      longer.push_back(new_root);
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, longer))
          << "sizes " << m << ", " << n;
      Leaves shorter = NaiveConsistency(m, d);
      shorter.pop_back();
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, shorter))
          << "sizes " << m << ", " << n;
    }
  }
}

TEST(MerkleProof, ConsistencyFailsForZeroOrShrinkingSizes) {
  const Leaves d = DistinctLeafHashes(4);
  const Hash root = Mth(d);
  EXPECT_FALSE(VerifyConsistency(0, 4, OneShotSha256(""), root, {}));
  EXPECT_FALSE(VerifyConsistency(4, 3, root, Mth(Slice(d, 0, 3)),
                                 NaiveConsistency(3, d)));
}

// --------------------------------------------- Certificate Transparency
// vectors

// The leaves of the CT merkle_tree_test (hex of the leaf bytes); the proofs
// and roots below are its published vectors (leaf numbers there count from
// 1), recomputed with python3 hashlib before being written here.
Leaves CtLeafHashes() {
  const std::vector<std::string> leaves = {
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f",
  };
  Leaves out;
  for (const std::string& hex : leaves) {
    out.push_back(OneShotSha256(std::string(1, '\0') + RawFromHex(hex)));
  }
  return out;
}

Leaves HashesFromHex(const std::vector<std::string>& hex) {
  Leaves out;
  for (const std::string& h : hex) out.push_back(FromHex(h));
  return out;
}

struct InclusionVector {
  uint64_t index;
  uint64_t tree_size;
  std::vector<std::string> path;
  std::string root;
};

TEST(MerkleProof, MatchesCertificateTransparencyInclusionVectors) {
  const Leaves d = CtLeafHashes();
  const std::vector<InclusionVector> vectors = {
      {0,
       1,
       {},
       "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
       "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
       "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
      {2,
       3,
       {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
       "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
       "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"},
  };
  const MerkleTree tree(d);
  for (const InclusionVector& v : vectors) {
    const Leaves prefix = Slice(d, 0, v.tree_size);
    const Leaves expected = HashesFromHex(v.path);
    ASSERT_OK_AND_ASSIGN(const Leaves proof, InclusionProof(prefix, v.index));
    EXPECT_EQ(proof, expected) << "leaf " << v.index << " of " << v.tree_size;
    ASSERT_OK_AND_ASSIGN(const Leaves from_tree,
                         tree.InclusionProof(v.index, v.tree_size));
    EXPECT_EQ(from_tree, expected);
    ASSERT_OK_AND_ASSIGN(const Hash root, tree.Root(v.tree_size));
    EXPECT_EQ(ToHex(root), v.root);
    EXPECT_TRUE(VerifyInclusion(v.index, v.tree_size, d[v.index], expected,
                                FromHex(v.root)));
  }
}

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<std::string> proof;
  std::string old_root;
  std::string new_root;
};

TEST(MerkleProof, MatchesCertificateTransparencyConsistencyVectors) {
  const Leaves d = CtLeafHashes();
  const std::vector<ConsistencyVector> vectors = {
      {1,
       1,
       {},
       "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
       "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
       "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
       "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
       "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
       "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
       "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
       "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"},
  };
  const MerkleTree tree(d);
  for (const ConsistencyVector& v : vectors) {
    const Leaves prefix = Slice(d, 0, v.new_size);
    const Leaves expected = HashesFromHex(v.proof);
    ASSERT_OK_AND_ASSIGN(const Leaves proof,
                         ConsistencyProof(prefix, v.old_size));
    EXPECT_EQ(proof, expected) << "sizes " << v.old_size << ", " << v.new_size;
    ASSERT_OK_AND_ASSIGN(const Leaves from_tree,
                         tree.ConsistencyProof(v.old_size, v.new_size));
    EXPECT_EQ(from_tree, expected);
    EXPECT_EQ(ToHex(Mth(Slice(d, 0, v.old_size))), v.old_root);
    EXPECT_EQ(ToHex(Mth(prefix)), v.new_root);
    EXPECT_TRUE(VerifyConsistency(v.old_size, v.new_size, FromHex(v.old_root),
                                  FromHex(v.new_root), expected));
  }
}

// ------------------------------------------------------------ MerkleTree

TEST(MerkleTree, EmptyTreeHasSizeZeroAndEmptyStringRoot) {
  const MerkleTree tree;
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.Root(), OneShotSha256(""));
  ASSERT_OK_AND_ASSIGN(const Hash root, tree.Root(0));
  EXPECT_EQ(root, OneShotSha256(""));
}

TEST(MerkleTree, RootAfterEachAppendEqualsNaiveRoot) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  MerkleTree tree;
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    tree.Append(all[n - 1]);
    EXPECT_EQ(tree.size(), n);
    EXPECT_EQ(tree.leaf_hash(n - 1), all[n - 1]);
    EXPECT_EQ(tree.Root(), Mth(Slice(all, 0, n))) << "size " << n;
  }
}

// One tree of 64 leaves answers for every earlier size exactly as the span
// functions do over that prefix.
TEST(MerkleTree, HistoricalRootsAndProofsEqualSpanFunctionsUpTo64) {
  const Leaves all = DistinctLeafHashes(kMaxSmallSize);
  const MerkleTree tree(all);
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    const Leaves d = Slice(all, 0, n);
    ASSERT_OK_AND_ASSIGN(const Hash root, tree.Root(n));
    EXPECT_EQ(root, RootFromLeafHashes(d)) << "size " << n;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(const Leaves expected, InclusionProof(d, i));
      ASSERT_OK_AND_ASSIGN(const Leaves proof, tree.InclusionProof(i, n));
      EXPECT_EQ(proof, expected) << "leaf " << i << " of " << n;
    }
    for (size_t m = 1; m <= n; ++m) {
      ASSERT_OK_AND_ASSIGN(const Leaves expected, ConsistencyProof(d, m));
      ASSERT_OK_AND_ASSIGN(const Leaves proof, tree.ConsistencyProof(m, n));
      EXPECT_EQ(proof, expected) << "sizes " << m << ", " << n;
    }
  }
}

TEST(MerkleTree, GrowingTreeAnswersLikeTreeBuiltAtOnce) {
  const Leaves all = DistinctLeafHashes(37);
  MerkleTree grown;
  for (const Hash& h : all) grown.Append(h);
  const MerkleTree built(all);
  for (size_t n = 1; n <= all.size(); ++n) {
    for (size_t i = 0; i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(const Leaves a, grown.InclusionProof(i, n));
      ASSERT_OK_AND_ASSIGN(const Leaves b, built.InclusionProof(i, n));
      EXPECT_EQ(a, b) << "leaf " << i << " of " << n;
    }
  }
}

TEST(MerkleTree, LargeTreeMatchesSpanFunctionsAndNaivePath) {
  constexpr size_t kLarge = 100000;
  const Leaves all = DistinctLeafHashes(kLarge);
  MerkleTree tree;
  tree.Reserve(kLarge);
  for (const Hash& h : all) tree.Append(h);
  ASSERT_EQ(tree.size(), kLarge);
  EXPECT_EQ(tree.Root(), RootFromLeafHashes(all));

  const std::vector<uint64_t> sizes = {1,     2,     3,     1023,  1024,  1025,
                                       65535, 65536, 65537, 99999, kLarge};
  for (uint64_t n : sizes) {
    const std::span<const Hash> d(all.data(), n);
    const Hash root = RootFromLeafHashes(d);
    ASSERT_OK_AND_ASSIGN(const Hash tree_root, tree.Root(n));
    EXPECT_EQ(tree_root, root) << "size " << n;
    for (uint64_t i : {uint64_t{0}, n / 3, n / 2, n - 1}) {
      ASSERT_OK_AND_ASSIGN(const Leaves expected, InclusionProof(d, i));
      ASSERT_OK_AND_ASSIGN(const Leaves proof, tree.InclusionProof(i, n));
      EXPECT_EQ(proof, expected) << "leaf " << i << " of " << n;
      EXPECT_TRUE(VerifyInclusion(i, n, all[i], proof, root));
    }
    for (uint64_t m : {uint64_t{1}, n / 2 + 1, n - 1, n}) {
      if (m == 0) continue;
      ASSERT_OK_AND_ASSIGN(const Leaves expected, ConsistencyProof(d, m));
      ASSERT_OK_AND_ASSIGN(const Leaves proof, tree.ConsistencyProof(m, n));
      EXPECT_EQ(proof, expected) << "sizes " << m << ", " << n;
      const Hash old_root = RootFromLeafHashes(d.first(m));
      EXPECT_TRUE(VerifyConsistency(m, n, old_root, root, proof));
    }
  }
  // The naive recursion copies slices, so it is run on a few points only.
  for (uint64_t i : {uint64_t{0}, uint64_t{65536}, uint64_t{kLarge - 1}}) {
    ASSERT_OK_AND_ASSIGN(const Leaves proof, tree.InclusionProof(i, kLarge));
    EXPECT_EQ(proof, Path(i, all)) << "leaf " << i;
  }
  ASSERT_OK_AND_ASSIGN(const Leaves proof,
                       tree.ConsistencyProof(70001, kLarge));
  EXPECT_EQ(proof, NaiveConsistency(70001, all));
}

TEST(MerkleTree, RejectsSizesBeyondTheLog) {
  const MerkleTree tree(DistinctLeafHashes(5));
  EXPECT_THAT(tree.Root(6),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree size 6 is larger than the log (5")));
  EXPECT_THAT(tree.InclusionProof(0, 6),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree size 6 is larger than the log (5")));
  EXPECT_THAT(tree.InclusionProof(5, 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("leaf index 5 is outside a tree of size 5")));
  EXPECT_THAT(tree.ConsistencyProof(2, 6),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree size 6 is larger than the log (5")));
  EXPECT_THAT(tree.ConsistencyProof(0, 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("between tree sizes 0 and 5")));
  EXPECT_THAT(tree.ConsistencyProof(4, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("between tree sizes 4 and 3")));
}

// ------------------------------------------------------------ range proofs

// Every slice of every tree up to 32 leaves recomputes the naive MTH from its
// own leaves and its proof, and the cached tree proves it like the span code.
TEST(MerkleRange, EverySliceRecomputesTheNaiveRootUpTo32) {
  const Leaves all = DistinctLeafHashes(32);
  const MerkleTree tree(all);
  for (size_t n = 1; n <= all.size(); ++n) {
    const Leaves d = Slice(all, 0, n);
    const Hash root = Mth(d);
    for (size_t begin = 0; begin < n; ++begin) {
      for (size_t end = begin + 1; end <= n; ++end) {
        ASSERT_OK_AND_ASSIGN(const Leaves proof, RangeProof(d, begin, end));
        ASSERT_OK_AND_ASSIGN(const Leaves cached,
                             tree.RangeProof(begin, end, n));
        EXPECT_EQ(cached, proof) << "[" << begin << "," << end << ") of " << n;
        ASSERT_OK_AND_ASSIGN(
            const Hash got,
            RootFromRange(begin, n, Slice(d, begin, end), proof));
        EXPECT_EQ(got, root) << "[" << begin << "," << end << ") of " << n;
      }
    }
  }
}

TEST(MerkleRange, WholeTreeNeedsNoProofAndOneLeafNeedsItsPathLength) {
  const Leaves d = DistinctLeafHashes(13);
  ASSERT_OK_AND_ASSIGN(const Leaves whole, RangeProof(d, 0, 13));
  EXPECT_THAT(whole, IsEmpty());
  for (size_t i = 0; i < d.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(const Leaves one, RangeProof(d, i, i + 1));
    EXPECT_EQ(one.size(), Path(i, d).size()) << "leaf " << i;
  }
}

TEST(MerkleRange, ProofStaysLogarithmicInALargeTree) {
  const MerkleTree tree(DistinctLeafHashes(100000));
  ASSERT_OK_AND_ASSIGN(const Leaves proof,
                       tree.RangeProof(31000, 62000, 100000));
  EXPECT_LE(proof.size(), 2u * 17u);
  const Leaves all = DistinctLeafHashes(100000);
  ASSERT_OK_AND_ASSIGN(
      const Hash got,
      RootFromRange(31000, 100000, Slice(all, 31000, 62000), proof));
  EXPECT_EQ(got, RootFromLeafHashes(all));
}

TEST(MerkleRange, AlteredLeafOrProofHashGivesAnotherRoot) {
  const Leaves d = DistinctLeafHashes(21);
  const Hash root = Mth(d);
  ASSERT_OK_AND_ASSIGN(const Leaves proof, RangeProof(d, 5, 12));
  for (size_t i = 5; i < 12; ++i) {
    Leaves range = Slice(d, 5, 12);
    range[i - 5] = Flipped(range[i - 5]);
    ASSERT_OK_AND_ASSIGN(const Hash got, RootFromRange(5, 21, range, proof));
    EXPECT_NE(got, root) << "leaf " << i;
  }
  for (size_t i = 0; i < proof.size(); ++i) {
    Leaves bad = proof;
    bad[i] = Flipped(bad[i]);
    ASSERT_OK_AND_ASSIGN(const Hash got,
                         RootFromRange(5, 21, Slice(d, 5, 12), bad));
    EXPECT_NE(got, root) << "proof hash " << i;
  }
}

// A slice presented at another position, or with a leaf left out or
// swapped, never yields the signed root.
TEST(MerkleRange, MovedShortenedOrReorderedSliceNeverYieldsTheRoot) {
  const Leaves d = DistinctLeafHashes(21);
  const Hash root = Mth(d);
  ASSERT_OK_AND_ASSIGN(const Leaves proof, RangeProof(d, 5, 12));
  const auto never_root = [&](uint64_t begin, const Leaves& range) {
    const absl::StatusOr<Hash> got = RootFromRange(begin, 21, range, proof);
    return !got.ok() || *got != root;
  };
  EXPECT_TRUE(never_root(4, Slice(d, 5, 12)));
  EXPECT_TRUE(never_root(6, Slice(d, 5, 12)));
  EXPECT_TRUE(never_root(5, Slice(d, 5, 11)));
  Leaves swapped = Slice(d, 5, 12);
  std::swap(swapped[1], swapped[2]);
  EXPECT_TRUE(never_root(5, swapped));
}

TEST(MerkleRange, RejectsEmptyOrOutsideRangesAndWrongProofLength) {
  const Leaves d = DistinctLeafHashes(8);
  EXPECT_THAT(RangeProof(d, 3, 3), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("leaf range [3, 3)")));
  EXPECT_THAT(RangeProof(d, 2, 9), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("tree of size 8")));
  ASSERT_OK_AND_ASSIGN(Leaves proof, RangeProof(d, 2, 5));
  proof.push_back(d[0]);
  EXPECT_THAT(RootFromRange(2, 8, Slice(d, 2, 5), proof),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not the number the range needs")));
  proof.resize(proof.size() - 2);
  EXPECT_THAT(RootFromRange(2, 8, Slice(d, 2, 5), proof),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not the number the range needs")));
  EXPECT_THAT(MerkleTree(d).RangeProof(0, 4, 9),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tree size 9 is larger than the log (8")));
}

}  // namespace
}  // namespace taskgate::audit
