// Every list is paged by count and by bytes (SPEC §9): valid items of the
// largest size never make a page exceed gRPC's message limit, for any list
// a role can call, and following the page tokens returns every item once.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_fixture.h"

namespace taskgate::e2e {
namespace {

using ::taskgate::testing::IsOk;
using ::testing::SizeIs;

// `n` Chinese characters: 3 bytes each, the most a character-counted
// limit lets through.
std::string Chinese(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "社";
  return s;
}

class LargePagesTest : public E2eTest {};

TEST_F(LargePagesTest, ComplaintsOfTheLargestSizeComeInPagesThatFit) {
  // 75 complaints of 20,000 characters: about 4.5 MB, more than one message.
  for (int i = 0; i < 75; ++i) {
    v1::FileComplaintRequest r;
    r.set_request_id(NextRequestId());
    r.mutable_complaint()->set_title(absl::StrCat("表格 ", i));
    r.mutable_complaint()->set_description(Chinese(20000));
    ASSERT_THAT(
        Call(community_, *communities_, &CommunityStub::FileComplaint, r),
        IsOk());
  }
  std::vector<std::string> ids;
  v1::ListComplaintsRequest request;
  request.set_page_size(500);
  int pages = 0;
  do {
    ASSERT_LT(++pages, 20);
    ASSERT_OK_AND_ASSIGN(
        v1::ListComplaintsResponse page,
        Call(reviewer_, *reviews_, &ReviewStub::ListComplaints, request));
    EXPECT_LE(page.ByteSizeLong(), size_t{4} << 20);
    for (const v1::Complaint& c : page.complaints()) ids.push_back(c.id());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_GT(pages, 1);
  EXPECT_THAT(ids, SizeIs(75));
  std::vector<std::string> unique = ids;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end());
}

TEST_F(LargePagesTest, TheReviewQueueOfMaximalTasksComesInPagesThatFit) {
  // 32 valid tasks with every text at its limit, all submitted by one clerk:
  // about 5 MB of review queue.
  for (int i = 0; i < 32; ++i) {
    v1::TaskSpec s = CleanAssistSpec();
    s.set_title(Chinese(200));
    s.set_description(Chinese(20000));
    s.set_legal_basis(Chinese(4000));
    s.set_department_duties(Chinese(4000));
    s.set_community_duties(Chinese(4000));
    s.set_assessment_method(Chinese(4000));
    s.set_funding_source(Chinese(4000));
    const std::string id = absl::StrCat("big-", i);
    ASSERT_THAT(CreateTask(clerk_, s, id), IsOk());
    ASSERT_THAT(Act(clerk_, Step::kSubmit, id), IsOk());
  }
  std::vector<std::string> ids;
  v1::ListReviewQueueRequest request;  // the default page size
  int pages = 0;
  do {
    ASSERT_LT(++pages, 20);
    ASSERT_OK_AND_ASSIGN(
        v1::ListTasksResponse page,
        Call(reviewer_, *reviews_, &ReviewStub::ListReviewQueue, request));
    EXPECT_LE(page.ByteSizeLong(), size_t{4} << 20);
    for (const v1::Task& t : page.tasks()) ids.push_back(t.id());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_GT(pages, 1);
  EXPECT_THAT(ids, SizeIs(32));
}

}  // namespace
}  // namespace taskgate::e2e
