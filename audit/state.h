// The state of stored entities as the audit log records it (encoding
// version 2, docs/audit-encoding.md): the digest every write carries, the
// write that takes an entity from one state to the next, and a replay that
// rebuilds each entity's state from the log, so that the tables can be
// proved to be what the log says (SPEC §7).
//
// Pure; `StateReplay` is not thread-safe (one per replay), the functions are.
#ifndef TASKGATE_AUDIT_STATE_H_
#define TASKGATE_AUDIT_STATE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "audit/encoding.h"
#include "audit/merkle.h"
#include "domain/fields.h"
#include "domain/types.h"

namespace taskgate::audit {

// SHA-256 of the entity's canonical state: u8 1, then `kind`, `id`, a u32
// count and each (field, value) pair as `string`s in ascending field order
// (the primitives of docs/audit-encoding.md). Fields at their zero value are
// absent (domain/fields.h), so "" values are skipped here too.
Hash StateDigest(std::string_view kind, std::string_view id,
                 const domain::Fields& fields);

// The write that takes entity (`kind`, `id`) from `before` to `after`: the
// changed fields, or when `complete` every field of `after` and every field
// it cleared; with the digest of `after`.
domain::EntityWrite MakeWrite(std::string_view kind, std::string_view id,
                              const domain::Fields& before,
                              const domain::Fields& after, bool complete);

// "kind/id": how replays and reports key an entity (kinds hold no '/').
std::string EntityKey(std::string_view kind, std::string_view id);
// "task t1", "decision t1/2": how reports name an entity.
std::string EntityName(std::string_view key);

class StateReplay {
 public:
  struct Options {
    // Keep each entity's fields (to name a differing field, or rebuild a
    // state); otherwise only its latest digest, for checking many entities
    // in little memory.
    bool keep_fields = true;
    // When set, only these keys are followed.
    std::optional<absl::flat_hash_set<std::string>> only;
  };

  struct Entity {
    Hash digest{};    // of the latest write
    int64_t seq = 0;  // of the event of the latest write
    // True once a complete write (its creation, or a baseline) gave every
    // field; false for an entity first written before version 2, whose
    // earlier state the log does not hold. Only with `keep_fields`.
    bool fields_known = false;
    domain::Fields fields;
  };

  struct Problem {
    int64_t seq = 0;
    std::string message;
  };

  explicit StateReplay(Options options);

  // Applies the writes of the event at `seq`, which must follow the events
  // already applied. With `keep_fields`, checks that each change's `before`
  // is the value the log left, and that the state after hashes to the
  // write's digest; disagreements become problems.
  void Apply(int64_t seq, std::span<const EntityWriteView> writes);

  const absl::flat_hash_map<std::string, Entity>& entities() const {
    return entities_;
  }
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  void Fail(int64_t seq, std::string message);

  Options options_;
  absl::flat_hash_map<std::string, Entity> entities_;
  std::vector<Problem> problems_;
};

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_STATE_H_
