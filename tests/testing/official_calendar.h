// The official 2026 working-day calendar, written out for the tests rather
// than taken from the demo data, so that a mistake in one shows against the
// other. Test-only, header-only.
#ifndef TASKGATE_TESTS_TESTING_OFFICIAL_CALENDAR_H_
#define TASKGATE_TESTS_TESTING_OFFICIAL_CALENDAR_H_

#include <utility>

#include <absl/time/civil_time.h>

#include "domain/types.h"

namespace taskgate::testing {

// 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04): 元旦 01-01..03 off,
// Sun 01-04 works; 春节 02-15..23 off, Sat 02-14 and Sat 02-28 work; 清明
// 04-04..06; 劳动节 05-01..05 off, Sat 05-09 works; 端午 06-19..21; 中秋
// 09-25..27; 国庆 10-01..07 off, Sun 09-20 and Sat 10-10 work.
inline domain::CalendarYear Official2026() {
  domain::CalendarYear c;
  c.year = 2026;
  const auto off = [&](int m, int first, int last) {
    for (int d = first; d <= last; ++d) {
      c.holidays.push_back(absl::CivilDay(2026, m, d));
    }
  };
  off(1, 1, 3);
  off(2, 15, 23);
  off(4, 4, 6);
  off(5, 1, 5);
  off(6, 19, 21);
  off(9, 25, 27);
  off(10, 1, 7);
  for (const auto& [m, d] :
       {std::pair{1, 4}, {2, 14}, {2, 28}, {5, 9}, {9, 20}, {10, 10}}) {
    c.makeup_workdays.push_back(absl::CivilDay(2026, m, d));
  }
  c.note = "国务院办公厅关于2026年部分节假日安排的通知";
  return c;
}

}  // namespace taskgate::testing

#endif  // TASKGATE_TESTS_TESTING_OFFICIAL_CALENDAR_H_
