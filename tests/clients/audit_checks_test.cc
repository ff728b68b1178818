// The inspector's offline checks (clients/audit_checks.h) on their own,
// with no server: kept files that cannot be read or are not what they
// claim, and inclusion and consistency proofs checked against a kept
// checkpoint: good ones, ones that do not verify, a rewritten history and
// hashes that are not hex.
#include "clients/audit_checks.h"

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "audit/signing.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::clients {
namespace {

using ::taskgate::testing::StatusIs;
using ::testing::HasSubstr;

using Verdict = ConsistencyCheck::Verdict;

// Writes `text` to a fresh file under the test's temporary directory.
std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(::testing::TempDir(), name);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

// The proof `made` holds; a failure of the test (and none) when it failed.
std::vector<audit::Hash> Hashes(
    const absl::StatusOr<std::vector<audit::Hash>>& made) {
  if (!made.ok()) {
    ADD_FAILURE() << made.status();
    return {};
  }
  return *made;
}

class AuditChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 7; ++i) {
      leaves_.push_back(audit::LeafHash(absl::StrCat("event ", i)));
    }
  }

  // The root of the first `size` leaves.
  audit::Hash Root(size_t size) const {
    return audit::RootFromLeafHashes(
        std::span<const audit::Hash>(leaves_.data(), size));
  }

  // The checkpoint an auditor kept at `size`, as only its size and root
  // matter to the proofs.
  audit::Checkpoint Kept(int64_t size, const audit::Hash& root) const {
    audit::Checkpoint c;
    c.log_id = "taskgate/test";
    c.tree_size = size;
    c.root_hash = root;
    return c;
  }

  // The server's inclusion proof of `seq` in the tree of `size` leaves.
  v1::InclusionProof Inclusion(int64_t seq, int64_t size) const {
    v1::InclusionProof p;
    p.set_seq(seq);
    p.set_tree_size(size);
    p.set_leaf_hash(audit::ToHex(leaves_[seq - 1]));
    p.set_root_hash(audit::ToHex(Root(size)));
    for (const audit::Hash& h : Hashes(audit::InclusionProof(
             std::span<const audit::Hash>(leaves_.data(), size), seq - 1))) {
      p.add_proof(audit::ToHex(h));
    }
    return p;
  }

  // The server's consistency proof from `old_size` to all the leaves.
  v1::ConsistencyProof Consistency(int64_t old_size) const {
    v1::ConsistencyProof p;
    p.set_old_size(old_size);
    p.set_new_size(static_cast<int64_t>(leaves_.size()));
    p.set_old_root_hash(audit::ToHex(Root(old_size)));
    p.set_new_root_hash(audit::ToHex(Root(leaves_.size())));
    for (const audit::Hash& h :
         Hashes(audit::ConsistencyProof(leaves_, old_size))) {
      p.add_proof(audit::ToHex(h));
    }
    return p;
  }

  std::vector<audit::Hash> leaves_;
};

TEST_F(AuditChecksTest, MissingFilesAreInvalidArgumentsNamingThePath) {
  EXPECT_THAT(ReadKeptCheckpoint("/nonexistent/kept.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read /nonexistent/kept.json")));
  EXPECT_THAT(ReadPublicKey("/nonexistent/pub.pem"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read /nonexistent/pub.pem")));
  EXPECT_THAT(ReadBundle("/nonexistent/b.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read /nonexistent/b.json")));
}

