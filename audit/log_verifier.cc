#include "audit/log_verifier.h"

#include <algorithm>
#include <map>
#include <span>
#include <thread>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/time.h>

#include "audit/encoding.h"
#include "common/safe_text.h"

namespace taskgate::audit {
namespace {

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string Range(int64_t first, int64_t last) {
  return first == last ? absl::StrCat("seq ", first)
                       : absl::StrCat("seq ", first, "..", last);
}

std::string Describe(const audit::Checkpoint& c) {
  return absl::StrCat("checkpoint of size ", c.tree_size, " signed ",
                      Time(c.time), " by key ", c.key_id);
}

// The first field where the readable form and the canonical bytes differ,
// as "field: readable says X, the recorded event says Y"; empty when none.
std::string FirstDifference(const domain::AuditEvent& readable,
                            const AuditEventView& recorded, bool with_details) {
  // The values may be anything someone wrote into the file: they are cut
  // and escaped before they reach a terminal or a log (SPEC §9).
  auto text = [](std::string_view field, std::string_view a,
                 std::string_view b) {
    return absl::StrCat(std::string(field), ": the readable form says \"",
                        EchoValue(a, 200), "\", the recorded event says \"",
                        EchoValue(b, 200), "\"");
  };
  if (readable.time != recorded.time) {
    return text("time", Time(readable.time), Time(recorded.time));
  }
  const std::pair<const char*, std::pair<const std::string*, std::string_view>>
      fields[] = {
          {"actor_id", {&readable.actor_id, recorded.actor_id}},
          {"action", {&readable.action, recorded.action}},
          {"entity_type", {&readable.entity_type, recorded.entity_type}},
          {"entity_id", {&readable.entity_id, recorded.entity_id}},
          {"state_before", {&readable.state_before, recorded.state_before}},
          {"state_after", {&readable.state_after, recorded.state_after}},
          {"reason", {&readable.reason, recorded.reason}},
          {"request_id", {&readable.request_id, recorded.request_id}},
          {"department_id", {&readable.department_id, recorded.department_id}},
      };
  for (const auto& [name, values] : fields) {
    if (*values.first != values.second) {
      return text(name, *values.first, values.second);
    }
  }
  if (readable.actor_role != recorded.actor_role) {
    return text("actor_role", domain::RoleName(readable.actor_role),
                domain::RoleName(recorded.actor_role));
  }
  if (!std::equal(readable.community_ids.begin(), readable.community_ids.end(),
                  recorded.community_ids.begin(),
                  recorded.community_ids.end())) {
    // The index keeps communities in its own order: compare them as sets.
    std::vector<std::string> a = readable.community_ids;
    std::vector<std::string> b(recorded.community_ids.begin(),
                               recorded.community_ids.end());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) {
      return text("community_ids", absl::StrJoin(a, ","),
                  absl::StrJoin(b, ","));
    }
  }
  if (!with_details) return "";
  auto it = readable.details.begin();
  for (const auto& [key, value] : recorded.details) {
    if (it == readable.details.end() || it->first > key) {
      return text(absl::StrCat("details.", std::string(key)), "", value);
    }
    if (it->first < key) {
      return text(absl::StrCat("details.", it->first), it->second, "");
    }
    if (it->second != value) {
      return text(absl::StrCat("details.", it->first), it->second, value);
    }
    ++it;
  }
  if (it != readable.details.end()) {
    return text(absl::StrCat("details.", it->first), it->second, "");
  }
  if (readable.writes.size() != recorded.writes.size()) {
    return text("writes", absl::StrCat(readable.writes.size(), " writes"),
                absl::StrCat(recorded.writes.size(), " writes"));
  }
  for (size_t i = 0; i < recorded.writes.size(); ++i) {
    const domain::EntityWrite& r = readable.writes[i];
    const EntityWriteView& w = recorded.writes[i];
    const std::string at = absl::StrCat("writes[", i, "]");
    if (r.kind != w.kind || r.id != w.id) {
      return text(at, absl::StrCat(r.kind, " ", r.id),
                  absl::StrCat(std::string(w.kind), " ", std::string(w.id)));
    }
    if (r.complete != w.complete) {
      return text(absl::StrCat(at, ".complete"), r.complete ? "true" : "false",
                  w.complete ? "true" : "false");
    }
    if (r.state_digest != w.state_digest) {
      return text(absl::StrCat(at, ".state_digest"), BytesToHex(r.state_digest),
                  BytesToHex(w.state_digest));
    }
    if (r.changes.size() != w.changes.size()) {
      return text(absl::StrCat(at, ".changes"),
                  absl::StrCat(r.changes.size(), " changes"),
                  absl::StrCat(w.changes.size(), " changes"));
    }
    for (size_t j = 0; j < w.changes.size(); ++j) {
      const domain::FieldChange& rc = r.changes[j];
      const FieldChangeView& wc = w.changes[j];
      if (rc.field != wc.field || rc.before != wc.before ||
          rc.after != wc.after) {
        return text(
            absl::StrCat(at, ".changes[", j, "]"),
            absl::StrCat(rc.field, ": ", rc.before, " -> ", rc.after),
            absl::StrCat(std::string(wc.field), ": ", std::string(wc.before),
                         " -> ", std::string(wc.after)));
      }
    }
  }
  return "";
}

bool SameBytes(const std::string& bytes, const audit::Hash& h) {
  return bytes.size() == h.size() &&
         std::equal(h.begin(), h.end(),
                    reinterpret_cast<const uint8_t*>(bytes.data()));
}

}  // namespace

