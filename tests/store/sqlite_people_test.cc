// `SqliteStore` on the tables of migration 2: principals, credentials,
// complaints, funding reports and assignment acknowledgements; and the
// migration itself, applied to a file written at schema 1.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/codec.h"
#include "domain/types.h"
#include "store/sqlite/internal/sqlite_store.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "tests/testing/scoped_db_path.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::store {
namespace {

using domain::AssignmentAck;
using domain::AuditEvent;
using domain::Complaint;
using domain::ComplaintState;
using domain::Credential;
using domain::FundingReport;
using domain::Principal;
using domain::Role;
using domain::Task;
using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kD1 = "d1";
constexpr const char* kD2 = "d2";

// 2026-03-02T01:02:03.000004Z plus `seconds`.
absl::Time T(int64_t seconds) {
  return absl::FromUnixMicros(1772413323000004) + absl::Seconds(seconds);
}

// A 64-character lower-case hex string standing for a token hash.
std::string Hash(char c) { return std::string(64, c); }

AuditEvent MakeEvent(const std::string& district, const std::string& action,
                     const std::string& entity_id) {
  AuditEvent e;
  e.district_id = district;
  e.time = T(0);
  e.actor_id = "admin-1";
  e.actor_role = Role::kAdmin;
  e.action = action;
  e.entity_type = "test";
  e.entity_id = entity_id;
  return e;
}

// A change holding one event, to which a test adds its writes.
ChangeSet Change(const std::string& district, const std::string& action,
                 const std::string& entity_id) {
  ChangeSet change;
  change.district_id = district;
  change.events.push_back(MakeEvent(district, action, entity_id));
  return change;
}

Principal MakePrincipal(const std::string& district, const std::string& id,
                        Role role = Role::kDepartment, int64_t version = 1) {
  Principal p;
  p.district_id = district;
  p.id = id;
  p.role = role;
  if (role == Role::kDepartment) p.department_id = "dept-a";
  if (role == Role::kCommunity) p.community_id = "c1";
  p.display_name = "Principal " + id;
  p.version = version;
  p.created_at = T(1);
  return p;
}

Credential MakeCredential(const std::string& district, const std::string& id,
                          const std::string& principal_id, char hash,
                          int64_t version = 1) {
  Credential c;
  c.district_id = district;
  c.id = id;
  c.principal_id = principal_id;
  c.token_hash = Hash(hash);
  c.description = "laptop of " + principal_id;
  c.created_at = T(2);
  c.created_by = "admin-1";
  c.version = version;
  return c;
}

Complaint MakeComplaint(const std::string& id, const std::string& community,
                        ComplaintState state = ComplaintState::kOpen,
                        int64_t version = 1) {
  Complaint c;
  c.district_id = kD1;
  c.id = id;
  c.community_id = community;
  c.department_id = "dept-a";
  c.task_id = "t1";
  c.title = "ledger pushed down without admission";
  c.description = "a weekly ledger arrived by message";
  c.state = state;
  c.filed_by = "office-" + community;
  c.filed_at = T(3);
  c.version = version;
  c.updated_at = T(3 + version);
  return c;
}

Task MakeTask(const std::string& district, const std::string& id) {
  Task t;
  t.district_id = district;
  t.id = id;
  t.department_id = "dept-a";
  t.state = domain::TaskState::kActive;
  t.version = 1;
  t.spec.title = "task " + id;
  t.spec.start_date = absl::CivilDay(2026, 4, 1);
  t.spec.end_date = absl::CivilDay(2026, 6, 30);
  t.resolved_communities = {"c1", "c2"};
  t.created_at = T(0);
  t.updated_at = T(0);
  return t;
}

ChangeSet TaskChange(const Task& task) {
  ChangeSet change = Change(task.district_id, "task.create", task.id);
  change.tasks.push_back({task, 0});
  return change;
}

FundingReport MakeReport(const std::string& id, const std::string& task,
                         const std::string& community, int64_t at) {
  FundingReport r;
  r.district_id = kD1;
  r.id = id;
  r.task_id = task;
  r.community_id = community;
  r.note = "the promised 3000 yuan did not arrive";
  r.reported_by = "office-" + community;
  r.reported_at = T(at);
  return r;
}

AssignmentAck MakeAck(const std::string& task, const std::string& community,
                      int64_t at) {
  AssignmentAck a;
  a.district_id = kD1;
  a.task_id = task;
  a.community_id = community;
  a.acknowledged_by = "office-" + community;
  a.acknowledged_at = T(at);
  return a;
}

// A setting of the store's own connection, read through the class behind
// `OpenSqliteStore` (white-box: `synchronous`, `foreign_keys` and
// `busy_timeout` are invisible to any other connection).
absl::StatusOr<std::string> Pragma(Store& store, const std::string& name) {
  auto* sqlite = dynamic_cast<sqlite_internal::SqliteStore*>(&store);
  if (sqlite == nullptr) {
    return absl::InvalidArgumentError("not a store from OpenSqliteStore");
  }
  return sqlite->Pragma(name);
}

std::unique_ptr<Store> OpenMemory() {
  auto store = OpenSqliteStore(":memory:");
  EXPECT_THAT(store, IsOk());
  return store.ok() ? *std::move(store) : nullptr;
}

template <typename T>
std::vector<std::string> Ids(const std::vector<T>& values) {
  std::vector<std::string> ids;
  for (const T& v : values) ids.push_back(v.id);
  return ids;
}

int64_t Events(Store& store, const std::string& district) {
  absl::StatusOr<int64_t> n = store.EventCount(district);
  EXPECT_THAT(n, IsOk());
  return n.ok() ? *n : -1;
}

// ------------------------------------------------------------- principals

TEST(SqlitePeopleTest, PrincipalsRoundTripListByIdAndCountPerDistrict) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet change = Change(kD1, "principal.create", "p");
  change.principals.push_back({MakePrincipal(kD1, "zed", Role::kCommunity), 0});
  change.principals.push_back({MakePrincipal(kD1, "amy"), 0});
  ASSERT_THAT(store->Commit(change), IsOk());
  ASSERT_THAT(store->Commit([] {
    ChangeSet other = Change(kD2, "principal.create", "bob");
    other.principals.push_back({MakePrincipal(kD2, "bob"), 0});
    return other;
  }()),
              IsOk());

