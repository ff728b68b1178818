#include "audit/bundle.h"

#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <nlohmann/json.hpp>

#include "audit/encoding.h"
#include "common/safe_text.h"
#include "common/status_macros.h"

namespace taskgate::audit {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%E6SZ";

std::string TimeText(absl::Time t) {
  return absl::FormatTime(kTimeFormat, t, absl::UTCTimeZone());
}

absl::Status Bad(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("bundle: ", path, " ", std::string(what)));
}

absl::StatusOr<std::string> Unhex(const Json& v, const std::string& path) {
  if (!v.is_string()) return Bad(path, "must be a hex string");
  std::optional<std::string> bytes =
      audit::HexToBytes(v.get_ref<const std::string&>());
  if (!bytes.has_value()) return Bad(path, "is not hex");
  return *std::move(bytes);
}

absl::StatusOr<audit::Hash> HashOf(const Json& v, const std::string& path) {
  TASKGATE_ASSIGN_OR_RETURN(std::string bytes, Unhex(v, path));
  audit::Hash h{};
  if (bytes.size() != h.size()) return Bad(path, "is not a 32-byte hash");
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

absl::StatusOr<std::vector<audit::Hash>> Hashes(const Json& v,
                                                const std::string& path) {
  if (!v.is_array()) return Bad(path, "must be an array of hex hashes");
  std::vector<audit::Hash> out;
  for (size_t i = 0; i < v.size(); ++i) {
    TASKGATE_ASSIGN_OR_RETURN(out.emplace_back(),
                              HashOf(v[i], absl::StrCat(path, "[", i, "]")));
  }
  return out;
}

Json HashesJson(const std::vector<audit::Hash>& hashes) {
  Json out = Json::array();
  for (const audit::Hash& h : hashes) out.push_back(audit::ToHex(h));
  return out;
}

const Json* Find(const Json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

absl::StatusOr<const Json*> Need(const Json& object, const char* key,
                                 const std::string& path) {
  const Json* v = Find(object, key);
  if (v == nullptr) return Bad(absl::StrCat(path, key), "is missing");
  return v;
}

absl::StatusOr<std::string> Text(const Json& object, const char* key,
                                 const std::string& path) {
  TASKGATE_ASSIGN_OR_RETURN(const Json* v, Need(object, key, path));
  if (!v->is_string()) return Bad(absl::StrCat(path, key), "must be a string");
  return v->get<std::string>();
}

absl::StatusOr<int64_t> Int(const Json& object, const char* key,
                            const std::string& path) {
  TASKGATE_ASSIGN_OR_RETURN(const Json* v, Need(object, key, path));
  if (!v->is_number_integer()) {
    return Bad(absl::StrCat(path, key), "must be an integer");
  }
  return v->get<int64_t>();
}

absl::StatusOr<absl::Time> TimeOf(const Json& object, const char* key,
                                  const std::string& path) {
  TASKGATE_ASSIGN_OR_RETURN(std::string text, Text(object, key, path));
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return Bad(absl::StrCat(path, key),
               absl::StrCat("is not an RFC 3339 time (", error, ")"));
  }
  return t;
}

bool IsUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (DecodeUtf8(text, &pos) == kInvalidUtf8) return false;
  }
  return true;
}

// True when every text of the readable form of `e` is UTF-8, so that it can
// be written as JSON at all. Events the server records always are (it
// refuses other text); bytes edited into the database may not be.
bool HasJsonText(const domain::AuditEvent& e) {
  for (const std::string* s :
       {&e.actor_id, &e.action, &e.entity_type, &e.entity_id, &e.state_before,
        &e.state_after, &e.reason, &e.request_id, &e.department_id}) {
    if (!IsUtf8(*s)) return false;
  }
  for (const std::string& c : e.community_ids) {
    if (!IsUtf8(c)) return false;
  }
  for (const auto& [key, value] : e.details) {
    if (!IsUtf8(key) || !IsUtf8(value)) return false;
  }
  for (const domain::EntityWrite& w : e.writes) {
    if (!IsUtf8(w.kind) || !IsUtf8(w.id)) return false;
    for (const domain::FieldChange& c : w.changes) {
      if (!IsUtf8(c.field) || !IsUtf8(c.before) || !IsUtf8(c.after)) {
        return false;
      }
    }
  }
  return true;
}

