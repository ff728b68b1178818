#include "audit/encoding.h"

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>

#include "domain/types.h"

namespace taskgate::audit {
namespace {

// Appends `value` as `bytes` big-endian bytes.
void AppendBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void AppendU32(std::string& out, size_t value) {
  // A length or count that does not fit would make the encoding ambiguous;
  // no audit field comes near 4 GiB, so this is a broken invariant.
  if (value > std::numeric_limits<uint32_t>::max()) std::abort();
  AppendBigEndian(out, value, 4);
}

void AppendString(std::string& out, std::string_view s) {
  AppendU32(out, s.size());
  out.append(s);
}

// A field's name for error messages, e.g. "details[2].key". Formatted only
// when an error needs it: verification decodes millions of events.
struct FieldName {
  // NOLINTNEXTLINE(google-explicit-constructor): reads like the name.
  FieldName(std::string_view base) : base(base) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  FieldName(const char* base) : base(base) {}
  FieldName(std::string_view base, uint64_t index, std::string_view suffix)
      : base(base), index(index), suffix(suffix), indexed(true) {}
  std::string Text() const {
    return indexed ? absl::StrCat(std::string(base), "[", index, "]",
                                  std::string(suffix))
                   : std::string(base);
  }
  std::string_view base;
  uint64_t index = 0;
  std::string_view suffix;
  bool indexed = false;
};

// Reads the encoding front to back; `offset()` is the position of the next
// byte, reported in every error so an auditor can find the bad byte.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }

  absl::StatusOr<uint64_t> ReadBigEndian(const FieldName& field, int size) {
    if (remaining() < static_cast<size_t>(size)) {
      return Truncated(field, size);
    }
    uint64_t value = 0;
    for (int i = 0; i < size; ++i) {
      value = (value << 8) | static_cast<uint8_t>(bytes_[offset_ + i]);
    }
    offset_ += size;
    return value;
  }

  absl::StatusOr<std::string_view> ReadString(const FieldName& field) {
    const size_t start = offset_;
    absl::StatusOr<uint64_t> length = ReadBigEndian(field, 4);
    if (!length.ok()) return length.status();
    if (remaining() < *length) {
      return absl::InvalidArgumentError(absl::StrCat(
          "audit event truncated: field ", field.Text(), " at byte ", start,
          " declares ", *length, " bytes but only ", remaining(), " remain"));
    }
    const std::string_view value = bytes_.substr(offset_, *length);
    offset_ += *length;
    return value;
  }

  // The next `n` bytes; the caller has checked that they remain.
  std::string_view Take(size_t n) {
    const std::string_view taken = bytes_.substr(offset_, n);
    offset_ += taken.size();
    return taken;
  }

 private:
  absl::Status Truncated(const FieldName& field, int size) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "audit event truncated: field ", field.Text(), " at byte ", offset_,
        " needs ", size, " bytes but only ", remaining(), " remain"));
  }

  std::string_view bytes_;
  size_t offset_ = 0;
};