  ASSERT_OK_AND_ASSIGN(Principal zed, store->GetPrincipal(kD1, "zed"));
  EXPECT_EQ(domain::PrincipalToJson(zed), domain::PrincipalToJson(MakePrincipal(
                                              kD1, "zed", Role::kCommunity)));
  EXPECT_EQ(zed.community_id, "c1");
  EXPECT_EQ(zed.created_at, T(1));
  ASSERT_OK_AND_ASSIGN(auto listed, store->ListPrincipals(kD1));
  EXPECT_THAT(Ids(listed), ElementsAre("amy", "zed"));
  ASSERT_OK_AND_ASSIGN(const int64_t in_d1, store->CountPrincipals(kD1));
  EXPECT_EQ(in_d1, 2);
  ASSERT_OK_AND_ASSIGN(const int64_t in_d2, store->CountPrincipals(kD2));
  EXPECT_EQ(in_d2, 1);
  ASSERT_OK_AND_ASSIGN(const int64_t in_d3, store->CountPrincipals("d3"));
  EXPECT_EQ(in_d3, 0);
  EXPECT_THAT(store->GetPrincipal(kD2, "amy"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("principal amy not found in district d2")));
}

TEST(SqlitePeopleTest, PrincipalsUseOptimisticVersions) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet create = Change(kD1, "principal.create", "amy");
  create.principals.push_back({MakePrincipal(kD1, "amy"), 0});
  ASSERT_THAT(store->Commit(create), IsOk());
  EXPECT_THAT(
      store->Commit(create),
      StatusIs(absl::StatusCode::kAlreadyExists,
               HasSubstr("principal amy already exists in district d1")));

  Principal disabled = MakePrincipal(kD1, "amy", Role::kDepartment, 2);
  disabled.disabled = true;
  ChangeSet update = Change(kD1, "principal.disable", "amy");
  update.principals.push_back({disabled, 1});
  ASSERT_THAT(store->Commit(update), IsOk());
  EXPECT_THAT(store->Commit(update),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("principal amy was changed by someone else "
                                 "(version 2, expected 1)")));

  ChangeSet missing = Change(kD1, "principal.disable", "nobody");
  missing.principals.push_back(
      {MakePrincipal(kD1, "nobody", Role::kDepartment, 2), 1});
  EXPECT_THAT(store->Commit(missing),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("principal nobody not found in district d1")));

  ChangeSet bad_step = Change(kD1, "principal.disable", "amy");
  bad_step.principals.push_back(
      {MakePrincipal(kD1, "amy", Role::kDepartment, 5), 2});
  EXPECT_THAT(store->Commit(bad_step),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("principal amy has version 5 but must be 3")));

  ChangeSet wrong_district = Change(kD1, "principal.create", "bob");
  wrong_district.principals.push_back({MakePrincipal(kD2, "bob"), 0});
  EXPECT_THAT(store->Commit(wrong_district),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("principal bob has district_id \"d2\"")));

  ASSERT_OK_AND_ASSIGN(Principal amy, store->GetPrincipal(kD1, "amy"));
  EXPECT_TRUE(amy.disabled);
  EXPECT_EQ(amy.version, 2);
  EXPECT_EQ(Events(*store, kD1), 2);  // failed changes recorded nothing
}

