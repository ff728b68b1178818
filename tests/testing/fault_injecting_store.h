// `FaultInjectingStore`: a `Store` that forwards every call to a wrapped
// store, and can make the next `Commit` fail before or after it reaches that
// store — the error paths of callers without a broken database (compare
// leveldb's `EnvWrapper`). Test-only, header-only. Thread-safe; the wrapped
// store must outlive it.
#ifndef TASKGATE_TESTS_TESTING_FAULT_INJECTING_STORE_H_
#define TASKGATE_TESTS_TESTING_FAULT_INJECTING_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "audit/merkle.h"
#include "domain/types.h"
#include "store/store.h"

namespace taskgate::testing {

class FaultInjectingStore final : public store::Store {
 public:
  explicit FaultInjectingStore(store::Store& wrapped) : wrapped_(wrapped) {}
  FaultInjectingStore(const FaultInjectingStore&) = delete;
  FaultInjectingStore& operator=(const FaultInjectingStore&) = delete;

  // The next `Commit` returns `status` without reaching the wrapped store:
  // nothing is written.
  void FailNextCommit(absl::Status status) {
    absl::MutexLock lock(&mu_);
    fault_ = Fault{std::move(status), /*after_write=*/false};
  }

  // The next `Commit` is applied by the wrapped store, and then `status` is
  // returned instead of its result, whatever that was: outside a batch the
  // change may be stored although the caller hears of a failure (a lost
  // reply); inside one, the failed step's savepoint undoes it.
  void FailCommitAfterWrite(absl::Status status) {
    absl::MutexLock lock(&mu_);
    fault_ = Fault{std::move(status), /*after_write=*/true};
  }

  // Runs `f` at the start of the next `Commit`, before it reaches the
  // wrapped store: another writer slipping in between a caller's read and its
  // commit, as a concurrent request would.
  void RunBeforeNextCommit(std::function<void()> f) {
    absl::MutexLock lock(&mu_);
    before_commit_ = std::move(f);
  }

  // Number of `Commit` calls that reached the wrapped store.
  int commits_forwarded() const {
    absl::MutexLock lock(&mu_);
    return commits_forwarded_;
  }

  // Forwards the batch; each step is given this store, so that the faults
  // above apply to the `Commit`s made inside it (which the wrapped store
  // then applies within the batch). A fault after the write fails the step,
  // so the step's savepoint undoes that write.
  absl::StatusOr<store::BatchResult> CommitBatch(
      std::span<const store::BatchStep> steps) override {
    std::vector<store::BatchStep> through_us;
    through_us.reserve(steps.size());
    for (const store::BatchStep& step : steps) {
      through_us.push_back(
          store::BatchStep{[this, run = step.run](store::Store&) {
            {
              absl::MutexLock lock(&mu_);
              batch_thread_ = std::this_thread::get_id();
            }
            absl::Status status = run(*this);
            absl::MutexLock lock(&mu_);
            batch_thread_ = std::thread::id();
            return status;
          }});
    }
    return wrapped_.CommitBatch(through_us);
  }

  absl::StatusOr<store::CommitResult> Commit(
      const store::ChangeSet& change) override {
    std::function<void()> before;
    {
      absl::MutexLock lock(&mu_);
      before = std::exchange(before_commit_, nullptr);
    }
    if (before) before();  // outside the lock: it may commit through us
    std::optional<Fault> fault;
    {
      absl::MutexLock lock(&mu_);
      fault = std::exchange(fault_, std::nullopt);
      if (!fault.has_value() || fault->after_write) ++commits_forwarded_;
    }
    if (fault.has_value() && !fault->after_write) return fault->status;
    absl::StatusOr<store::CommitResult> result = wrapped_.Commit(change);
    if (fault.has_value()) return fault->status;
    return result;
  }

  // Every `ExpireRequests` call forwarded: its limit and whether it came
  // from a batch step.
  struct ExpireCall {
    int32_t limit = 0;
    bool in_batch = false;
  };
  std::vector<ExpireCall> expire_calls() const {
    absl::MutexLock lock(&mu_);
    return expire_calls_;
  }

  absl::StatusOr<int64_t> ExpireRequests(const std::string& district_id,
                                         absl::Time before,
                                         int32_t limit) override {
    {
      absl::MutexLock lock(&mu_);
      expire_calls_.push_back(
          ExpireCall{limit, batch_thread_ == std::this_thread::get_id()});
    }
    return wrapped_.ExpireRequests(district_id, before, limit);
  }