// Reads version 2's writes (docs/audit-encoding.md).
absl::Status DecodeWrites(Reader& in, std::vector<EntityWriteView>& writes) {
  absl::StatusOr<uint64_t> count = in.ReadBigEndian("writes count", 4);
  if (!count.ok()) return count.status();
  for (uint64_t i = 0; i < *count; ++i) {
    EntityWriteView& write = writes.emplace_back();
    absl::StatusOr<std::string_view> kind =
        in.ReadString(FieldName("writes", i, ".kind"));
    if (!kind.ok()) return kind.status();
    write.kind = *kind;
    absl::StatusOr<std::string_view> id =
        in.ReadString(FieldName("writes", i, ".id"));
    if (!id.ok()) return id.status();
    write.id = *id;
    const size_t complete_offset = in.offset();
    absl::StatusOr<uint64_t> complete =
        in.ReadBigEndian(FieldName("writes", i, ".complete"), 1);
    if (!complete.ok()) return complete.status();
    if (*complete > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("writes[", i, "].complete at byte ", complete_offset,
                       " is ", *complete, "; it must be 0 or 1"));
    }
    write.complete = *complete == 1;
    absl::StatusOr<uint64_t> changes =
        in.ReadBigEndian(FieldName("writes", i, ".changes count"), 4);
    if (!changes.ok()) return changes.status();
    for (uint64_t j = 0; j < *changes; ++j) {
      const size_t field_offset = in.offset();
      absl::StatusOr<std::string_view> field =
          in.ReadString(FieldName("writes", i, ".changes.field"));
      if (!field.ok()) return field.status();
      if (!write.changes.empty() && !(write.changes.back().field < *field)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "writes[", i, "].changes[", j, "].field \"", std::string(*field),
            "\" at byte ", field_offset,
            " is not strictly after the previous field; fields must be "
            "unique and in ascending byte order"));
      }
      absl::StatusOr<std::string_view> before =
          in.ReadString(FieldName("writes", i, ".changes.before"));
      if (!before.ok()) return before.status();
      absl::StatusOr<std::string_view> after =
          in.ReadString(FieldName("writes", i, ".changes.after"));
      if (!after.ok()) return after.status();
      write.changes.push_back({*field, *before, *after});
    }
    if (in.remaining() < kStateDigestSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "audit event truncated: field writes[", i, "].state_digest at byte ",
          in.offset(), " needs ", kStateDigestSize, " bytes but only ",
          in.remaining(), " remain"));
    }
    write.state_digest = in.Take(kStateDigestSize);
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeAuditEvent(const domain::AuditEvent& event) {
  std::string out;
  if (event.encoding != kAuditEncodingV1 &&
      event.encoding != kAuditEncodingV2) {
    std::abort();
  }
  if (event.encoding == kAuditEncodingV1 && !event.writes.empty()) std::abort();
  out.push_back(static_cast<char>(event.encoding));
  AppendBigEndian(out, static_cast<uint64_t>(event.seq), 8);
  AppendBigEndian(out, static_cast<uint64_t>(absl::ToUnixMicros(event.time)),
                  8);
  AppendString(out, event.district_id);
  AppendString(out, event.actor_id);
  AppendString(out, domain::RoleName(event.actor_role));
  AppendString(out, event.action);
  AppendString(out, event.entity_type);
  AppendString(out, event.entity_id);
  AppendString(out, event.state_before);
  AppendString(out, event.state_after);
  AppendString(out, event.reason);
  AppendString(out, event.request_id);
  AppendString(out, event.department_id);
  AppendU32(out, event.community_ids.size());
  for (const std::string& id : event.community_ids) AppendString(out, id);
  // std::map iterates in ascending byte order with unique keys, which is
  // exactly the canonical order.
  AppendU32(out, event.details.size());
  for (const auto& [key, value] : event.details) {
    AppendString(out, key);
    AppendString(out, value);
  }
  if (event.encoding == kAuditEncodingV1) return out;
  AppendU32(out, event.writes.size());
  for (const domain::EntityWrite& write : event.writes) {
    AppendString(out, write.kind);
    AppendString(out, write.id);
    out.push_back(write.complete ? 1 : 0);
    AppendU32(out, write.changes.size());
    for (const domain::FieldChange& change : write.changes) {
      AppendString(out, change.field);
      AppendString(out, change.before);
      AppendString(out, change.after);
    }
    // Fixed size: a digest of any other length is a broken invariant.
    if (write.state_digest.size() != kStateDigestSize) std::abort();
    out.append(write.state_digest);
  }
  return out;
}

size_t EncodedAuditEventSize(const domain::AuditEvent& event) {
  if (event.encoding != kAuditEncodingV1 &&
      event.encoding != kAuditEncodingV2) {
    std::abort();
  }
  if (event.encoding == kAuditEncodingV1 && !event.writes.empty()) std::abort();
  // A `string` is its u32 length and its bytes; a count is a u32.
  const auto str = [](std::string_view s) { return 4 + s.size(); };
  size_t n = 1 + 8 + 8;  // version, seq, time
  for (std::string_view s :
       {std::string_view(event.district_id), std::string_view(event.actor_id),
        domain::RoleName(event.actor_role), std::string_view(event.action),
        std::string_view(event.entity_type), std::string_view(event.entity_id),
        std::string_view(event.state_before),
        std::string_view(event.state_after), std::string_view(event.reason),
        std::string_view(event.request_id),
        std::string_view(event.department_id)}) {
    n += str(s);
  }
  n += 4;
  for (const std::string& id : event.community_ids) n += str(id);
  n += 4;
  for (const auto& [key, value] : event.details) n += str(key) + str(value);
  if (event.encoding == kAuditEncodingV1) return n;
  n += 4;
  for (const domain::EntityWrite& write : event.writes) {
    n += str(write.kind) + str(write.id) + 1 + 4 + kStateDigestSize;
    for (const domain::FieldChange& change : write.changes) {
      n += str(change.field) + str(change.before) + str(change.after);
    }
  }
  return n;
}