// ------------------------------------------------------------ credentials

TEST(SqlitePeopleTest, CredentialIsFoundByItsHashWithinItsDistrictOnly) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  // A principal and its first credential may arrive in one change.
  ChangeSet change = Change(kD1, "principal.create", "amy");
  change.principals.push_back({MakePrincipal(kD1, "amy"), 0});
  change.credentials.push_back({MakeCredential(kD1, "tok-1", "amy", 'a'), 0});
  ASSERT_THAT(store->Commit(change), IsOk());

  ASSERT_OK_AND_ASSIGN(std::optional<Credential> found,
                       store->FindCredentialByHash(kD1, Hash('a')));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(domain::CredentialToJson(*found),
            domain::CredentialToJson(MakeCredential(kD1, "tok-1", "amy", 'a')));
  ASSERT_OK_AND_ASSIGN(std::optional<Credential> unknown,
                       store->FindCredentialByHash(kD1, Hash('b')));
  EXPECT_FALSE(unknown.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<Credential> elsewhere,
                       store->FindCredentialByHash(kD2, Hash('a')));
  EXPECT_FALSE(elsewhere.has_value());
  ASSERT_OK_AND_ASSIGN(Credential by_id, store->GetCredential(kD1, "tok-1"));
  EXPECT_EQ(by_id.token_hash, Hash('a'));
  EXPECT_THAT(store->GetCredential(kD1, "tok-9"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("credential tok-9 not found in district d1")));
}

TEST(SqlitePeopleTest, CredentialOfMissingPrincipalIsNotFoundAndWritesNothing) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet change = Change(kD1, "credential.issue", "tok-1");
  change.credentials.push_back({MakeCredential(kD1, "tok-1", "ghost", 'a'), 0});
  EXPECT_THAT(store->Commit(change),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("credential tok-1 refers to principal ghost, "
                                 "which is not found in district d1")));
  EXPECT_THAT(store->GetCredential(kD1, "tok-1"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Events(*store, kD1), 0);
}

TEST(SqlitePeopleTest, TokenHashIsUniqueAcrossCredentialsAndDistricts) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  for (const char* district : {kD1, kD2}) {
    ChangeSet change = Change(district, "principal.create", "amy");
    change.principals.push_back({MakePrincipal(district, "amy"), 0});
    ASSERT_THAT(store->Commit(change), IsOk());
  }
  ChangeSet first = Change(kD1, "credential.issue", "tok-1");
  first.credentials.push_back({MakeCredential(kD1, "tok-1", "amy", 'a'), 0});
  ASSERT_THAT(store->Commit(first), IsOk());

  EXPECT_THAT(store->Commit(first),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("credential tok-1 already exists")));
  ChangeSet same_hash = Change(kD1, "credential.issue", "tok-2");
  same_hash.credentials.push_back(
      {MakeCredential(kD1, "tok-2", "amy", 'a'), 0});
  EXPECT_THAT(store->Commit(same_hash),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("token hash of credential tok-2 is "
                                       "already in use"),
                             Not(HasSubstr(Hash('a'))))));
  ChangeSet other_district = Change(kD2, "credential.issue", "tok-1");
  other_district.credentials.push_back(
      {MakeCredential(kD2, "tok-1", "amy", 'a'), 0});
  EXPECT_THAT(
      store->Commit(other_district),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already in use")));
  EXPECT_EQ(Events(*store, kD1), 2);
  EXPECT_EQ(Events(*store, kD2), 1);
}