std::string LogIdOf(const std::string& district_id) {
  return absl::StrCat("taskgate/", district_id);
}

LogVerifier::LogVerifier(std::string district_id, int64_t first_seq)
    : log_id_(LogIdOf(district_id)),
      first_seq_(first_seq),
      expected_(first_seq) {
  report_.district_id = std::move(district_id);
}

void LogVerifier::Problem(int64_t first, int64_t last, std::string message) {
  ++report_.problem_count;
  if (first > 0) located_.push_back({first, last, message});
  if (report_.problems.size() < kMaxProblems) {
    report_.problems.push_back({first, last, std::move(message)});
  }
}

void LogVerifier::LocateFirstBad() {
  // A checkpoint mismatch only says that something in its range is wrong;
  // an event pinpointed inside (or before) the earliest such range is the
  // better answer.
  const VerifyProblem* range = nullptr;
  const VerifyProblem* exact = nullptr;
  for (const VerifyProblem& p : located_) {
    if (p.first == p.last) {
      if (exact == nullptr || p.first < exact->first) exact = &p;
    } else if (range == nullptr || p.first < range->first) {
      range = &p;
    }
  }
  if (exact != nullptr && (range == nullptr || exact->first <= range->last)) {
    report_.first_bad = *exact;
  } else if (range != nullptr) {
    report_.first_bad = *range;
  }
}

namespace {

// The checks of one event that need nothing but the event: its leaf hash,
// and problems appended to `out` in order. `view` is scratch space.
audit::Hash CheckEvent(const PresentedEvent& event,
                       const std::string& district_id, AuditEventView& view,
                       std::vector<VerifyProblem>& out) {
  const int64_t seq = event.seq;
  const auto problem = [&](std::string message) {
    out.push_back({seq, seq, std::move(message)});
  };
  const audit::Hash leaf = audit::LeafHash(event.canonical);
  if (absl::Status decoded = DecodeAuditEventView(event.canonical, view);
      !decoded.ok()) {
    problem(absl::StrCat("seq ", seq, ": the canonical bytes do not decode (",
                         decoded.message(), ")"));
    return leaf;
  }
  if (view.seq != seq) {
    problem(absl::StrCat(
        "seq ", seq, ": this position holds the event recorded as seq ",
        view.seq, " (an event was inserted, removed or moved here)"));
  }
  if (view.district_id != district_id) {
    problem(absl::StrCat("seq ", seq, ": the event belongs to district \"",
                         std::string(view.district_id), "\""));
  }
  if (event.leaf_hash.has_value() && !SameBytes(*event.leaf_hash, leaf)) {
    problem(absl::StrCat("seq ", seq,
                         ": the stored leaf hash does not match the canonical "
                         "bytes (the event was altered after it was "
                         "recorded)"));
  }
  if (event.readable.has_value()) {
    const std::string diff =
        FirstDifference(*event.readable, view, event.readable_has_details);
    if (!diff.empty()) {
      problem(absl::StrCat("seq ", seq, ": ", diff,
                           " (the stored copy was altered)"));
    }
  }
  return leaf;
}

// Below this many events a batch is checked on the calling thread.
constexpr size_t kParallelBatch = 4096;

}  // namespace