absl::Status DecodeAuditEventView(std::string_view bytes,
                                  AuditEventView& event) {
  Reader in(bytes);
  event.community_ids.clear();
  event.details.clear();
  event.writes.clear();

  absl::StatusOr<uint64_t> version = in.ReadBigEndian("version", 1);
  if (!version.ok()) return version.status();
  if (*version != kAuditEncodingV1 && *version != kAuditEncodingV2) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown audit encoding version ", *version,
                     " at byte 0; this decoder reads versions 1 and 2"));
  }
  event.encoding = static_cast<int>(*version);

  absl::StatusOr<uint64_t> seq = in.ReadBigEndian("seq", 8);
  if (!seq.ok()) return seq.status();
  event.seq = static_cast<int64_t>(*seq);

  absl::StatusOr<uint64_t> micros = in.ReadBigEndian("time", 8);
  if (!micros.ok()) return micros.status();
  event.time = absl::FromUnixMicros(static_cast<int64_t>(*micros));

  // The string fields in their fixed order.
  struct StringField {
    const char* name;
    std::string_view* target;
  };
  std::string_view role_name;
  const StringField fields[] = {
      {"district_id", &event.district_id},
      {"actor_id", &event.actor_id},
      {"actor_role", &role_name},
      {"action", &event.action},
      {"entity_type", &event.entity_type},
      {"entity_id", &event.entity_id},
      {"state_before", &event.state_before},
      {"state_after", &event.state_after},
      {"reason", &event.reason},
      {"request_id", &event.request_id},
      {"department_id", &event.department_id},
  };
  size_t role_offset = 0;
  for (const StringField& field : fields) {
    if (field.target == &role_name) role_offset = in.offset();
    absl::StatusOr<std::string_view> value = in.ReadString(field.name);
    if (!value.ok()) return value.status();
    *field.target = *value;
  }
  std::optional<domain::Role> role = domain::ParseRole(role_name);
  if (!role.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown actor_role \"", std::string(role_name), "\" at byte ",
        role_offset, "; expected a role name such as reviewer"));
  }
  event.actor_role = *role;

  absl::StatusOr<uint64_t> community_count =
      in.ReadBigEndian("community_ids count", 4);
  if (!community_count.ok()) return community_count.status();
  // No reserve(): the count is untrusted; a lying count fails on truncation.
  for (uint64_t i = 0; i < *community_count; ++i) {
    absl::StatusOr<std::string_view> id =
        in.ReadString(FieldName("community_ids", i, ""));
    if (!id.ok()) return id.status();
    event.community_ids.push_back(*id);
  }

  absl::StatusOr<uint64_t> details_count = in.ReadBigEndian("details count", 4);
  if (!details_count.ok()) return details_count.status();
  for (uint64_t i = 0; i < *details_count; ++i) {
    const size_t key_offset = in.offset();
    absl::StatusOr<std::string_view> key =
        in.ReadString(FieldName("details", i, ".key"));
    if (!key.ok()) return key.status();
    // string_view compares as unsigned bytes (char_traits<char>::lt), so
    // this is byte order.
    if (!event.details.empty() && !(event.details.back().first < *key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "details[", i, "].key \"", std::string(*key), "\" at byte ",
          key_offset, " is not strictly after the previous key \"",
          std::string(event.details.back().first),
          "\"; keys must be unique and in ascending byte order"));
    }
    absl::StatusOr<std::string_view> value =
        in.ReadString(FieldName("details", i, ".value"));
    if (!value.ok()) return value.status();
    event.details.emplace_back(*key, *value);
  }

  if (event.encoding == kAuditEncodingV2) {
    if (absl::Status s = DecodeWrites(in, event.writes); !s.ok()) return s;
  }

  if (in.remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit event has ", in.remaining(),
                     " trailing bytes at byte ", in.offset(), " after the ",
                     event.encoding == kAuditEncodingV1 ? "details" : "writes",
                     "; the encoding must end there"));
  }
  return absl::OkStatus();
}

domain::EntityWrite ToEntityWrite(const EntityWriteView& view) {
  domain::EntityWrite write{.kind = std::string(view.kind),
                            .id = std::string(view.id),
                            .complete = view.complete,
                            .changes = {},
                            .state_digest = std::string(view.state_digest)};
  write.changes.reserve(view.changes.size());
  for (const FieldChangeView& c : view.changes) {
    write.changes.push_back(
        {std::string(c.field), std::string(c.before), std::string(c.after)});
  }
  return write;
}

absl::StatusOr<domain::AuditEvent> DecodeAuditEvent(std::string_view bytes) {
  AuditEventView view;
  if (absl::Status s = DecodeAuditEventView(bytes, view); !s.ok()) return s;
  domain::AuditEvent event;
  event.seq = view.seq;
  event.time = view.time;
  event.district_id = view.district_id;
  event.actor_id = view.actor_id;
  event.actor_role = view.actor_role;
  event.action = view.action;
  event.entity_type = view.entity_type;
  event.entity_id = view.entity_id;
  event.state_before = view.state_before;
  event.state_after = view.state_after;
  event.reason = view.reason;
  event.request_id = view.request_id;
  event.department_id = view.department_id;
  event.community_ids.assign(view.community_ids.begin(),
                             view.community_ids.end());
  for (const auto& [key, value] : view.details) {
    event.details.emplace_hint(event.details.end(), key, value);
  }
  event.encoding = view.encoding;
  event.writes.reserve(view.writes.size());
  for (const EntityWriteView& write : view.writes) {
    event.writes.push_back(ToEntityWrite(write));
  }
  return event;
}

}  // namespace taskgate::audit
