// How fast an auditor can re-verify the log, and how fast the server answers
// proofs. The events are synthetic but sized like real ones (about 250 bytes
// encoded: ids, a Chinese reason, two communities, a few details).
#include <cstdint>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <benchmark/benchmark.h>

#include "audit/checkpoint.h"
#include "audit/encoding.h"
#include "audit/log_verifier.h"
#include "audit/merkle.h"
#include "audit/merkle_tree.h"
#include "audit/signing.h"
#include "domain/types.h"

namespace taskgate {
namespace {

using audit::Hash;

domain::AuditEvent SyntheticEvent(int64_t seq) {
  domain::AuditEvent e;
  e.district_id = "default";
  e.seq = seq;
  e.time = absl::FromUnixMicros(1709281800123456 + seq * 1000003);
  e.actor_id = absl::StrCat("reviewer-", seq % 37);
  e.actor_role = domain::Role::kReviewer;
  e.action = "task.approve";
  e.entity_type = "task";
  e.entity_id = absl::StrCat("t-2024-", 100000 + seq);
  e.state_before = "IN_REVIEW";
  e.state_after = "ACTIVE";
  e.reason = "符合准入清单第12项，经费随事转已落实";  // 53 bytes of UTF-8
  e.request_id = absl::StrCat("7f3a9c2e-", seq);
  e.department_id = "civil-affairs";
  e.community_ids = {absl::StrCat("c-", seq % 11),
                     absl::StrCat("c-", seq % 13)};
  e.details = {{"hours", "4"}, {"item_code", "A-012"}, {"month", "2024-03"}};
  return e;
}

std::vector<std::string> EncodedEvents(int64_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (int64_t seq = 1; seq <= n; ++seq) {
    out.push_back(audit::EncodeAuditEvent(SyntheticEvent(seq)));
  }
  return out;
}

std::vector<Hash> LeafHashes(int64_t n) {
  std::vector<Hash> out;
  out.reserve(n);
  for (const std::string& leaf : EncodedEvents(n)) {
    out.push_back(audit::LeafHash(leaf));
  }
  return out;
}

// Offline verification of a bundle or database: every leaf hash recomputed
// from the canonical encoding, then the root.
void BM_VerifyEvents(benchmark::State& state) {
  const std::vector<std::string> events = EncodedEvents(state.range(0));
  int64_t bytes = 0;
  for (const std::string& e : events) bytes += e.size();
  std::vector<Hash> leaves(events.size());
  for (auto _ : state) {
    for (size_t i = 0; i < events.size(); ++i) {
      leaves[i] = audit::LeafHash(events[i]);
    }
    Hash root = audit::RootFromLeafHashes(leaves);
    benchmark::DoNotOptimize(root);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["avg_event_bytes"] =
      static_cast<double>(bytes) / static_cast<double>(events.size());
}
BENCHMARK(BM_VerifyEvents)
    ->Arg(10000)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMillisecond);

// The whole offline check as `taskgated --verify-db` and `taskgate audit
// verify` run it: per event, decode the canonical bytes, compare them with
// the readable copy and the stored leaf hash, check the position; then the
// root against a signed checkpoint.
void BM_LogVerifier(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<audit::PresentedEvent> events;
  events.reserve(n);
  std::vector<Hash> leaves;
  leaves.reserve(n);
  for (int64_t seq = 1; seq <= n; ++seq) {
    audit::PresentedEvent& p = events.emplace_back();
    domain::AuditEvent e = SyntheticEvent(seq);
    p.seq = seq;
    p.canonical = audit::EncodeAuditEvent(e);
    leaves.push_back(audit::LeafHash(p.canonical));
    p.leaf_hash = std::string(leaves.back().begin(), leaves.back().end());
    p.readable = std::move(e);
  }
  const audit::SigningKey key = *audit::SigningKey::Generate();
  const audit::VerifyingKey public_key = key.verifying_key();
  audit::VerifyInputs inputs;
  inputs.key = &public_key;
  inputs.checkpoints.push_back(*audit::SignCheckpoint(
      audit::LogIdOf("default"), n, audit::RootFromLeafHashes(leaves),
      absl::FromUnixSeconds(1709281800), key));
  for (auto _ : state) {
    audit::LogVerifier verifier("default", 1);
    if (state.range(1) == 1) {
      for (const audit::PresentedEvent& e : events) verifier.Add(e);
    } else {
      verifier.AddAll(events);
    }
    const audit::VerifyReport report = verifier.Finish(inputs);
    if (!report.verified()) state.SkipWithError("verification failed");
  }
  state.SetItemsProcessed(state.iterations() * n);
}
// Second argument: 1 for one event at a time on one thread, 0 for `AddAll`
// on every core.
BENCHMARK(BM_LogVerifier)
    ->Args({1 << 20, 1})
    ->Args({1 << 20, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A month's slice proven against the whole log: the range proof's size and
// the cost of producing it at 1M events.
void BM_RangeProof(benchmark::State& state) {
  const audit::MerkleTree tree(LeafHashes(1 << 20));
  uint64_t begin = 12345;
  for (auto _ : state) {
    auto proof = tree.RangeProof(begin, begin + 30000, tree.size());
    benchmark::DoNotOptimize(proof);
    begin = (begin + 7919) % (tree.size() - 30000);
  }
}
BENCHMARK(BM_RangeProof);

// Building the in-memory tree from stored leaf hashes (server start-up).
void BM_BuildTree(benchmark::State& state) {
  const std::vector<Hash> leaves = LeafHashes(state.range(0));
  for (auto _ : state) {
    audit::MerkleTree tree(leaves);
    benchmark::DoNotOptimize(tree.Root());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BuildTree)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// Proofs at varying indexes and historical sizes of a log of 1M events.
// Sizes just below the log size have the longest incomplete right edges.
constexpr int64_t kMillion = 1000000;

const audit::MerkleTree& MillionTree() {
  static const audit::MerkleTree* tree =
      new audit::MerkleTree(LeafHashes(kMillion));
  return *tree;
}

void BM_InclusionProof(benchmark::State& state) {
  const audit::MerkleTree& tree = MillionTree();
  uint64_t x = 12345;
  for (auto _ : state) {
    x = x * 6364136223846793005u + 1442695040888963407u;  // LCG
    const uint64_t size = kMillion - (x >> 45) % 1000;
    const uint64_t index = (x >> 20) % size;
    auto proof = tree.InclusionProof(index, size);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProof);

void BM_ConsistencyProof(benchmark::State& state) {
  const audit::MerkleTree& tree = MillionTree();
  uint64_t x = 54321;
  for (auto _ : state) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    const uint64_t new_size = kMillion - (x >> 45) % 1000;
    const uint64_t old_size = 1 + (x >> 20) % new_size;
    auto proof = tree.ConsistencyProof(old_size, new_size);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProof);

// What a client does with a proof.
void BM_VerifyInclusionProof(benchmark::State& state) {
  const audit::MerkleTree& tree = MillionTree();
  const uint64_t index = 765432;
  const auto proof = tree.InclusionProof(index, kMillion);
  const Hash root = tree.Root();
  const Hash leaf = tree.leaf_hash(index);
  for (auto _ : state) {
    bool ok = audit::VerifyInclusion(index, kMillion, leaf, *proof, root);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyInclusionProof);

}  // namespace
}  // namespace taskgate

BENCHMARK_MAIN();
