#include "audit/checkpoint.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "audit/merkle.h"
#include "audit/signing.h"

namespace taskgate::audit {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr size_t kKeyIdSize = 16;

// RFC 3339 in UTC with exactly six fractional digits, e.g.
// "2024-05-01T08:30:00.000001Z".
constexpr char kTimeFormat[] = "%Y-%m-%d%ET%H:%M:%E6SZ";

bool IsKeyId(std::string_view s) {
  if (s.size() != kKeyIdSize) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Base64Encode(std::string_view bytes) {
  // EVP_EncodeBlock writes 4 characters per started 3 bytes plus a NUL.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Strict standard base64 with padding. EVP_DecodeBlock alone would skip
// surrounding whitespace and count the padding as zero bytes, so the input is
// checked first and the padding subtracted.
std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    ++padding;
    if (text[text.size() - 2] == '=') ++padding;
  }
  for (size_t i = 0; i < text.size() - padding; ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  return out;
}

std::string Rfc3339Utc(absl::Time t) {
  return absl::FormatTime(kTimeFormat, t, absl::UTCTimeZone());
}

// Returns why `log_id` cannot go into a checkpoint, or OK.
absl::Status CheckLogId(std::string_view log_id) {
  if (log_id.empty()) return absl::InvalidArgumentError("log_id is empty");
  for (char c : log_id) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "log_id contains control character 0x", absl::Hex(u, absl::kZeroPad2),
          "; it must be one line of printable text"));
    }
  }
  // nlohmann's strict UTF-8 check (overlong forms, surrogates); the JSON form
  // could not carry other bytes unchanged.
  try {
    (void)Json(std::string(log_id)).dump();
  } catch (const Json::type_error&) {
    return absl::InvalidArgumentError("log_id is not valid UTF-8");
  }
  return absl::OkStatus();
}

absl::Status CheckTreeSize(int64_t tree_size) {
  if (tree_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree_size is ", tree_size, "; it must not be negative"));
  }
  return absl::OkStatus();
}

absl::Status FieldError(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "checkpoint field \"", std::string(field), "\" ", std::string(problem)));
}

// Returns the member `field` of `obj` if present and a string.
absl::StatusOr<std::string> StringField(const Json& obj,
                                        std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end()) return FieldError(field, "is missing");
  if (!it->is_string()) return FieldError(field, "is not a string");
  return it->get<std::string>();
}

// Returns the member `field` of `obj` if present and an integer in int64.
absl::StatusOr<int64_t> Int64Field(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end()) return FieldError(field, "is missing");
  if (!it->is_number_integer()) return FieldError(field, "is not an integer");
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return FieldError(field, "is too large");
  }
  return it->get<int64_t>();
}

}  // namespace

std::string CheckpointBody(const Checkpoint& c) {
  return absl::StrCat(std::string(kCheckpointFormat), "\n", c.log_id, "\n",
                      c.tree_size, "\n", audit::ToHex(c.root_hash), "\n",
                      absl::ToUnixMicros(c.time), "\n", c.key_id, "\n");
}

absl::StatusOr<Checkpoint> SignCheckpoint(std::string log_id, int64_t tree_size,
                                          const audit::Hash& root,
                                          absl::Time time,
                                          const audit::SigningKey& key) {
  if (absl::Status s = CheckLogId(log_id); !s.ok()) return s;
  if (absl::Status s = CheckTreeSize(tree_size); !s.ok()) return s;
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return absl::InvalidArgumentError("checkpoint time must be finite");
  }
  Checkpoint c;
  c.log_id = std::move(log_id);
  c.tree_size = tree_size;
  c.root_hash = root;
  c.time = absl::FromUnixMicros(absl::ToUnixMicros(time));
  c.key_id = key.KeyId();
  c.signature = key.Sign(CheckpointBody(c));
  if (c.signature.size() != audit::kSignatureSize) {
    return absl::InternalError("signing the checkpoint failed");
  }
  return c;
}

absl::Status VerifyCheckpoint(const Checkpoint& c,
                              const audit::VerifyingKey& key) {
  if (absl::Status s = CheckLogId(c.log_id); !s.ok()) return s;
  if (absl::Status s = CheckTreeSize(c.tree_size); !s.ok()) return s;
  if (c.signature.size() != audit::kSignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint signature is ", c.signature.size(),
                     " bytes; an ed25519 signature is 64"));
  }
  if (c.key_id != key.KeyId()) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint was signed by key ", c.key_id,
                     ", not by the key given (", key.KeyId(), ")"));
  }
  if (!key.Verify(CheckpointBody(c), c.signature)) {
    return absl::DataLossError(
        "signature does not verify: the checkpoint was altered or forged");
  }
  return absl::OkStatus();
}

