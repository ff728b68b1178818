// The district the benchmark runs against, set up through AdminService the
// way an operator would (SPEC §10's size by default: 30 departments, 195
// communities in 13 streets), and the clean tasks its departments submit.
//
// Thread-safety: `SetUpDistrict` runs phases on the given driver (its
// thread); `District` is plain data; `TaskFactory` is not thread-safe (the
// driver's thread only).
#ifndef TASKGATE_BENCH_LOADGEN_DISTRICT_H_
#define TASKGATE_BENCH_LOADGEN_DISTRICT_H_

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/civil_time.h>

#include "bench/loadgen/connection.h"
#include "bench/loadgen/driver.h"
#include "taskgate/v1/resources.pb.h"

namespace taskgate::bench {

struct DistrictShape {
  int departments = 30;
  int communities = 195;
  int streets = 13;
  // Reviewers; the first half belong to a home department (whose tasks
  // they may not decide), the rest to none.
  int reviewers = 8;
  // Catalog sizes; tasks use the assist list (reviewed, funded).
  int duty_items = 10;
  int assist_items = 20;
  int negative_items = 6;
};

// The principals' bearer secrets and the ids the load refers to.
struct District {
  DistrictShape shape;
  std::string admin_token;
  std::vector<std::string> department_ids;
  std::vector<std::string> department_tokens;  // one clerk per department
  std::vector<std::string> reviewer_tokens;
  std::vector<int> reviewer_home;  // department index, or -1
  std::string auditor_token;
  std::vector<std::string> community_ids;
  std::vector<std::string> assist_codes;
  std::vector<std::string> assist_titles;
  std::vector<std::string> assist_bases;  // legal basis per assist item
  int64_t calls = 0;                      // admin calls made
};

// INVALID_ARGUMENT when a count is out of range (at least 1 department,
// community and street, at most as many streets as communities, at least 2
// reviewers, at least 1 item per list, at most 999 of anything).
absl::Status ValidateShape(const DistrictShape& shape);

// Publishes the catalog, puts the communities, creates one clerk per
// department, the reviewers and an auditor, and issues a token to each,
// with `in_flight` calls at a time on `admin`. `timing` bounds the phase
// (its duration is ignored). Errors: the first failed call, as
// FAILED_PRECONDITION naming the call; DEADLINE_EXCEEDED when the phase
// limit passed first; CANCELLED when interrupted.
absl::StatusOr<District> SetUpDistrict(Driver& driver, Connection& admin,
                                       const std::string& admin_token,
                                       const DistrictShape& shape,
                                       int in_flight, const PhaseSpec& timing);

// Specs of clean tasks: an assist-list item with a legal basis, the duty
// split, funding and a lead time of more than 30 days, no controlled types,
// one community and one calendar month, one hour a month. A department's
// n-th task gets its own (item, community, month), so no two of its tasks
// overlap (no R-DUPLICATE); months run over ten years from `first_month`,
// so that no community nears its capacity (no R-CAPACITY) even after a
// million events. Such a task is SUBMITTED without findings and approved
// without acknowledgements.
class TaskFactory {
 public:
  TaskFactory(const District& district, absl::CivilMonth first_month);

  // The next spec for department `dept` (an index into `department_ids`).
  v1::TaskSpec Next(int dept);

  // How many distinct tasks one department can have before they repeat.
  int64_t distinct_per_department() const;

 private:
  const District& district_;
  const absl::CivilMonth first_month_;
  std::vector<int64_t> next_;  // per department
};

// The first month a new task may start in: two months after today's (UTC),
// which leaves more than the default 30 days of lead time.
absl::CivilMonth FirstTaskMonth();

}  // namespace taskgate::bench

#endif  // TASKGATE_BENCH_LOADGEN_DISTRICT_H_