void LogVerifier::Position(int64_t seq) {
  ++report_.events;
  if (report_.first_seq == 0) report_.first_seq = seq;
  report_.last_seq = std::max(report_.last_seq, seq);
  if (seq > expected_) {
    Problem(expected_, expected_,
            absl::StrCat(Range(expected_, seq - 1),
                         seq - 1 == expected_ ? " is" : " are",
                         " missing: the log jumps from ", expected_ - 1, " to ",
                         seq, " (deleted events)"));
  } else if (seq < expected_) {
    Problem(seq, seq,
            absl::StrCat("seq ", seq, " appears again after seq ",
                         expected_ - 1, " (duplicated or out of order)"));
  }
  expected_ = seq + 1;
}

void LogVerifier::Add(const PresentedEvent& event) {
  Position(event.seq);
  std::vector<VerifyProblem> found;
  leaves_.push_back(CheckEvent(event, report_.district_id, view_, found));
  for (VerifyProblem& p : found) Problem(p.first, p.last, std::move(p.message));
}

void LogVerifier::AddAll(std::span<const PresentedEvent> events) {
  const size_t workers =
      std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()),
                       events.size() / kParallelBatch + 1);
  if (workers <= 1) {
    for (const PresentedEvent& e : events) Add(e);
    return;
  }
  // Each worker checks a contiguous share; problems are merged in order
  // afterwards, so the report reads as if checked one by one.
  const size_t base = leaves_.size();
  leaves_.resize(base + events.size());
  // found[w]: (index in `events`, problem) of worker w's share, in order.
  std::vector<std::vector<std::pair<size_t, VerifyProblem>>> found(workers);
  std::vector<std::thread> threads;
  const size_t share = (events.size() + workers - 1) / workers;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      AuditEventView view;
      std::vector<VerifyProblem> one;
      const size_t end = std::min(events.size(), (w + 1) * share);
      for (size_t i = w * share; i < end; ++i) {
        leaves_[base + i] =
            CheckEvent(events[i], report_.district_id, view, one);
        for (VerifyProblem& p : one) found[w].emplace_back(i, std::move(p));
        one.clear();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  size_t next = 0;  // the next problem of the current share
  for (size_t i = 0; i < events.size(); ++i) {
    Position(events[i].seq);
    auto& mine = found[i / share];
    if (i % share == 0) next = 0;
    for (; next < mine.size() && mine[next].first == i; ++next) {
      VerifyProblem& p = mine[next].second;
      Problem(p.first, p.last, std::move(p.message));
    }
  }
}

void LogVerifier::ExpectThrough(int64_t last_seq) {
  declared_last_ = last_seq;
  if (expected_ <= last_seq) {
    Problem(expected_, expected_,
            absl::StrCat(Range(expected_, last_seq),
                         last_seq == expected_ ? " is" : " are",
                         " missing: the events are declared to run through "
                         "seq ",
                         last_seq, " (the tail was cut)"));
  } else if (report_.last_seq > last_seq) {
    Problem(last_seq + 1, last_seq + 1,
            absl::StrCat("events after seq ", last_seq,
                         " are present although the events are declared to "
                         "end there (events were added)"));
  }
}

bool LogVerifier::Trusted(const audit::Checkpoint& c,
                          const VerifyInputs& inputs, const std::string& what) {
  if (absl::Status s = audit::VerifyCheckpoint(c, *inputs.key); !s.ok()) {
    Problem(0, 0, absl::StrCat(what, " ", Describe(c), ": ", s.message()));
    return false;
  }
  if (c.log_id != log_id_) {
    Problem(0, 0,
            absl::StrCat(what, " ", Describe(c), " is of log \"", c.log_id,
                         "\", not \"", log_id_, "\""));
    return false;
  }
  return true;
}