Json ReadableJson(const domain::AuditEvent& e) {
  Json details = Json::object();
  for (const auto& [key, value] : e.details) details[key] = value;
  Json writes = Json::array();
  for (const domain::EntityWrite& w : e.writes) {
    Json changes = Json::array();
    for (const domain::FieldChange& c : w.changes) {
      changes.push_back(
          {{"field", c.field}, {"before", c.before}, {"after", c.after}});
    }
    writes.push_back({{"kind", w.kind},
                      {"id", w.id},
                      {"complete", w.complete},
                      {"changes", std::move(changes)},
                      {"state_digest", BytesToHex(w.state_digest)}});
  }
  return Json{
      {"seq", e.seq},
      {"time", TimeText(e.time)},
      {"actor_id", e.actor_id},
      {"actor_role", std::string(domain::RoleName(e.actor_role))},
      {"action", e.action},
      {"entity_type", e.entity_type},
      {"entity_id", e.entity_id},
      {"state_before", e.state_before},
      {"state_after", e.state_after},
      {"reason", e.reason},
      {"request_id", e.request_id},
      {"department_id", e.department_id},
      {"community_ids", e.community_ids},
      {"details", std::move(details)},
      {"writes", std::move(writes)},
  };
}

absl::StatusOr<std::vector<domain::EntityWrite>> ReadWrites(
    const Json& v, const std::string& path) {
  if (!v.is_array()) return Bad(path, "must be an array");
  std::vector<domain::EntityWrite> writes;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string p = absl::StrCat(path, "[", i, "].");
    const Json& w = v[i];
    if (!w.is_object()) {
      return Bad(absl::StrCat(path, "[", i, "]"), "must be an object");
    }
    domain::EntityWrite write;
    TASKGATE_ASSIGN_OR_RETURN(write.kind, Text(w, "kind", p));
    TASKGATE_ASSIGN_OR_RETURN(write.id, Text(w, "id", p));
    TASKGATE_ASSIGN_OR_RETURN(const Json* complete, Need(w, "complete", p));
    if (!complete->is_boolean()) {
      return Bad(absl::StrCat(p, "complete"), "must be true or false");
    }
    write.complete = complete->get<bool>();
    TASKGATE_ASSIGN_OR_RETURN(const Json* digest, Need(w, "state_digest", p));
    TASKGATE_ASSIGN_OR_RETURN(write.state_digest,
                              Unhex(*digest, absl::StrCat(p, "state_digest")));
    TASKGATE_ASSIGN_OR_RETURN(const Json* changes, Need(w, "changes", p));
    if (!changes->is_array()) {
      return Bad(absl::StrCat(p, "changes"), "must be an array");
    }
    for (size_t j = 0; j < changes->size(); ++j) {
      const std::string cp = absl::StrCat(p, "changes[", j, "].");
      domain::FieldChange& c = write.changes.emplace_back();
      TASKGATE_ASSIGN_OR_RETURN(c.field, Text((*changes)[j], "field", cp));
      TASKGATE_ASSIGN_OR_RETURN(c.before, Text((*changes)[j], "before", cp));
      TASKGATE_ASSIGN_OR_RETURN(c.after, Text((*changes)[j], "after", cp));
    }
    writes.push_back(std::move(write));
  }
  return writes;
}

absl::StatusOr<domain::AuditEvent> ReadReadable(
    const Json& v, const std::string& path, const std::string& district_id) {
  if (!v.is_object()) return Bad(path, "must be an object");
  const std::string p = absl::StrCat(path, ".");
  domain::AuditEvent e;
  e.district_id = district_id;
  TASKGATE_ASSIGN_OR_RETURN(e.seq, Int(v, "seq", p));
  TASKGATE_ASSIGN_OR_RETURN(e.time, TimeOf(v, "time", p));
  TASKGATE_ASSIGN_OR_RETURN(e.actor_id, Text(v, "actor_id", p));
  TASKGATE_ASSIGN_OR_RETURN(std::string role, Text(v, "actor_role", p));
  std::optional<domain::Role> parsed = domain::ParseRole(role);
  if (!parsed.has_value()) {
    return Bad(absl::StrCat(p, "actor_role"), "is not a role name");
  }
  e.actor_role = *parsed;
  TASKGATE_ASSIGN_OR_RETURN(e.action, Text(v, "action", p));
  TASKGATE_ASSIGN_OR_RETURN(e.entity_type, Text(v, "entity_type", p));
  TASKGATE_ASSIGN_OR_RETURN(e.entity_id, Text(v, "entity_id", p));
  TASKGATE_ASSIGN_OR_RETURN(e.state_before, Text(v, "state_before", p));
  TASKGATE_ASSIGN_OR_RETURN(e.state_after, Text(v, "state_after", p));
  TASKGATE_ASSIGN_OR_RETURN(e.reason, Text(v, "reason", p));
  TASKGATE_ASSIGN_OR_RETURN(e.request_id, Text(v, "request_id", p));
  TASKGATE_ASSIGN_OR_RETURN(e.department_id, Text(v, "department_id", p));
  TASKGATE_ASSIGN_OR_RETURN(const Json* communities,
                            Need(v, "community_ids", p));
  if (!communities->is_array()) {
    return Bad(absl::StrCat(p, "community_ids"), "must be an array");
  }
  for (const Json& c : *communities) {
    if (!c.is_string()) {
      return Bad(absl::StrCat(p, "community_ids"), "must hold strings");
    }
    e.community_ids.push_back(c.get<std::string>());
  }
  TASKGATE_ASSIGN_OR_RETURN(const Json* details, Need(v, "details", p));
  if (!details->is_object()) {
    return Bad(absl::StrCat(p, "details"), "must be an object");
  }
  for (const auto& [key, value] : details->items()) {
    if (!value.is_string()) {
      return Bad(absl::StrCat(p, "details.", key), "must be a string");
    }
    e.details[key] = value.get<std::string>();
  }
  // Absent in bundles of version 1 events only.
  if (const auto it = v.find("writes"); it != v.end()) {
    TASKGATE_ASSIGN_OR_RETURN(e.writes,
                              ReadWrites(*it, absl::StrCat(p, "writes")));
  }
  return e;
}

