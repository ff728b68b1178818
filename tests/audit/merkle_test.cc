#include "audit/merkle.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/sha.h>

namespace taskgate::audit {
namespace {

// Test-local SHA-256 through OpenSSL's one-shot API, so that the expected
// values do not come from the code under test.
Hash OneShotSha256(std::string_view data) {
  Hash out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         out.data());
  return out;
}

std::string Bytes(const Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    auto nibble = [](char c) {
      return (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
    };
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

// RFC 6962 §2.1, transcribed as written: the tree hash of D[lo:hi] over raw
// leaf hashes, split at the largest power of two smaller than n.
Hash NaiveMth(const std::vector<Hash>& leaf_hashes, size_t lo, size_t hi) {
  const size_t n = hi - lo;
  if (n == 0) return OneShotSha256("");
  if (n == 1) return leaf_hashes[lo];
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return OneShotSha256(std::string(1, '\x01') +
                       Bytes(NaiveMth(leaf_hashes, lo, lo + k)) +
                       Bytes(NaiveMth(leaf_hashes, lo + k, hi)));
}

std::vector<Hash> DistinctLeafHashes(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(
        OneShotSha256(std::string(1, '\0') + "leaf-" + std::to_string(i)));
  }
  return out;
}

TEST(Merkle, Sha256OfEmptyStringIsKnownValue) {
  EXPECT_EQ(ToHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, Sha256OfAbcIsKnownValue) {
  // FIPS 180-2 appendix B.1.
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Merkle, EmptyTreeRootIsSha256OfEmptyString) {
  EXPECT_EQ(RootFromLeafHashes({}), OneShotSha256(""));
  EXPECT_EQ(ToHex(RootFromLeafHashes({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, LeafHashPrefixesZeroByte) {
  const std::string leaf = "some leaf\x01\x00 bytes";
  EXPECT_EQ(LeafHash(leaf), OneShotSha256(std::string(1, '\x00') + leaf));
  EXPECT_NE(LeafHash(leaf), OneShotSha256(leaf));
}

TEST(Merkle, LeafHashOfEmptyLeafHashesOnlyThePrefix) {
  EXPECT_EQ(LeafHash(""), OneShotSha256(std::string(1, '\x00')));
}

TEST(Merkle, LeafHashKeepsEmbeddedNulBytes) {
  const std::string leaf("a\0b", 3);
  EXPECT_EQ(LeafHash(leaf), OneShotSha256(std::string("\0a\0b", 4)));
}

TEST(Merkle, NodeHashPrefixesOneByteThenLeftThenRight) {
  const Hash left = OneShotSha256("left");
  const Hash right = OneShotSha256("right");
  EXPECT_EQ(NodeHash(left, right),
            OneShotSha256(std::string(1, '\x01') + Bytes(left) + Bytes(right)));
  EXPECT_NE(NodeHash(left, right), NodeHash(right, left));
}

TEST(Merkle, SingleLeafTreeRootIsTheLeafHash) {
  const Hash leaf = LeafHash("only");
  EXPECT_EQ(RootFromLeafHashes(std::vector<Hash>{leaf}), leaf);
}

// The Certificate Transparency reference test vectors (the eight leaves of
// its merkle_tree_test), checked with python3 hashlib before being written
// here.
TEST(Merkle, MatchesCertificateTransparencyTestVectors) {
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
  const std::vector<std::string> roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  std::vector<Hash> leaf_hashes;
  for (size_t n = 1; n <= leaves.size(); ++n) {
    leaf_hashes.push_back(LeafHash(FromHex(leaves[n - 1])));
    EXPECT_EQ(ToHex(RootFromLeafHashes(leaf_hashes)), roots[n - 1])
        << "tree of " << n << " leaves";
  }
}

TEST(Merkle, RootMatchesNaiveRecursionForEverySizeUpTo70) {
  const std::vector<Hash> all = DistinctLeafHashes(70);
  for (size_t n = 0; n <= all.size(); ++n) {
    const std::vector<Hash> leaves(all.begin(), all.begin() + n);
    EXPECT_EQ(RootFromLeafHashes(leaves), NaiveMth(leaves, 0, n))
        << "tree of " << n << " leaves";
  }
}

TEST(Merkle, RootMatchesNaiveRecursionForLargeTree) {
  for (size_t n : {1000u, 1024u, 1025u}) {
    const std::vector<Hash> leaves = DistinctLeafHashes(n);
    EXPECT_EQ(RootFromLeafHashes(leaves), NaiveMth(leaves, 0, n))
        << "tree of " << n << " leaves";
  }
}

TEST(Merkle, RootDependsOnLeafOrder) {
  std::vector<Hash> leaves = DistinctLeafHashes(5);
  const Hash before = RootFromLeafHashes(leaves);
  std::swap(leaves[3], leaves[4]);
  EXPECT_NE(RootFromLeafHashes(leaves), before);
}

TEST(Merkle, ToHexIsLowerCaseTwoDigitsPerByte) {
  Hash h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i * 8);
  h[31] = 0xff;
  EXPECT_EQ(ToHex(h),
            "0008101820283038404850586068707880889098a0a8b0b8c0c8d0d8e0e8f0ff");
}

TEST(Merkle, ToHexOfZeroHashIsSixtyFourZeros) {
  EXPECT_EQ(ToHex(Hash{}), std::string(64, '0'));
}

TEST(Merkle, HexRoundTripsAndRefusesWhatIsNotHex) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(BytesToHex(bytes), "0001abff");
  EXPECT_EQ(HexToBytes("0001ABff"), bytes);
  EXPECT_EQ(HexToBytes(""), "");
  EXPECT_EQ(HexToBytes("abc"), std::nullopt);  // odd length
  EXPECT_EQ(HexToBytes("0g"), std::nullopt);
  const Hash h = Sha256("abc");
  EXPECT_EQ(HashFromHex(ToHex(h)), h);
  EXPECT_EQ(HashFromHex(ToHex(h).substr(2)), std::nullopt);  // 31 bytes
}

}  // namespace
}  // namespace taskgate::audit
