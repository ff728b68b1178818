#include "audit/state.h"

#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include <absl/strings/str_cat.h>

#include "common/safe_text.h"

namespace taskgate::audit {
namespace {

// Problems beyond this many are not kept: the first ones say what to fix.
constexpr size_t kMaxProblems = 50;

void AppendU32(std::string& out, size_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void AppendString(std::string& out, std::string_view s) {
  AppendU32(out, s.size());
  out.append(s);
}

}  // namespace

Hash StateDigest(std::string_view kind, std::string_view id,
                 const domain::Fields& fields) {
  std::string bytes;
  bytes.push_back(1);
  AppendString(bytes, kind);
  AppendString(bytes, id);
  size_t count = 0;
  for (const auto& [field, value] : fields) count += value.empty() ? 0 : 1;
  AppendU32(bytes, count);
  for (const auto& [field, value] : fields) {
    if (value.empty()) continue;
    AppendString(bytes, field);
    AppendString(bytes, value);
  }
  return Sha256(bytes);
}

domain::EntityWrite MakeWrite(std::string_view kind, std::string_view id,
                              const domain::Fields& before,
                              const domain::Fields& after, bool complete) {
  domain::EntityWrite write{.kind = std::string(kind),
                            .id = std::string(id),
                            .complete = complete,
                            .changes = {},
                            .state_digest = {}};
  static const std::string kAbsent;
  auto b = before.begin();
  auto a = after.begin();
  // One merge of the two sorted maps.
  while (b != before.end() || a != after.end()) {
    const bool take_b =
        a == after.end() || (b != before.end() && b->first <= a->first);
    const bool take_a =
        b == before.end() || (a != after.end() && a->first <= b->first);
    const std::string& field = take_b ? b->first : a->first;
    const std::string& old_value = take_b ? b->second : kAbsent;
    const std::string& new_value = take_a ? a->second : kAbsent;
    if (old_value != new_value || (complete && !new_value.empty())) {
      write.changes.push_back({field, old_value, new_value});
    }
    if (take_b) ++b;
    if (take_a) ++a;
  }
  const Hash digest = StateDigest(kind, id, after);
  write.state_digest.assign(reinterpret_cast<const char*>(digest.data()),
                            digest.size());
  return write;
}

std::string EntityKey(std::string_view kind, std::string_view id) {
  return absl::StrCat(std::string(kind), "/", std::string(id));
}

std::string EntityName(std::string_view key) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return std::string(key);
  return absl::StrCat(std::string(key.substr(0, slash)), " ",
                      std::string(key.substr(slash + 1)));
}

StateReplay::StateReplay(Options options) : options_(std::move(options)) {}

void StateReplay::Fail(int64_t seq, std::string message) {
  if (problems_.size() < kMaxProblems) {
    problems_.push_back({seq, std::move(message)});
  }
}

void StateReplay::Apply(int64_t seq, std::span<const EntityWriteView> writes) {
  for (const EntityWriteView& write : writes) {
    std::string key = EntityKey(write.kind, write.id);
    if (options_.only.has_value() && !options_.only->contains(key)) continue;
    const std::string name = EntityName(key);
    Entity& entity = entities_[std::move(key)];
    const bool new_entity = entity.seq == 0;
    std::copy(write.state_digest.begin(), write.state_digest.end(),
              entity.digest.begin());
    entity.seq = seq;
    if (!options_.keep_fields) continue;
    if (write.complete) {
      if (!new_entity && entity.fields_known) {
        // Every field the log left must be listed, with its value.
        for (const auto& [field, value] : entity.fields) {
          bool listed = false;
          for (const FieldChangeView& c : write.changes) {
            if (c.field == field) listed = true;
          }
          if (!listed) {
            Fail(seq, absl::StrCat(name, " field ", field, " was ",
                                   QuotedForLog(value),
                                   " but this complete write leaves it out"));
          }
        }
      }
    } else if (new_entity || !entity.fields_known) {
      // First written before version 2: what it held before is not in the
      // log, so its fields cannot be followed; its digest still is.
      entity.fields_known = false;
      entity.fields.clear();
      continue;
    }
    for (const FieldChangeView& c : write.changes) {
      auto it = entity.fields.find(c.field);
      const std::string_view current =
          it == entity.fields.end() ? std::string_view() : it->second;
      if (entity.fields_known && current != c.before) {
        Fail(seq,
             absl::StrCat(name, " field ", std::string(c.field), " was ",
                          QuotedForLog(current), " by the log's earlier events",
                          " but this write says ", QuotedForLog(c.before)));
      }
    }
    if (write.complete) entity.fields.clear();
    for (const FieldChangeView& c : write.changes) {
      if (c.after.empty()) {
        entity.fields.erase(std::string(c.field));
      } else {
        entity.fields[std::string(c.field)] = std::string(c.after);
      }
    }
    entity.fields_known = true;
    const Hash digest = StateDigest(write.kind, write.id, entity.fields);
    if (write.state_digest.size() != digest.size() ||
        !std::equal(
            digest.begin(), digest.end(),
            reinterpret_cast<const uint8_t*>(write.state_digest.data()))) {
      Fail(seq, absl::StrCat("the state of ", name,
                             " after this write does not hash to the "
                             "write's state_digest"));
    }
  }
}

}  // namespace taskgate::audit