absl::StatusOr<audit::Checkpoint> CheckpointOf(const Json& v,
                                               const std::string& path) {
  absl::StatusOr<audit::Checkpoint> c = audit::CheckpointFromJson(v.dump());
  if (!c.ok()) return Bad(path, std::string(c.status().message()));
  return c;
}

absl::StatusOr<Bundle> ReadBundle(const Json& v) {
  if (!v.is_object()) return Bad("the file", "must hold a JSON object");
  Bundle b;
  TASKGATE_ASSIGN_OR_RETURN(std::string format, Text(v, "format", ""));
  if (format != kBundleFormat) {
    return Bad("format", absl::StrCat("is \"", format, "\", expected \"",
                                      std::string(kBundleFormat), "\""));
  }
  TASKGATE_ASSIGN_OR_RETURN(b.district_id, Text(v, "district_id", ""));
  TASKGATE_ASSIGN_OR_RETURN(b.exported_at, TimeOf(v, "exported_at", ""));
  TASKGATE_ASSIGN_OR_RETURN(b.exported_by, Text(v, "exported_by", ""));
  if (Find(v, "start_time") != nullptr) {
    TASKGATE_ASSIGN_OR_RETURN(b.start_time, TimeOf(v, "start_time", ""));
  }
  if (Find(v, "end_time") != nullptr) {
    TASKGATE_ASSIGN_OR_RETURN(b.end_time, TimeOf(v, "end_time", ""));
  }
  TASKGATE_ASSIGN_OR_RETURN(b.first_seq, Int(v, "first_seq", ""));
  TASKGATE_ASSIGN_OR_RETURN(b.last_seq, Int(v, "last_seq", ""));
  TASKGATE_ASSIGN_OR_RETURN(const Json* head, Need(v, "checkpoint", ""));
  TASKGATE_ASSIGN_OR_RETURN(b.checkpoint, CheckpointOf(*head, "checkpoint"));
  if (const Json* list = Find(v, "checkpoints"); list != nullptr) {
    if (!list->is_array()) return Bad("checkpoints", "must be an array");
    for (size_t i = 0; i < list->size(); ++i) {
      TASKGATE_ASSIGN_OR_RETURN(
          b.checkpoints.emplace_back(),
          CheckpointOf((*list)[i], absl::StrCat("checkpoints[", i, "]")));
    }
  }
  if (const Json* proof = Find(v, "range_proof"); proof != nullptr) {
    TASKGATE_ASSIGN_OR_RETURN(b.range_proof, Hashes(*proof, "range_proof"));
  }
  if (const Json* c = Find(v, "consistency"); c != nullptr) {
    TASKGATE_ASSIGN_OR_RETURN(b.consistency_from,
                              Int(*c, "from_size", "consistency."));
    TASKGATE_ASSIGN_OR_RETURN(const Json* proof,
                              Need(*c, "proof", "consistency."));
    TASKGATE_ASSIGN_OR_RETURN(b.consistency_proof,
                              Hashes(*proof, "consistency.proof"));
  }
  TASKGATE_ASSIGN_OR_RETURN(const Json* events, Need(v, "events", ""));
  if (!events->is_array()) return Bad("events", "must be an array");
  for (size_t i = 0; i < events->size(); ++i) {
    const Json& e = (*events)[i];
    const std::string path = absl::StrCat("events[", i, "]");
    if (!e.is_object()) return Bad(path, "must be an object");
    const std::string p = absl::StrCat(path, ".");
    BundleEvent& out = b.events.emplace_back();
    TASKGATE_ASSIGN_OR_RETURN(out.seq, Int(e, "seq", p));
    TASKGATE_ASSIGN_OR_RETURN(const Json* canonical, Need(e, "canonical", p));
    TASKGATE_ASSIGN_OR_RETURN(out.canonical,
                              Unhex(*canonical, absl::StrCat(p, "canonical")));
    TASKGATE_ASSIGN_OR_RETURN(const Json* leaf, Need(e, "leaf_hash", p));
    TASKGATE_ASSIGN_OR_RETURN(out.leaf_hash,
                              Unhex(*leaf, absl::StrCat(p, "leaf_hash")));
    if (const Json* r = Find(e, "event"); r != nullptr && !r->is_null()) {
      TASKGATE_ASSIGN_OR_RETURN(
          out.readable,
          ReadReadable(*r, absl::StrCat(p, "event"), b.district_id));
    }
  }
  return b;
}

}  // namespace

