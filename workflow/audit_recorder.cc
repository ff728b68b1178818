#include "workflow/audit_recorder.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/time/time.h>

#include "common/field_violations.h"
#include "workflow/internal/changes.h"
#include "workflow/internal/commit_once.h"
#include "workflow/validation.h"

namespace taskgate::workflow {
namespace {

using internal::AuditText;
using internal::NewEvent;

// Distinct methods an aggregated event names; the rest are counted as
// "other". Codes need no bound: there are three.
constexpr size_t kMaxTallyMethods = 8;
// Sources the "other sources" event names as a sample.
constexpr size_t kMaxSampledSources = 8;
// Events per change when aggregated events are written together.
constexpr size_t kEventsPerChange = 200;

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// "name:count,..." in the map's order.
std::string CountsText(const std::map<std::string, int64_t>& counts) {
  return absl::StrJoin(counts, ",", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, entry.first, ":", entry.second);
  });
}

// The key of `counts` with the largest count (the first of equals).
std::string MostCommon(const std::map<std::string, int64_t>& counts) {
  auto best = counts.begin();
  for (auto it = counts.begin(); it != counts.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  return best == counts.end() ? std::string() : best->first;
}

}  // namespace

AuditRecorder::AuditRecorder(store::Store& store, Writer& writer,
                             const Clock& clock, EngineOptions options)
    : store_(store),
      writer_(writer),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<RefusalOutcome> AuditRecorder::RecordRefusal(
    const Refusal& refusal) {
  std::string_view action;
  if (refusal.code == absl::StatusCode::kUnauthenticated ||
      refusal.code == absl::StatusCode::kResourceExhausted) {
    action = "access.unauthenticated";
  } else if (refusal.code == absl::StatusCode::kPermissionDenied) {
    action = "access.denied";
  } else {
    return InvalidArgumentWithViolations(
        {{"code", absl::StrCat("must be UNAUTHENTICATED, PERMISSION_DENIED or "
                               "RESOURCE_EXHAUSTED, not ",
                               absl::StatusCodeToString(refusal.code))}});
  }
  std::vector<FieldViolation> violations;
  CheckText("method", refusal.method, kMaxTitleLength, true, violations);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);

  domain::Principal who = refusal.who;
  if (who.id.empty()) who.id = "anonymous";
  const std::string source =
      AuditText(refusal.source.empty() ? who.id : refusal.source);
  const std::string code = absl::StatusCodeToString(refusal.code);
  const absl::Time now = clock_.Now();

  RefusalOutcome outcome;
  std::vector<Pending> events;
  TallyKey key{std::string(action), source};
  absl::Time interval_start;
  bool own = false;
  {
    absl::MutexLock lock(&mu_);
    TakeDue(now, false, events, outcome.summaries);
    auto it = tallies_.find(key);
    if (it == tallies_.end() && sources_ >= options_.refusal_sources) {
      key.second = kOtherRefusalSources;
      it = tallies_.find(key);
    }
    if (it == tallies_.end()) {
      Tally tally;
      tally.start = now;
      if (key.second == kOtherRefusalSources) {
        tally.who.id = "system";
        tally.who.role = domain::Role::kSystem;
      } else {
        tally.who = who;
        ++sources_;
      }
      it = tallies_.emplace(key, std::move(tally)).first;
      next_due_ = std::min(next_due_, now + options_.refusal_interval);
    }
    Tally& tally = it->second;
    if (key.second == kOtherRefusalSources &&
        tally.sources.size() < kMaxSampledSources &&
        std::find(tally.sources.begin(), tally.sources.end(), source) ==
            tally.sources.end()) {
      tally.sources.push_back(source);
    }
    interval_start = tally.start;
    if (!tally.own_event) {
      tally.own_event = true;
      own = true;
    } else {
      if (tally.count == 0) {
        tally.first = now;
        tally.reason = AuditText(refusal.reason);
      }
      ++tally.count;
      tally.last = now;
      if (tally.methods.contains(refusal.method) ||
          tally.methods.size() < kMaxTallyMethods) {
        ++tally.methods[refusal.method];
      } else {
        ++tally.other_methods;
      }
      ++tally.codes[code];
    }
  }

  if (own) {
    domain::AuditEvent e = NewEvent(options_.district_id, who, action, "rpc",
                                    refusal.method, now, "");
    e.reason = AuditText(refusal.reason);
    e.department_id = AuditText(who.department_id);
    if (!who.community_id.empty()) {
      e.community_ids = {AuditText(who.community_id)};
    }
    e.details["code"] = code;
    e.details["source"] = source;
    events.push_back({std::move(e), {{code, 1}}});
  }
  if (events.empty()) return outcome;
  const bool committed = CommitEvents(std::move(events), outcome);
  if (own && !committed) {
    // The log has no event of this source's interval yet: its next refusal
    // tries again.
    absl::MutexLock lock(&mu_);
    auto it = tallies_.find(key);
    if (it != tallies_.end() && it->second.start == interval_start) {
      it->second.own_event = false;
    }
  }
  outcome.recorded = own && committed;
  return outcome;
}

