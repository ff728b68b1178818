// Paging of the read side (AIP-158 style, SPEC §9: every list is paged):
// a page size with a default and a cap, and opaque page tokens that bind a
// position to the query that produced it, so that a token is refused for
// any other query. Pure functions; thread-safe.
#ifndef TASKGATE_WORKFLOW_PAGING_H_
#define TASKGATE_WORKFLOW_PAGING_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
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

// The bytes one page may hold: half of gRPC's default 4 MiB message limit,
// so that a page of the largest valid items and its envelope always fit.
inline constexpr size_t kMaxPageBytes = size_t{2} << 20;

// Cuts `items` to the longest prefix whose sizes (`size_of`, an estimate at
// least the size of the item's answer) stay within `kMaxPageBytes`; at
// least one item is kept, since request limits bound a single item.
// Returns whether it cut.
template <typename T, typename SizeOf>
bool FitPageBytes(std::vector<T>& items, SizeOf size_of) {
  size_t total = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    total += size_of(items[i]);
    if (total > kMaxPageBytes && i > 0) {
      items.resize(i);
      return true;
    }
  }
  return false;
}

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

// One page of `all`, a whole (bounded) list read at once, in ascending
// order of `key_of` (a string unique per item): the items after the key in
// `page.page_token` (which must belong to `query`), at most the page size
// (default `fallback`) and `kMaxPageBytes` by `size_of`.
template <typename T, typename KeyOf, typename SizeOf>
absl::StatusOr<Page<T>> PageOfList(std::vector<T> all, const PageRequest& page,
                                   std::string_view query, KeyOf key_of,
                                   SizeOf size_of, int32_t fallback = 100) {
  std::vector<FieldViolation> violations;
  const int32_t size = PageSize(page.page_size, violations, fallback);
  if (!violations.empty()) return InvalidArgumentWithViolations(violations);
  std::stable_sort(all.begin(), all.end(), [&](const T& a, const T& b) {
    return key_of(a) < key_of(b);
  });
  auto first = all.begin();
  if (!page.page_token.empty()) {
    absl::StatusOr<std::string> after = DecodePageToken(page.page_token, query);
    if (!after.ok()) return after.status();
    first = std::upper_bound(
        all.begin(), all.end(), *after,
        [&](const std::string& k, const T& item) { return k < key_of(item); });
  }
  Page<T> out;
  const size_t left = static_cast<size_t>(all.end() - first);
  const size_t take = std::min(left, static_cast<size_t>(size));
  out.items.assign(std::make_move_iterator(first),
                   std::make_move_iterator(first + take));
  const bool cut = FitPageBytes(out.items, size_of);
  const bool more = cut || take < left;
  if (more && !out.items.empty()) {
    out.next_page_token = EncodePageToken(query, key_of(out.items.back()));
  }
  return out;
}

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_PAGING_H_