  absl::StatusOr<std::optional<store::StoredRequest>> FindRequest(
      const std::string& district_id, const std::string& request_id) override {
    return wrapped_.FindRequest(district_id, request_id);
  }
  absl::StatusOr<domain::District> GetDistrict(
      const std::string& district_id) override {
    return wrapped_.GetDistrict(district_id);
  }
  absl::StatusOr<domain::CatalogVersion> GetCatalog(
      const std::string& district_id, int64_t version) override {
    return wrapped_.GetCatalog(district_id, version);
  }
  absl::StatusOr<domain::CalendarYear> GetCalendarYear(
      const std::string& district_id, int32_t year, int64_t version) override {
    return wrapped_.GetCalendarYear(district_id, year, version);
  }
  absl::StatusOr<std::vector<domain::CalendarYear>> ListCalendarYears(
      const std::string& district_id, int32_t first_year) override {
    return wrapped_.ListCalendarYears(district_id, first_year);
  }
  absl::StatusOr<domain::Department> GetDepartment(
      const std::string& district_id,
      const std::string& department_id) override {
    return wrapped_.GetDepartment(district_id, department_id);
  }
  absl::StatusOr<std::vector<domain::Department>> ListDepartments(
      const std::string& district_id) override {
    return wrapped_.ListDepartments(district_id);
  }
  absl::StatusOr<domain::Street> GetStreet(
      const std::string& district_id, const std::string& street_id) override {
    return wrapped_.GetStreet(district_id, street_id);
  }
  absl::StatusOr<std::vector<domain::Street>> ListStreets(
      const std::string& district_id) override {
    return wrapped_.ListStreets(district_id);
  }
  absl::StatusOr<std::vector<std::string>> ListTaskDepartmentIds(
      const std::string& district_id) override {
    return wrapped_.ListTaskDepartmentIds(district_id);
  }
  absl::StatusOr<domain::Community> GetCommunity(
      const std::string& district_id,
      const std::string& community_id) override {
    return wrapped_.GetCommunity(district_id, community_id);
  }
  absl::StatusOr<std::vector<domain::Community>> ListCommunities(
      const std::string& district_id, const std::string& street_id) override {
    return wrapped_.ListCommunities(district_id, street_id);
  }
  absl::StatusOr<domain::Task> GetTask(const std::string& district_id,
                                       const std::string& task_id) override {
    return wrapped_.GetTask(district_id, task_id);
  }
  absl::StatusOr<std::vector<domain::Task>> ListTasks(
      const store::TaskQuery& query) override {
    return wrapped_.ListTasks(query);
  }
  absl::StatusOr<std::vector<domain::Task>> ListTasksDue(
      const std::string& district_id, absl::Time now, int32_t limit) override {
    return wrapped_.ListTasksDue(district_id, now, limit);
  }
  absl::StatusOr<std::optional<absl::Time>> NextTimer(
      const std::string& district_id) override {
    return wrapped_.NextTimer(district_id);
  }
  absl::StatusOr<std::vector<domain::Decision>> ListDecisions(
      const std::string& district_id, const std::string& task_id) override {
    return wrapped_.ListDecisions(district_id, task_id);
  }
  absl::StatusOr<std::vector<store::StoredEvent>> ListEvents(
      const store::EventQuery& query) override {
    return wrapped_.ListEvents(query);
  }
  absl::StatusOr<int64_t> EventCount(const std::string& district_id) override {
    return wrapped_.EventCount(district_id);
  }
  absl::StatusOr<std::vector<audit::Hash>> ListLeafHashes(
      const std::string& district_id, int64_t after_seq,
      int32_t limit) override {
    return wrapped_.ListLeafHashes(district_id, after_seq, limit);
  }
  absl::StatusOr<std::vector<store::AuditRow>> ListAuditRows(
      const std::string& district_id, int64_t after_seq,
      int32_t limit) override {
    return wrapped_.ListAuditRows(district_id, after_seq, limit);
  }
  absl::Status AddCheckpoint(const std::string& district_id,
                             const audit::Checkpoint& c) override {
    return wrapped_.AddCheckpoint(district_id, c);
  }
  absl::StatusOr<std::vector<audit::Checkpoint>> ListCheckpoints(
      const std::string& district_id, int64_t after_size,
      int32_t limit) override {
    return wrapped_.ListCheckpoints(district_id, after_size, limit);
  }
  absl::StatusOr<std::optional<audit::Checkpoint>> LatestCheckpoint(
      const std::string& district_id) override {
    return wrapped_.LatestCheckpoint(district_id);
  }
  absl::StatusOr<domain::Principal> GetPrincipal(
      const std::string& district_id,
      const std::string& principal_id) override {
    return wrapped_.GetPrincipal(district_id, principal_id);
  }
  absl::StatusOr<std::vector<domain::Principal>> ListPrincipals(
      const std::string& district_id) override {
    return wrapped_.ListPrincipals(district_id);
  }
  absl::StatusOr<int64_t> CountPrincipals(
      const std::string& district_id) override {
    return wrapped_.CountPrincipals(district_id);
  }
  absl::StatusOr<domain::Credential> GetCredential(
      const std::string& district_id,
      const std::string& credential_id) override {
    return wrapped_.GetCredential(district_id, credential_id);
  }
  absl::StatusOr<std::optional<domain::Credential>>
  FindActiveCertificateBinding(
      const std::string& district_id,
      const std::string& certificate_identity) override {
    return wrapped_.FindActiveCertificateBinding(district_id,
                                                 certificate_identity);
  }
  absl::StatusOr<std::optional<domain::Credential>> FindCredentialByHash(
      const std::string& district_id, const std::string& token_hash) override {
    return wrapped_.FindCredentialByHash(district_id, token_hash);
  }
  absl::StatusOr<std::vector<domain::Credential>> ListCredentials(
      const std::string& district_id,
      const std::string& principal_id) override {
    return wrapped_.ListCredentials(district_id, principal_id);
  }
  absl::StatusOr<domain::Complaint> GetComplaint(
      const std::string& district_id,
      const std::string& complaint_id) override {
    return wrapped_.GetComplaint(district_id, complaint_id);
  }
  absl::StatusOr<std::vector<domain::Complaint>> ListComplaints(
      const std::string& district_id, const std::string& community_id,
      const std::vector<domain::ComplaintState>& states) override {
    return wrapped_.ListComplaints(district_id, community_id, states);
  }
  absl::StatusOr<std::vector<domain::FundingReport>> ListFundingReports(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id) override {
    return wrapped_.ListFundingReports(district_id, task_id, community_id);
  }
  absl::StatusOr<std::vector<domain::Attachment>> ListAttachments(
      const std::string& district_id, const std::string& task_id) override {
    return wrapped_.ListAttachments(district_id, task_id);
  }
  absl::StatusOr<std::string> ReadAttachmentContent(
      const std::string& district_id, const std::string& sha256, int64_t offset,
      int64_t limit) override {
    return wrapped_.ReadAttachmentContent(district_id, sha256, offset, limit);
  }
  absl::StatusOr<std::vector<domain::AssignmentAck>> ListAcks(
      const std::string& district_id, const std::string& task_id,
      const std::string& community_id) override {
    return wrapped_.ListAcks(district_id, task_id, community_id);
  }
  absl::StatusOr<std::vector<domain::Task>> ListTasksById(
      const std::string& district_id,
      const std::vector<std::string>& task_ids) override {
    return wrapped_.ListTasksById(district_id, task_ids);
  }
  absl::StatusOr<std::vector<store::Counter>> ListCounters(
      const std::string& district_id, const std::string& first_bucket,
      const std::string& last_bucket, int32_t limit) override {
    return wrapped_.ListCounters(district_id, first_bucket, last_bucket, limit);
  }
  absl::Status ScanEntities(
      const std::string& district_id,
      const std::function<absl::Status(store::StoredEntity)>& visit) override {
    return wrapped_.ScanEntities(district_id, visit);
  }

 private:
  struct Fault {
    absl::Status status;
    bool after_write = false;
  };

  store::Store& wrapped_;
  mutable absl::Mutex mu_;
  std::optional<Fault> fault_ ABSL_GUARDED_BY(mu_);
  int commits_forwarded_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> before_commit_ ABSL_GUARDED_BY(mu_);
  // The thread running a batch step through this store, or none.
  std::thread::id batch_thread_ ABSL_GUARDED_BY(mu_);
  std::vector<ExpireCall> expire_calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace taskgate::testing

#endif  // TASKGATE_TESTS_TESTING_FAULT_INJECTING_STORE_H_