RefusalOutcome AuditRecorder::FlushRefusals(absl::Time now, bool all) {
  RefusalOutcome outcome;
  std::vector<Pending> events;
  {
    absl::MutexLock lock(&mu_);
    TakeDue(now, all, events, outcome.summaries);
  }
  if (!events.empty()) CommitEvents(std::move(events), outcome);
  return outcome;
}

std::optional<absl::Time> AuditRecorder::NextRefusalFlush() const {
  absl::MutexLock lock(&mu_);
  if (tallies_.empty()) return std::nullopt;
  return next_due_;
}

void AuditRecorder::TakeDue(absl::Time now, bool all,
                            std::vector<Pending>& events,
                            std::vector<RefusalSummary>& summaries) {
  if (!all && now < next_due_) return;
  next_due_ = absl::InfiniteFuture();
  for (auto it = tallies_.begin(); it != tallies_.end();) {
    const absl::Time end = it->second.start + options_.refusal_interval;
    if (!all && now < end) {
      next_due_ = std::min(next_due_, end);
      ++it;
      continue;
    }
    const Tally& tally = it->second;
    if (tally.count > 0) {
      events.push_back({AggregatedEvent(it->first, tally, now), tally.codes});
      summaries.push_back({it->first.first, it->first.second, tally.count});
    }
    if (it->first.second != kOtherRefusalSources) --sources_;
    it = tallies_.erase(it);
  }
}

domain::AuditEvent AuditRecorder::AggregatedEvent(const TallyKey& key,
                                                  const Tally& tally,
                                                  absl::Time now) const {
  const auto& [action, source] = key;
  domain::AuditEvent e = NewEvent(options_.district_id, tally.who, action,
                                  "rpc", MostCommon(tally.methods), now, "");
  e.reason = tally.reason;
  e.department_id = AuditText(tally.who.department_id);
  if (!tally.who.community_id.empty()) {
    e.community_ids = {AuditText(tally.who.community_id)};
  }
  e.details["code"] = MostCommon(tally.codes);
  e.details["codes"] = CountsText(tally.codes);
  e.details["count"] = absl::StrCat(tally.count);
  e.details["first_time"] = TimeText(tally.first);
  e.details["last_time"] = TimeText(tally.last);
  e.details["interval_start"] = TimeText(tally.start);
  std::string methods = CountsText(tally.methods);
  if (tally.other_methods > 0) {
    absl::StrAppend(&methods, ",other:", tally.other_methods);
  }
  e.details["methods"] = std::move(methods);
  e.details["source"] = source;
  if (!tally.sources.empty()) {
    e.details["sources_sample"] = absl::StrJoin(tally.sources, ",");
  }
  return e;
}

bool AuditRecorder::CommitEvents(std::vector<Pending> events,
                                 RefusalOutcome& outcome) {
  bool all_committed = true;
  for (size_t begin = 0; begin < events.size(); begin += kEventsPerChange) {
    const size_t end = std::min(events.size(), begin + kEventsPerChange);
    store::ChangeSet change;
    change.district_id = options_.district_id;
    for (size_t i = begin; i < end; ++i) {
      change.events.push_back(std::move(events[i].event));
    }
    absl::Status committed = internal::CommitThrough(writer_, change);
    if (committed.ok()) continue;
    all_committed = false;
    outcome.error = std::move(committed);
    for (size_t i = begin; i < end; ++i) {
      for (const auto& [code, n] : events[i].refusals) {
        outcome.unrecorded[code] += n;
      }
    }
  }
  return all_committed;
}

absl::Status AuditRecorder::RecordAuditRead(
    const domain::Principal& who, const std::string& action,
    std::map<std::string, std::string> details) {
  if (action != "audit.query" && action != "audit.export" &&
      action != "audit.stats") {
    return InvalidArgumentWithViolations(
        {{"action", "must be audit.query, audit.export or audit.stats"}});
  }
  domain::AuditEvent e =
      NewEvent(options_.district_id, who, action, "audit_log",
               options_.district_id, clock_.Now(), "");
  for (auto& [key, value] : details) {
    e.details[key] = AuditText(std::move(value));
  }
  store::ChangeSet change;
  change.district_id = options_.district_id;
  change.events.push_back(std::move(e));
  return internal::CommitThrough(writer_, change);
}

}  // namespace taskgate::workflow
