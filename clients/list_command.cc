#include "clients/list_command.h"

#include <algorithm>

namespace taskgate::clients::cli {

void AddListFlags(CLI::App* app, ListFlags& flags) {
  app->add_option("--limit", flags.limit, "At most this many items (0: all)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--page-size", flags.page_size,
                  "Items per request (1-500; default: the server's)")
      ->check(CLI::Range(0, kMaxPageSize));
}

int NextPageSize(const ListFlags& paging, size_t have) {
  int size = paging.page_size;
  if (paging.limit > 0) {
    const int remaining = paging.limit - static_cast<int>(have);
    if (size <= 0 || size > remaining) size = remaining;
    size = std::min(size, kMaxPageSize);
  }
  return size;
}

}  // namespace taskgate::clients::cli