TEST(SqlitePeopleTest, RevokingUpdatesTheCredentialButNeverItsHashOrOwner) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet change = Change(kD1, "principal.create", "amy");
  change.principals.push_back({MakePrincipal(kD1, "amy"), 0});
  change.principals.push_back({MakePrincipal(kD1, "bob"), 0});
  change.credentials.push_back({MakeCredential(kD1, "tok-1", "amy", 'a'), 0});
  change.credentials.push_back({MakeCredential(kD1, "tok-2", "bob", 'b'), 0});
  change.credentials.push_back({MakeCredential(kD1, "tok-3", "amy", 'c'), 0});
  ASSERT_THAT(store->Commit(change), IsOk());

  Credential revoked = MakeCredential(kD1, "tok-1", "amy", 'a', 2);
  revoked.revoked = true;
  revoked.revoked_at = T(9);
  ChangeSet revoke = Change(kD1, "credential.revoke", "tok-1");
  revoke.credentials.push_back({revoked, 1});
  ASSERT_THAT(store->Commit(revoke), IsOk());
  ASSERT_OK_AND_ASSIGN(std::optional<Credential> found,
                       store->FindCredentialByHash(kD1, Hash('a')));
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->revoked);
  EXPECT_EQ(found->revoked_at, T(9));
  EXPECT_EQ(found->version, 2);

  EXPECT_THAT(store->Commit(revoke),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("credential tok-1 was changed by someone "
                                 "else (version 2, expected 1)")));
  Credential rehashed = MakeCredential(kD1, "tok-1", "amy", 'd', 3);
  ChangeSet rehash = Change(kD1, "credential.update", "tok-1");
  rehash.credentials.push_back({rehashed, 2});
  EXPECT_THAT(store->Commit(rehash),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot change its principal or token hash")));
  Credential moved = MakeCredential(kD1, "tok-1", "bob", 'a', 3);
  ChangeSet move = Change(kD1, "credential.update", "tok-1");
  move.credentials.push_back({moved, 2});
  EXPECT_THAT(store->Commit(move),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ChangeSet missing = Change(kD1, "credential.revoke", "tok-9");
  missing.credentials.push_back(
      {MakeCredential(kD1, "tok-9", "amy", 'e', 2), 1});
  EXPECT_THAT(store->Commit(missing),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("credential tok-9 not found")));

  ASSERT_OK_AND_ASSIGN(auto of_amy, store->ListCredentials(kD1, "amy"));
  EXPECT_THAT(Ids(of_amy), ElementsAre("tok-1", "tok-3"));
  ASSERT_OK_AND_ASSIGN(auto all, store->ListCredentials(kD1, ""));
  EXPECT_THAT(Ids(all), ElementsAre("tok-1", "tok-2", "tok-3"));
  ASSERT_OK_AND_ASSIGN(auto none, store->ListCredentials(kD2, ""));
  EXPECT_THAT(none, IsEmpty());
}

// ------------------------------------------------------------- complaints

TEST(SqlitePeopleTest, ComplaintsRoundTripAndFilterByCommunityAndState) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet change = Change(kD1, "complaint.file", "k");
  change.complaints.push_back({MakeComplaint("k3", "c1"), 0});
  change.complaints.push_back({MakeComplaint("k1", "c1"), 0});
  change.complaints.push_back({MakeComplaint("k2", "c2"), 0});
  ASSERT_THAT(store->Commit(change), IsOk());
  Complaint verified = MakeComplaint("k1", "c1", ComplaintState::kVerified, 2);
  verified.handled_by = "rev-1";
  verified.resolution = "confirmed with the department";
  ChangeSet verify = Change(kD1, "complaint.verify", "k1");
  verify.complaints.push_back({verified, 1});
  ASSERT_THAT(store->Commit(verify), IsOk());

  ASSERT_OK_AND_ASSIGN(Complaint k1, store->GetComplaint(kD1, "k1"));
  EXPECT_EQ(domain::ComplaintToJson(k1), domain::ComplaintToJson(verified));
  ASSERT_OK_AND_ASSIGN(auto all, store->ListComplaints(kD1, "", {}));
  EXPECT_THAT(Ids(all), ElementsAre("k1", "k2", "k3"));
  ASSERT_OK_AND_ASSIGN(auto of_c1, store->ListComplaints(kD1, "c1", {}));
  EXPECT_THAT(Ids(of_c1), ElementsAre("k1", "k3"));
  ASSERT_OK_AND_ASSIGN(auto open,
                       store->ListComplaints(kD1, "", {ComplaintState::kOpen}));
  EXPECT_THAT(Ids(open), ElementsAre("k2", "k3"));
  ASSERT_OK_AND_ASSIGN(
      auto c1_open_or_verified,
      store->ListComplaints(
          kD1, "c1", {ComplaintState::kOpen, ComplaintState::kVerified}));
  EXPECT_THAT(Ids(c1_open_or_verified), ElementsAre("k1", "k3"));
  ASSERT_OK_AND_ASSIGN(
      auto resolved,
      store->ListComplaints(kD1, "", {ComplaintState::kResolved}));
  EXPECT_THAT(resolved, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto in_d2, store->ListComplaints(kD2, "", {}));
  EXPECT_THAT(in_d2, IsEmpty());
}

TEST(SqlitePeopleTest, ComplaintsUseOptimisticVersions) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet create = Change(kD1, "complaint.file", "k1");
  create.complaints.push_back({MakeComplaint("k1", "c1"), 0});
  ASSERT_THAT(store->Commit(create), IsOk());
  EXPECT_THAT(store->Commit(create),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("complaint k1 already exists")));
  ChangeSet stale = Change(kD1, "complaint.verify", "k1");
  stale.complaints.push_back(
      {MakeComplaint("k1", "c1", ComplaintState::kVerified, 3), 2});
  EXPECT_THAT(store->Commit(stale),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("complaint k1 was changed by someone else "
                                 "(version 1, expected 2)")));
  ChangeSet missing = Change(kD1, "complaint.verify", "k9");
  missing.complaints.push_back(
      {MakeComplaint("k9", "c1", ComplaintState::kVerified, 2), 1});
  EXPECT_THAT(store->Commit(missing),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("complaint k9 not found in district d1")));
  ASSERT_OK_AND_ASSIGN(Complaint k1, store->GetComplaint(kD1, "k1"));
  EXPECT_EQ(k1.state, ComplaintState::kOpen);
  EXPECT_EQ(k1.version, 1);
}