void LogVerifier::CheckWholeLog(const VerifyInputs& inputs) {
  if (first_seq_ != 1) {
    Problem(first_seq_, first_seq_,
            absl::StrCat("the events start at seq ", first_seq_,
                         " but no range proof ties them to a signed "
                         "checkpoint"));
    return;
  }
  // Each trusted checkpoint, smallest first; the kept one is one more.
  std::map<int64_t, std::pair<audit::Checkpoint, std::string>> trusted;
  for (const audit::Checkpoint& c : inputs.checkpoints) {
    if (Trusted(c, inputs, "the log's")) {
      trusted.try_emplace(c.tree_size, c, "the log's");
    }
  }
  if (inputs.kept.has_value() &&
      Trusted(*inputs.kept, inputs, inputs.kept_name)) {
    auto [it, inserted] = trusted.try_emplace(inputs.kept->tree_size,
                                              *inputs.kept, inputs.kept_name);
    if (!inserted && it->second.first.root_hash != inputs.kept->root_hash) {
      Problem(0, 0,
              absl::StrCat(inputs.kept_name, " ", Describe(*inputs.kept),
                           " and the log's checkpoint of the same size name "
                           "different roots: the log was rewritten and "
                           "re-signed"));
    }
    if (!inserted) it->second.second = inputs.kept_name;
  }
  const int64_t n = static_cast<int64_t>(leaves_.size());
  audit::RootAccumulator root;  // one pass; the roots at each size on the way
  int64_t good = 0;             // the largest size known to match a signed root
  for (const auto& [size, entry] : trusted) {
    const auto& [c, whose] = entry;
    if (size > n) {
      Problem(n + 1, n + 1,
              absl::StrCat(Range(n + 1, size), size == n + 1 ? " is" : " are",
                           " missing: the log ends at seq ", n, " but ", whose,
                           " ", Describe(c), " covers ", size,
                           " events (the tail was cut)"));
      continue;
    }
    if (size == 0) continue;
    while (static_cast<int64_t>(root.size()) < size) {
      root.Append(leaves_[root.size()]);
    }
    if (root.Root() != c.root_hash) {
      Problem(good + 1, size,
              absl::StrCat("the events up to seq ", size,
                           " do not give the "
                           "root of ",
                           whose, " ", Describe(c), ": an event in ",
                           Range(good + 1, size),
                           " was altered, inserted or removed"));
      continue;
    }
    good = size;
    report_.checked.push_back(absl::StrCat("root of seq 1..", size, " matches ",
                                           whose, " ", Describe(c)));
  }
  if (trusted.empty()) {
    report_.notes.push_back(
        "no signed checkpoint was given: each event was checked, but no "
        "signature binds the log as a whole");
  } else if (good < n) {
    report_.notes.push_back(
        absl::StrCat(Range(good + 1, n),
                     " is not yet covered by a matching signed checkpoint"));
  }
}