TEST_F(AuditChecksTest, FilesOfTheWrongKindSayWhatTheyAreNot) {
  const std::string path = WriteTemp("audit-checks-not.json", "{\"a\": 1}\n");
  EXPECT_THAT(ReadKeptCheckpoint(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a kept checkpoint")));
  EXPECT_THAT(ReadPublicKey(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not the server's public key")));
  EXPECT_THAT(ReadBundle(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("is not a valid bundle")));
  std::remove(path.c_str());
}

TEST_F(AuditChecksTest, KeptCheckpointAndKeyReadBackAsWritten) {
  ASSERT_OK_AND_ASSIGN(audit::SigningKey key, audit::SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(
      audit::Checkpoint signed_cp,
      audit::SignCheckpoint("taskgate/test", 5, Root(5),
                            absl::FromUnixSeconds(1767225600), key));
  const std::string kept_path =
      WriteTemp("audit-checks-kept.json", audit::CheckpointToJson(signed_cp));
  const std::string key_path =
      WriteTemp("audit-checks-pub.pem", key.PublicKeyPem());
  ASSERT_OK_AND_ASSIGN(audit::Checkpoint kept, ReadKeptCheckpoint(kept_path));
  EXPECT_EQ(kept, signed_cp);
  ASSERT_OK_AND_ASSIGN(audit::VerifyingKey pub, ReadPublicKey(key_path));
  EXPECT_EQ(pub.KeyId(), key.KeyId());
  std::remove(kept_path.c_str());
  std::remove(key_path.c_str());
}

TEST_F(AuditChecksTest, InclusionVerifiesAgainstTheKeptRoot) {
  ASSERT_OK_AND_ASSIGN(InclusionCheck check,
                       CheckInclusion(Inclusion(3, 5), 3, Kept(5, Root(5))));
  EXPECT_TRUE(check.verified);
  EXPECT_EQ(check.tree_size, 5);
  EXPECT_EQ(check.root, Root(5));
}

TEST_F(AuditChecksTest, InclusionWithoutAKeptCheckpointTakesTheServersRoot) {
  ASSERT_OK_AND_ASSIGN(InclusionCheck check,
                       CheckInclusion(Inclusion(7, 7), 7, std::nullopt));
  EXPECT_TRUE(check.verified);
  EXPECT_EQ(check.tree_size, 7);
  EXPECT_EQ(check.root, Root(7));
}

TEST_F(AuditChecksTest, InclusionFailsAgainstAnotherKeptRoot) {
  ASSERT_OK_AND_ASSIGN(InclusionCheck check,
                       CheckInclusion(Inclusion(3, 5), 3, Kept(5, Root(4))));
  EXPECT_FALSE(check.verified);
  EXPECT_EQ(check.root, Root(4));
}

TEST_F(AuditChecksTest, InclusionOfAnotherSeqFails) {
  ASSERT_OK_AND_ASSIGN(InclusionCheck check,
                       CheckInclusion(Inclusion(3, 5), 4, Kept(5, Root(5))));
  EXPECT_FALSE(check.verified);
}

TEST_F(AuditChecksTest, InclusionWithAHashThatIsNotHexIsMalformed) {
  v1::InclusionProof p = Inclusion(3, 5);
  p.set_root_hash("zz");
  EXPECT_THAT(CheckInclusion(p, 3, std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("root_hash 'zz'")));
  p = Inclusion(3, 5);
  p.set_proof(0, "00");
  EXPECT_THAT(
      CheckInclusion(p, 3, std::nullopt),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("proof[0]")));
}

TEST_F(AuditChecksTest, ConsistencyFromTheKeptRootVerifies) {
  ASSERT_OK_AND_ASSIGN(ConsistencyCheck check,
                       CheckConsistency(Consistency(3), 3, Kept(3, Root(3))));
  EXPECT_EQ(check.verdict, Verdict::kConsistent);
  EXPECT_EQ(check.old_root, Root(3));
}

TEST_F(AuditChecksTest, ConsistencyFromAnotherKeptRootIsARewrittenHistory) {
  ASSERT_OK_AND_ASSIGN(ConsistencyCheck check,
                       CheckConsistency(Consistency(3), 3, Kept(3, Root(2))));
  EXPECT_EQ(check.verdict, Verdict::kRewritten);
  EXPECT_EQ(check.old_root, Root(2));
}

TEST_F(AuditChecksTest, ConsistencyOfAnotherSizeIsNotAPrefix) {
  ASSERT_OK_AND_ASSIGN(ConsistencyCheck check,
                       CheckConsistency(Consistency(3), 4, std::nullopt));
  EXPECT_EQ(check.verdict, Verdict::kNotAPrefix);
}

TEST_F(AuditChecksTest, ConsistencyWithATamperedProofIsNotAPrefix) {
  v1::ConsistencyProof p = Consistency(3);
  p.set_proof(0, audit::ToHex(audit::LeafHash("forged")));
  ASSERT_OK_AND_ASSIGN(ConsistencyCheck check,
                       CheckConsistency(p, 3, std::nullopt));
  EXPECT_EQ(check.verdict, Verdict::kNotAPrefix);
}

TEST_F(AuditChecksTest, ConsistencyWithAHashThatIsNotHexIsMalformed) {
  v1::ConsistencyProof p = Consistency(3);
  p.set_new_root_hash("");
  EXPECT_THAT(
      CheckConsistency(p, 3, std::nullopt),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("new_root_hash")));
}

}  // namespace
}  // namespace taskgate::clients