// ------------------------------------------------- funding reports, acks

TEST(SqlitePeopleTest, FundingReportsListOldestFirstWithFilters) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(TaskChange(MakeTask(kD1, "t1"))), IsOk());
  ASSERT_THAT(store->Commit(TaskChange(MakeTask(kD1, "t2"))), IsOk());
  ChangeSet change = Change(kD1, "funding.report_missing", "t1");
  change.funding_reports.push_back(MakeReport("r-b", "t1", "c1", 30));
  change.funding_reports.push_back(MakeReport("r-a", "t2", "c1", 20));
  change.funding_reports.push_back(MakeReport("r-c", "t1", "c2", 10));
  ASSERT_THAT(store->Commit(change), IsOk());

  ASSERT_OK_AND_ASSIGN(auto all, store->ListFundingReports(kD1, "", ""));
  EXPECT_THAT(Ids(all), ElementsAre("r-c", "r-a", "r-b"));
  EXPECT_EQ(domain::FundingReportToJson(all[2]),
            domain::FundingReportToJson(MakeReport("r-b", "t1", "c1", 30)));
  ASSERT_OK_AND_ASSIGN(auto of_t1, store->ListFundingReports(kD1, "t1", ""));
  EXPECT_THAT(Ids(of_t1), ElementsAre("r-c", "r-b"));
  ASSERT_OK_AND_ASSIGN(auto of_c1, store->ListFundingReports(kD1, "", "c1"));
  EXPECT_THAT(Ids(of_c1), ElementsAre("r-a", "r-b"));
  ASSERT_OK_AND_ASSIGN(auto t1_c2, store->ListFundingReports(kD1, "t1", "c2"));
  EXPECT_THAT(Ids(t1_c2), ElementsAre("r-c"));

  ChangeSet again = Change(kD1, "funding.report_missing", "t2");
  again.funding_reports.push_back(MakeReport("r-a", "t2", "c2", 40));
  EXPECT_THAT(store->Commit(again),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("funding report r-a already exists")));
  ChangeSet no_task = Change(kD1, "funding.report_missing", "t9");
  no_task.funding_reports.push_back(MakeReport("r-d", "t9", "c1", 40));
  EXPECT_THAT(store->Commit(no_task),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("funding report r-d refers to task t9")));
  EXPECT_EQ(Events(*store, kD1), 3);
}

TEST(SqlitePeopleTest, SecondAckOfTheSameAssignmentIsAlreadyExists) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(TaskChange(MakeTask(kD1, "t1"))), IsOk());
  ASSERT_THAT(store->Commit(TaskChange(MakeTask(kD1, "t2"))), IsOk());
  ChangeSet change = Change(kD1, "assignment.acknowledge", "t1");
  change.acks.push_back(MakeAck("t2", "c1", 5));
  change.acks.push_back(MakeAck("t1", "c2", 7));
  change.acks.push_back(MakeAck("t1", "c1", 6));
  ASSERT_THAT(store->Commit(change), IsOk());

  ChangeSet again = Change(kD1, "assignment.acknowledge", "t1");
  again.acks.push_back(MakeAck("t1", "c1", 8));
  EXPECT_THAT(store->Commit(again),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("task t1 was already acknowledged by "
                                 "community c1")));
  ChangeSet no_task = Change(kD1, "assignment.acknowledge", "t9");
  no_task.acks.push_back(MakeAck("t9", "c1", 8));
  EXPECT_THAT(store->Commit(no_task),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("task t9")));

  const auto keys = [](const std::vector<AssignmentAck>& acks) {
    std::vector<std::string> out;
    for (const AssignmentAck& a : acks) {
      out.push_back(a.task_id + "/" + a.community_id);
    }
    return out;
  };
  ASSERT_OK_AND_ASSIGN(auto all, store->ListAcks(kD1, "", ""));
  EXPECT_THAT(keys(all), ElementsAre("t2/c1", "t1/c1", "t1/c2"));
  EXPECT_EQ(domain::AssignmentAckToJson(all[1]),
            domain::AssignmentAckToJson(MakeAck("t1", "c1", 6)));
  ASSERT_OK_AND_ASSIGN(auto of_t1, store->ListAcks(kD1, "t1", ""));
  EXPECT_THAT(keys(of_t1), ElementsAre("t1/c1", "t1/c2"));
  ASSERT_OK_AND_ASSIGN(auto of_c1, store->ListAcks(kD1, "", "c1"));
  EXPECT_THAT(keys(of_c1), ElementsAre("t2/c1", "t1/c1"));
  ASSERT_OK_AND_ASSIGN(auto none, store->ListAcks(kD2, "", ""));
  EXPECT_THAT(none, IsEmpty());
}