std::string AuditEventToReadableJson(const domain::AuditEvent& event) {
  return ReadableJson(event).dump(2, ' ', /*ensure_ascii=*/false,
                                  Json::error_handler_t::replace);
}

absl::StatusOr<domain::AuditEvent> AuditEventFromReadableJson(
    std::string_view json) {
  const Json v = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return Bad("event", "is not valid JSON");
  return ReadReadable(v, "event", "");
}

std::string BundleToJson(const Bundle& b) {
  Json events = Json::array();
  for (const BundleEvent& e : b.events) {
    Json readable = nullptr;
    if (e.readable.has_value()) {
      readable = ReadableJson(*e.readable);
    } else if (absl::StatusOr<domain::AuditEvent> decoded =
                   DecodeAuditEvent(e.canonical);
               decoded.ok() && HasJsonText(*decoded)) {
      readable = ReadableJson(*decoded);
    }
    events.push_back(Json{{"seq", e.seq},
                          {"leaf_hash", audit::BytesToHex(e.leaf_hash)},
                          {"canonical", audit::BytesToHex(e.canonical)},
                          {"event", std::move(readable)}});
  }
  Json out = {
      {"format", kBundleFormat},
      {"district_id", b.district_id},
      {"exported_at", TimeText(b.exported_at)},
      {"exported_by", b.exported_by},
  };
  if (b.start_time.has_value()) out["start_time"] = TimeText(*b.start_time);
  if (b.end_time.has_value()) out["end_time"] = TimeText(*b.end_time);
  out["first_seq"] = b.first_seq;
  out["last_seq"] = b.last_seq;
  out["checkpoint"] = Json::parse(audit::CheckpointToJson(b.checkpoint));
  Json checkpoints = Json::array();
  for (const audit::Checkpoint& c : b.checkpoints) {
    checkpoints.push_back(Json::parse(audit::CheckpointToJson(c)));
  }
  out["checkpoints"] = std::move(checkpoints);
  out["range_proof"] = HashesJson(b.range_proof);
  if (b.consistency_from > 0) {
    out["consistency"] = Json{{"from_size", b.consistency_from},
                              {"proof", HashesJson(b.consistency_proof)}};
  }
  out["events"] = std::move(events);
  // Never throws: what is not UTF-8 was left out above, and anything else
  // would be written with U+FFFD.
  return out.dump(2, ' ', /*ensure_ascii=*/false,
                  Json::error_handler_t::replace) +
         "\n";
}

absl::StatusOr<Bundle> BundleFromJson(std::string_view json) {
  const Json v = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) {
    return absl::InvalidArgumentError(
        "bundle: the file is not valid JSON; was it cut short or edited?");
  }
  try {
    return ReadBundle(v);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bundle: cannot be read: ", e.what()));
  }
}

VerifyReport VerifyBundle(const Bundle& bundle, const audit::VerifyingKey& key,
                          const std::optional<audit::Checkpoint>& kept) {
  LogVerifier verifier(bundle.district_id, bundle.first_seq);
  std::vector<PresentedEvent> events;
  events.reserve(bundle.events.size());
  for (const BundleEvent& e : bundle.events) {
    events.push_back({.seq = e.seq,
                      .canonical = e.canonical,
                      .leaf_hash = e.leaf_hash,
                      .readable = e.readable,
                      .readable_has_details = true});
  }
  verifier.AddAll(events);
  verifier.ExpectThrough(bundle.last_seq);
  VerifyInputs inputs;
  inputs.key = &key;
  inputs.kept = kept;
  // A bundle of the whole log is checked like a database: every checkpoint
  // against the recomputed roots (events past the newest are reported as
  // not covered). A slice needs its range proof.
  if (bundle.first_seq == 1 && bundle.last_seq >= bundle.checkpoint.tree_size) {
    inputs.checkpoints = bundle.checkpoints;
    inputs.checkpoints.push_back(bundle.checkpoint);
  } else {
    inputs.slice = SliceProof{.anchor = bundle.checkpoint,
                              .range_proof = bundle.range_proof,
                              .consistency_from = bundle.consistency_from,
                              .consistency_proof = bundle.consistency_proof};
  }
  return verifier.Finish(inputs);
}

}  // namespace taskgate::audit
