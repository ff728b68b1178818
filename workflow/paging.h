// Paging of the read side (AIP-158 style, SPEC §9: every list is paged):
// a page size with a default and a cap, and opaque page tokens that bind a
// position to the query that produced it, so that a token is refused for
// any other query. Pure functions; thread-safe.
#ifndef TASKGATE_WORKFLOW_PAGING_H_
#define TASKGATE_WORKFLOW_PAGING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "common/field_violations.h"

namespace taskgate::workflow {

// What a caller asks of a list: `page_size` 0 means the list's default;
// `page_token` empty means the first page.
struct PageRequest {
  int32_t page_size = 0;
  std::string page_token;
};

// One page; `next_page_token` is empty on the last.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

// The largest page any list returns.
inline constexpr int32_t kMaxPageSize = 500;

// Page size: 0 means `fallback`; capped at `kMaxPageSize`; negative appends
// a violation of "page_size" and gives `fallback`.
int32_t PageSize(int32_t requested, std::vector<FieldViolation>& violations,
                 int32_t fallback = 50);

// A token for the page after `position` of the query identified by `query`.
std::string EncodePageToken(std::string_view query, std::string_view position);

// The longest page token this server issues, and reads: a token holds its
// query (a list's filters, each bounded) and a position.
inline constexpr size_t kMaxPageTokenLength = 8192;

// The position in `token`. INVALID_ARGUMENT (field "page_token") for a token
// this server did not issue (one longer than `kMaxPageTokenLength`, say) or
// one that belongs to another query.
absl::StatusOr<std::string> DecodePageToken(std::string_view token,
                                            std::string_view query);

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_PAGING_H_