TEST(SqlitePeopleTest, FailureLateInAChangeWritesNoneOfItsRows) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet change = Change(kD1, "mixed", "x");
  change.principals.push_back({MakePrincipal(kD1, "amy"), 0});
  change.credentials.push_back({MakeCredential(kD1, "tok-1", "amy", 'a'), 0});
  change.complaints.push_back({MakeComplaint("k1", "c1"), 0});
  change.acks.push_back(MakeAck("t-missing", "c1", 1));
  EXPECT_THAT(store->Commit(change), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->GetPrincipal(kD1, "amy"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::optional<Credential> credential,
                       store->FindCredentialByHash(kD1, Hash('a')));
  EXPECT_FALSE(credential.has_value());
  EXPECT_THAT(store->GetComplaint(kD1, "k1"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Events(*store, kD1), 0);
}

// --------------------------------------------------------------- codecs

TEST(PeopleCodecTest, NewValuesRoundTripExactly) {
  Principal p = MakePrincipal(kD1, "rev-1", Role::kReviewer, 4);
  p.home_department_id = "dept-b";
  p.disabled = true;
  ASSERT_OK_AND_ASSIGN(Principal p2,
                       domain::PrincipalFromJson(domain::PrincipalToJson(p)));
  EXPECT_EQ(domain::PrincipalToJson(p2), domain::PrincipalToJson(p));
  EXPECT_EQ(p2.role, Role::kReviewer);
  EXPECT_TRUE(p2.disabled);
  EXPECT_EQ(p2.home_department_id, "dept-b");

  Credential c = MakeCredential(kD1, "tok-1", "rev-1", 'f', 2);
  c.revoked = true;
  c.revoked_at = T(99);
  ASSERT_OK_AND_ASSIGN(Credential c2,
                       domain::CredentialFromJson(domain::CredentialToJson(c)));
  EXPECT_EQ(c2.revoked_at, T(99));
  EXPECT_EQ(domain::CredentialToJson(c2), domain::CredentialToJson(c));

  Complaint k = MakeComplaint("k1", "c1", ComplaintState::kUnfounded, 2);
  ASSERT_OK_AND_ASSIGN(Complaint k2,
                       domain::ComplaintFromJson(domain::ComplaintToJson(k)));
  EXPECT_EQ(k2.state, ComplaintState::kUnfounded);
  EXPECT_EQ(domain::ComplaintToJson(k2), domain::ComplaintToJson(k));

  const FundingReport r = MakeReport("r1", "t1", "c1", 5);
  ASSERT_OK_AND_ASSIGN(FundingReport r2, domain::FundingReportFromJson(
                                             domain::FundingReportToJson(r)));
  EXPECT_EQ(domain::FundingReportToJson(r2), domain::FundingReportToJson(r));

  const AssignmentAck a = MakeAck("t1", "c1", 6);
  ASSERT_OK_AND_ASSIGN(AssignmentAck a2, domain::AssignmentAckFromJson(
                                             domain::AssignmentAckToJson(a)));
  EXPECT_EQ(a2.acknowledged_at, T(6));
  EXPECT_EQ(domain::AssignmentAckToJson(a2), domain::AssignmentAckToJson(a));
}

TEST(PeopleCodecTest, UnknownComplaintStateIsInvalidArgument) {
  EXPECT_THAT(domain::ComplaintFromJson(R"({"id":"k1","state":"CLOSED"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("member 'state' has unknown value 'CLOSED'")));
  EXPECT_EQ(domain::ParseComplaintState("RESOLVED"), ComplaintState::kResolved);
  EXPECT_EQ(domain::ComplaintStateName(ComplaintState::kVerified), "VERIFIED");
}

// ------------------------------------------------- certificate bindings

Credential MakeBinding(const std::string& district, const std::string& id,
                       const std::string& principal_id,
                       const std::string& identity) {
  Credential c;
  c.district_id = district;
  c.id = id;
  c.principal_id = principal_id;
  c.certificate_identity = identity;
  c.description = "certificate of " + principal_id;
  c.created_at = T(2);
  c.created_by = "admin-1";
  c.version = 1;
  return c;
}

TEST(SqlitePeopleTest, ActiveBindingIsFoundAndItsIdentityHeldUntilRevoked) {
  auto store = OpenMemory();
  ASSERT_NE(store, nullptr);
  ChangeSet change = Change(kD1, "principal.create", "amy");
  change.principals.push_back({MakePrincipal(kD1, "amy"), 0});
  change.principals.push_back({MakePrincipal(kD1, "bob"), 0});
  change.credentials.push_back(
      {MakeBinding(kD1, "crt-1", "amy", "uri:spiffe://d/amy"), 0});
  // A token beside it: both kinds live in one table.
  change.credentials.push_back({MakeCredential(kD1, "tok-1", "amy", 'a'), 0});
  ASSERT_THAT(store->Commit(change), IsOk());

  ASSERT_OK_AND_ASSIGN(
      std::optional<Credential> found,
      store->FindActiveCertificateBinding(kD1, "uri:spiffe://d/amy"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(domain::CredentialToJson(*found),
            domain::CredentialToJson(
                MakeBinding(kD1, "crt-1", "amy", "uri:spiffe://d/amy")));
  ASSERT_OK_AND_ASSIGN(
      std::optional<Credential> elsewhere,
      store->FindActiveCertificateBinding(kD2, "uri:spiffe://d/amy"));
  EXPECT_FALSE(elsewhere.has_value());

  // A second active binding of the identity is refused.
  ChangeSet twice = Change(kD1, "credential.issue", "crt-2");
  twice.credentials.push_back(
      {MakeBinding(kD1, "crt-2", "bob", "uri:spiffe://d/amy"), 0});
  EXPECT_THAT(store->Commit(twice),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("is already bound to a principal")));

  // Revoked, it is found no more and the identity may be bound again.
  Credential revoked = MakeBinding(kD1, "crt-1", "amy", "uri:spiffe://d/amy");
  revoked.revoked = true;
  revoked.revoked_at = T(3);
  revoked.version = 2;
  ChangeSet revoke = Change(kD1, "credential.revoke", "crt-1");
  revoke.credentials.push_back({revoked, 1});
  ASSERT_THAT(store->Commit(revoke), IsOk());
  ASSERT_OK_AND_ASSIGN(
      found, store->FindActiveCertificateBinding(kD1, "uri:spiffe://d/amy"));
  EXPECT_FALSE(found.has_value());
  ASSERT_THAT(store->Commit(twice), IsOk());
  ASSERT_OK_AND_ASSIGN(
      found, store->FindActiveCertificateBinding(kD1, "uri:spiffe://d/amy"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->principal_id, "bob");

  // Who a binding names is fixed.
  Credential moved = MakeBinding(kD1, "crt-2", "bob", "uri:spiffe://d/other");
  moved.version = 2;
  ChangeSet move = Change(kD1, "credential.revoke", "crt-2");
  move.credentials.push_back({moved, 1});
  EXPECT_THAT(store->Commit(move),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot change its principal")));
}

// -------------------------------------------------------------- migration

// Runs `sql` on a plain connection to `path`; returns the SQLite code.
int ExecRaw(const std::string& path, const std::string& sql,
            std::string* first_value = nullptr) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open(path.c_str(), &db);
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(
        db, sql.c_str(),
        [](void* out, int, char** values, char**) {
          auto* s = static_cast<std::string*>(out);
          if (s != nullptr && values[0] != nullptr) *s = values[0];
          return 0;
        },
        first_value, nullptr);
  }
  sqlite3_close(db);
  return rc;
}

TEST(SqlitePeopleTest, MigrationTwoUpgradesASchemaOneFileKeepingItsData) {
  const ::taskgate::testing::ScopedDbPath scoped;
  const std::string& path = scoped.path();
  const std::vector<SqliteMigration>& migrations = SqliteMigrations();
  ASSERT_GE(migrations.size(), 2U);
  ASSERT_EQ(migrations[0].version, 1);
  const Task task = MakeTask(kD1, "t-old");
  // What a binary knowing only migration 1 left behind: its schema, its
  // user_version and a task.
  ASSERT_EQ(ExecRaw(path, absl::StrCat("BEGIN;", migrations[0].sql,
                                       "PRAGMA user_version = 1;"
                                       "INSERT INTO tasks (district_id, id, "
                                       "department_id, state, version, "
                                       "item_code, start_date, end_date, "
                                       "timer_at, created_at, updated_at, "
                                       "body) VALUES ('d1', 't-old', "
                                       "'dept-a', 'ACTIVE', 1, NULL, "
                                       "'2026-04-01', '2026-06-30', NULL, 0, "
                                       "0, '",
                                       domain::TaskToJson(task), "');COMMIT;")),
            SQLITE_OK);
  std::string version;
  ASSERT_EQ(ExecRaw(path, "PRAGMA user_version", &version), SQLITE_OK);
  ASSERT_EQ(version, "1");

  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
    ASSERT_OK_AND_ASSIGN(const std::string user_version,
                         Pragma(*store, "user_version"));
    EXPECT_EQ(user_version, absl::StrCat(SqliteSchemaVersion()));
    ASSERT_OK_AND_ASSIGN(Task old, store->GetTask(kD1, "t-old"));
    EXPECT_EQ(domain::TaskToJson(old), domain::TaskToJson(task));
    ASSERT_OK_AND_ASSIGN(const int64_t none, store->CountPrincipals(kD1));
    EXPECT_EQ(none, 0);
    // The new tables work, and refer to the old rows.
    ChangeSet change = Change(kD1, "assignment.acknowledge", "t-old");
    change.principals.push_back({MakePrincipal(kD1, "amy"), 0});
    change.acks.push_back(MakeAck("t-old", "c1", 1));
    ASSERT_THAT(store->Commit(change), IsOk());
  }
  ASSERT_EQ(ExecRaw(path, "PRAGMA user_version", &version), SQLITE_OK);
  EXPECT_EQ(version, absl::StrCat(SqliteSchemaVersion()));
  ASSERT_OK_AND_ASSIGN(auto reopened, OpenSqliteStore(path));
  ASSERT_OK_AND_ASSIGN(auto acks, reopened->ListAcks(kD1, "t-old", ""));
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_EQ(acks[0].community_id, "c1");
  ASSERT_OK_AND_ASSIGN(Principal amy, reopened->GetPrincipal(kD1, "amy"));
  EXPECT_EQ(amy.display_name, "Principal amy");
}

// Migration 11 rebuilds the credentials table: the tokens stored before
// keep their rows, bodies and versions, authenticate as before, and the
// records of the file still match its rows.
TEST(SqlitePeopleTest, MigrationElevenKeepsTheTokensStoredBefore) {
  const ::taskgate::testing::ScopedDbPath scoped;
  const std::string& path = scoped.path();
  std::string sql = "BEGIN;";
  for (const SqliteMigration& m : SqliteMigrations()) {
    if (m.version > 10) break;
    absl::StrAppend(&sql, m.sql, "\nPRAGMA user_version = ", m.version, ";\n");
  }
  const Principal amy = MakePrincipal(kD1, "amy");
  const Credential token = MakeCredential(kD1, "tok-1", "amy", 'a');
  absl::StrAppend(
      &sql,
      "INSERT INTO principals (district_id, id, role, department_id, "
      "community_id, disabled, version, body) VALUES ('d1', 'amy', '",
      std::string(domain::RoleName(amy.role)), "', '", amy.department_id,
      "', '", amy.community_id, "', 0, 1, '", domain::PrincipalToJson(amy),
      "');",
      "INSERT INTO credentials (district_id, id, principal_id, token_hash, "
      "revoked, version, body) VALUES ('d1', 'tok-1', 'amy', '",
      Hash('a'), "', 0, 1, '", domain::CredentialToJson(token), "');",
      "COMMIT;");
  ASSERT_EQ(ExecRaw(path, sql), SQLITE_OK);

  ASSERT_OK_AND_ASSIGN(auto store, OpenSqliteStore(path));
  ASSERT_OK_AND_ASSIGN(const std::string user_version,
                       Pragma(*store, "user_version"));
  // Brought to the latest schema, migration 11 among the rest.
  EXPECT_EQ(user_version, absl::StrCat(SqliteSchemaVersion()));
  ASSERT_OK_AND_ASSIGN(std::optional<Credential> found,
                       store->FindCredentialByHash(kD1, Hash('a')));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(domain::CredentialToJson(*found), domain::CredentialToJson(token));
  // The token's hash is still unique, and a binding now fits beside it.
  ChangeSet reuse = Change(kD1, "credential.issue", "tok-2");
  reuse.credentials.push_back({MakeCredential(kD1, "tok-2", "amy", 'a'), 0});
  EXPECT_THAT(store->Commit(reuse), StatusIs(absl::StatusCode::kAlreadyExists));
  ChangeSet bind = Change(kD1, "credential.issue", "crt-1");
  bind.credentials.push_back(
      {MakeBinding(kD1, "crt-1", "amy", "dns:amy.example.org"), 0});
  EXPECT_THAT(store->Commit(bind), IsOk());
  // Neither both nor none of a hash and an identity.
  EXPECT_NE(ExecRaw(path,
                    "INSERT INTO credentials (district_id, id, principal_id, "
                    "token_hash, certificate_identity, revoked, version, "
                    "body) VALUES ('d1', 'x', 'amy', NULL, NULL, 0, 1, '{}')"),
            SQLITE_OK);
}

}  // namespace
}  // namespace taskgate::store