std::string CheckpointToJson(const Checkpoint& c) {
  OrderedJson j;
  j["format"] = std::string(kCheckpointFormat);
  j["log_id"] = c.log_id;
  j["tree_size"] = c.tree_size;
  j["root_hash"] = audit::ToHex(c.root_hash);
  j["time"] = Rfc3339Utc(c.time);
  j["time_unix_micros"] = absl::ToUnixMicros(c.time);
  j["key_id"] = c.key_id;
  j["signature"] = Base64Encode(c.signature);
  return j.dump(2, ' ', /*ensure_ascii=*/false,
                OrderedJson::error_handler_t::replace) +
         "\n";
}

absl::StatusOr<Checkpoint> CheckpointFromJson(std::string_view json) {
  Json j = Json::parse(json.begin(), json.end(), /*cb=*/nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError("checkpoint is not valid JSON");
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError("checkpoint JSON is not an object");
  }
  Checkpoint c;

  absl::StatusOr<std::string> format = StringField(j, "format");
  if (!format.ok()) return format.status();
  if (*format != kCheckpointFormat) {
    return FieldError("format",
                      absl::StrCat("is \"", *format, "\", not \"",
                                   std::string(kCheckpointFormat), "\""));
  }

  absl::StatusOr<std::string> log_id = StringField(j, "log_id");
  if (!log_id.ok()) return log_id.status();
  if (absl::Status s = CheckLogId(*log_id); !s.ok()) {
    return FieldError("log_id", std::string(s.message()));
  }
  c.log_id = *std::move(log_id);

  absl::StatusOr<int64_t> tree_size = Int64Field(j, "tree_size");
  if (!tree_size.ok()) return tree_size.status();
  if (*tree_size < 0) return FieldError("tree_size", "is negative");
  c.tree_size = *tree_size;

  absl::StatusOr<std::string> root = StringField(j, "root_hash");
  if (!root.ok()) return root.status();
  std::optional<audit::Hash> hash = audit::HashFromHex(*root);
  if (!hash.has_value()) {
    return FieldError("root_hash",
                      absl::StrCat("is not 64 hex characters (", root->size(),
                                   " characters given)"));
  }
  c.root_hash = *hash;

  absl::StatusOr<int64_t> micros = Int64Field(j, "time_unix_micros");
  if (!micros.ok()) return micros.status();
  c.time = absl::FromUnixMicros(*micros);

  // "time" is only for people, but one that disagrees with the signed
  // time_unix_micros would mislead them, so it must match.
  absl::StatusOr<std::string> time_text = StringField(j, "time");
  if (!time_text.ok()) return time_text.status();
  absl::Time parsed;
  std::string parse_error;
  if (!absl::ParseTime(absl::RFC3339_full, *time_text, absl::UTCTimeZone(),
                       &parsed, &parse_error)) {
    return FieldError("time", absl::StrCat("is not RFC 3339: ", parse_error));
  }
  if (parsed != c.time) {
    return FieldError(
        "time", absl::StrCat("is ", *time_text, " but time_unix_micros says ",
                             Rfc3339Utc(c.time)));
  }

  absl::StatusOr<std::string> key_id = StringField(j, "key_id");
  if (!key_id.ok()) return key_id.status();
  if (!IsKeyId(*key_id)) {
    return FieldError("key_id", "is not 16 lower-case hex characters");
  }
  c.key_id = *std::move(key_id);

  absl::StatusOr<std::string> sig_text = StringField(j, "signature");
  if (!sig_text.ok()) return sig_text.status();
  std::optional<std::string> sig = Base64Decode(*sig_text);
  if (!sig.has_value()) return FieldError("signature", "is not base64");
  if (sig->size() != audit::kSignatureSize) {
    return FieldError("signature", absl::StrCat("decodes to ", sig->size(),
                                                " bytes; an ed25519 "
                                                "signature is 64"));
  }
  c.signature = *std::move(sig);
  return c;
}

}  // namespace taskgate::audit