void LogVerifier::CheckSlice(const VerifyInputs& inputs) {
  const SliceProof& slice = *inputs.slice;
  const audit::Checkpoint& anchor = slice.anchor;
  if (!Trusted(anchor, inputs, "the bundle's")) return;
  const int64_t last = std::max(
      first_seq_ + static_cast<int64_t>(leaves_.size()) - 1, declared_last_);
  if (leaves_.empty()) {
    report_.notes.push_back("the bundle holds no events");
  } else if (absl::StatusOr<audit::Hash> root = audit::RootFromRange(
                 first_seq_ - 1, anchor.tree_size, leaves_, slice.range_proof);
             !root.ok() || *root != anchor.root_hash) {
    Problem(
        first_seq_, last,
        absl::StrCat(
            "the events of ", Range(first_seq_, last),
            " with the range proof do not give the root of the "
            "bundle's ",
            Describe(anchor),
            root.ok() ? "" : absl::StrCat(" (", root.status().message(), ")"),
            ": an event among them was altered, inserted or "
            "removed"));
  } else {
    report_.checked.push_back(absl::StrCat("root of seq 1..", anchor.tree_size,
                                           " from ", Range(first_seq_, last),
                                           " and its range proof matches the "
                                           "bundle's ",
                                           Describe(anchor)));
  }
  if (!inputs.kept.has_value() ||
      !Trusted(*inputs.kept, inputs, inputs.kept_name)) {
    return;
  }
  const audit::Checkpoint& kept = *inputs.kept;
  if (kept.tree_size > anchor.tree_size) {
    Problem(anchor.tree_size + 1, anchor.tree_size + 1,
            absl::StrCat(inputs.kept_name, " ", Describe(kept), " covers ",
                         kept.tree_size,
                         " events but the bundle's log ends at "
                         "seq ",
                         anchor.tree_size, " (the tail was cut)"));
  } else if (slice.consistency_from != kept.tree_size) {
    Problem(0, 0,
            absl::StrCat("the bundle has no consistency proof from ",
                         inputs.kept_name, " checkpoint (size ", kept.tree_size,
                         "); export it again with --checkpoint naming that "
                         "checkpoint"));
  } else if (!audit::VerifyConsistency(kept.tree_size, anchor.tree_size,
                                       kept.root_hash, anchor.root_hash,
                                       slice.consistency_proof)) {
    Problem(1, kept.tree_size,
            absl::StrCat(
                "the bundle's ", Describe(anchor), " is not consistent with ",
                inputs.kept_name, " ", Describe(kept), ": an event in seq 1..",
                kept.tree_size, " was altered, inserted or removed since"));
  } else {
    report_.checked.push_back(absl::StrCat(inputs.kept_name, " ",
                                           Describe(kept),
                                           " is consistent with the bundle's"));
  }
}

VerifyReport LogVerifier::Finish(const VerifyInputs& inputs) {
  if (inputs.slice.has_value()) {
    CheckSlice(inputs);
  } else {
    CheckWholeLog(inputs);
  }
  LocateFirstBad();
  if (report_.events > 0) {
    report_.checked.insert(
        report_.checked.begin(),
        absl::StrCat(report_.events, " events (",
                     Range(report_.first_seq, report_.last_seq),
                     "): canonical bytes, positions and leaf hashes"));
  }
  return std::move(report_);
}

std::string FormatVerifyReport(const VerifyReport& report) {
  std::string out =
      absl::StrCat("Audit log of district ", report.district_id, "\n");
  for (const std::string& line : report.checked) {
    absl::StrAppend(&out, "  checked: ", line, "\n");
  }
  for (const std::string& line : report.notes) {
    absl::StrAppend(&out, "  note: ", line, "\n");
  }
  for (const VerifyProblem& p : report.problems) {
    absl::StrAppend(&out, "  PROBLEM: ", p.message, "\n");
  }
  if (report.problem_count > static_cast<int64_t>(report.problems.size())) {
    absl::StrAppend(
        &out, "  ... and ",
        report.problem_count - static_cast<int64_t>(report.problems.size()),
        " more problems\n");
  }
  for (const std::string& p : report.table_problems) {
    absl::StrAppend(&out, "  TABLES: ", p, "\n");
  }
  if (report.table_problem_count >
      static_cast<int64_t>(report.table_problems.size())) {
    absl::StrAppend(&out, "  ... and ",
                    report.table_problem_count -
                        static_cast<int64_t>(report.table_problems.size()),
                    " more rows that differ from the log\n");
  }
  if (report.verified()) {
    absl::StrAppend(&out, "VERIFIED: ", report.events, " events");
    if (report.events > 0) {
      absl::StrAppend(&out, " (", Range(report.first_seq, report.last_seq),
                      ")");
    }
    absl::StrAppend(&out, "\n");
    return out;
  }
  absl::StrAppend(&out, "FAILED: ");
  if (report.problem_count == 0) {
    absl::StrAppend(&out, "the log verifies, but ", report.table_problem_count,
                    " stored row(s) differ from what it says; first: ",
                    report.table_problems.front(), "\n");
  } else if (!report.first_bad.has_value()) {
    absl::StrAppend(&out, report.problem_count, " problem(s); see above\n");
  } else if (report.first_bad->first == report.first_bad->last) {
    absl::StrAppend(&out, "first bad event is seq ", report.first_bad->first,
                    "\n");
  } else {
    absl::StrAppend(&out, "first bad event is among ",
                    Range(report.first_bad->first, report.first_bad->last),
                    "\n");
  }
  return out;
}

}  // namespace taskgate::audit
