#include "bench/loadgen/district.h"

#include <functional>
#include <memory>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>

namespace taskgate::bench {
namespace {

constexpr int kMonths = 120;  // ten years of task months
constexpr int kMaxCount = 999;

// Thirty departments of a district government, named as in practice; more
// are numbered.
constexpr const char* kDepartmentNames[] = {
    "区民政局",         "区卫生健康委",
    "区教育局",         "区人力资源社会保障局",
    "区住房城乡建设局", "区城市管理局",
    "区市场监管局",     "区应急管理局",
    "区公安分局",       "区司法局",
    "区财政局",         "区统计局",
    "区文化和旅游局",   "区体育局",
    "区退役军人事务局", "区医疗保障局",
    "区残联",           "区妇联",
    "团区委",           "区总工会",
    "区科协",           "区委组织部",
    "区委宣传部",       "区委政法委",
    "区委统战部",       "区发展改革委",
    "区商务局",         "区农业农村局",
    "区水务局",         "区生态环境分局"};

struct AssistItem {
  const char* title;
  const char* basis;
};

// 社区依法协助政府事项: what the tasks are about.
constexpr AssistItem kAssistItems[] = {
    {"协助开展人口普查和经常性统计调查", "《中华人民共和国统计法》"},
    {"协助做好最低生活保障申请的受理和入户调查", "《社会救助暂行办法》"},
    {"协助开展兵役登记和征兵宣传", "《中华人民共和国兵役法》"},
    {"协助开展独居、空巢老年人关爱服务", "《中华人民共和国老年人权益保障法》"},
    {"协助开展残疾人基本状况调查和服务", "《中华人民共和国残疾人保障法》"},
    {"协助做好基本医疗保险参保登记宣传", "《中华人民共和国社会保险法》"},
    {"协助开展预防接种和健康教育宣传", "《中华人民共和国疫苗管理法》"},
    {"协助开展退役军人信息采集和走访慰问", "《中华人民共和国退役军人保障法》"},
    {"协助开展法治宣传教育", "《中华人民共和国城市居民委员会组织法》第三条"},
    {"协助做好流动人口居住登记服务", "《居住证暂行条例》"},
};

// 社区依法履行职责事项.
constexpr const char* kDutyTitles[] = {
    "召集居民会议，制定和修订居民公约",
    "调解民间纠纷",
    "居务公开，向政府反映居民的意见、要求和建议",
    "办理本居住地区居民的公共事务和公益事业",
    "协助维护社会治安",
};

struct NegativeItem {
  const char* title;
  std::vector<std::string> keywords;
};

// 社区不应承担事项 (负面清单); the tasks never contain these keywords.
const std::vector<NegativeItem>& NegativeItems() {
  static const auto* items = new std::vector<NegativeItem>{
      {"招商引资任务指标", {"招商引资"}},
      {"协税护税、代征税款", {"协税护税", "代征税款"}},
      {"经济创收指标", {"经济创收", "创收指标"}},
      {"作为拆迁拆违的责任主体", {"拆迁", "拆违"}},
      {"承担安全生产监管责任", {"安全生产监管"}},
      {"作为城市管理执法的责任主体", {"城市管理执法"}},
  };
  return *items;
}

constexpr char kOrganicLaw[] = "《中华人民共和国城市居民委员会组织法》";
constexpr char kNegativeBasis[] =
    "民政部 中央组织部《关于深入推进城市社区减负增效的通知》";

std::string DepartmentName(int i) {
  constexpr int n = sizeof(kDepartmentNames) / sizeof(kDepartmentNames[0]);
  if (i < n) return kDepartmentNames[i];
  return absl::StrCat(kDepartmentNames[i % n], "（", i / n + 1, "）");
}

// The calls of the set-up, run `in_flight` at a time; the first failure
// ends the set-up.
class SetUp {
 public:
  SetUp(Driver& driver, Connection& admin, std::string admin_token)
      : driver_(driver), admin_(admin), token_(std::move(admin_token)) {}

  using Job = std::function<void(std::function<void()> next)>;
  void Add(Job job) { jobs_.push_back(std::move(job)); }

  absl::Status Run(int in_flight, const PhaseSpec& timing) {
    PhaseSpec spec = timing;
    spec.name = "set-up";
    spec.warmup = 0;
    spec.duration = 1e12;  // until the job list is done
    spec.need_samples.clear();
    std::vector<Driver::Iteration> loops;
    for (int i = 0; i < in_flight; ++i) {
      loops.push_back([this](std::function<void()> next) {
        if (!error_.ok() || next_job_ >= jobs_.size()) return false;
        jobs_[next_job_++](std::move(next));
        return true;
      });
    }
    const PhaseTimes times = driver_.RunPhase(spec, std::move(loops));
    if (!error_.ok()) return error_;
    if (times.interrupted) return absl::CancelledError("interrupted");
    if (times.hit_limit || next_job_ < jobs_.size()) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "the district's set-up did not finish within %.0f s (%d of %d "
          "calls done)",
          spec.limit, next_job_, jobs_.size()));
    }
    return absl::OkStatus();
  }

  // Records the first failure of `what`.
  bool Check(const grpc::Status& status, const std::string& what) {
    ++calls_;
    if (status.ok()) return true;
    if (error_.ok()) {
      error_ = absl::FailedPreconditionError(absl::StrCat(
          "set-up call ", what, " failed: code ",
          static_cast<int>(status.error_code()), ": ", status.error_message()));
    }
    return false;
  }

  Driver& driver() { return driver_; }
  Connection& admin() { return admin_; }
  const std::string& token() const { return token_; }
  std::string NextRequestId() { return absl::StrCat("setup-", ++request_); }
  int64_t calls() const { return calls_; }

 private:
  Driver& driver_;
  Connection& admin_;
  const std::string token_;
  std::vector<Job> jobs_;
  size_t next_job_ = 0;
  absl::Status error_;
  int64_t request_ = 0;
  int64_t calls_ = 0;
};

// Creates `principal` and issues it a token, written to `*token_out`.
SetUp::Job PrincipalWithToken(SetUp& s, v1::Principal principal,
                              std::string* token_out) {
  return [&s, principal = std::move(principal),
          token_out](std::function<void()> next) {
    v1::CreatePrincipalRequest create;
    create.set_request_id(s.NextRequestId());
    *create.mutable_principal() = principal;
    s.driver().Call(
        *s.admin().admin, &v1::AdminService::Stub::PrepareAsyncCreatePrincipal,
        create, s.token(),
        [&s, id = principal.id(), token_out, next](
            const grpc::Status& status, v1::Principal&, TimePoint, TimePoint) {
          if (!s.Check(status, "CreatePrincipal " + id)) return next();
          v1::IssueTokenRequest issue;
          issue.set_request_id(s.NextRequestId());
          issue.set_principal_id(id);
          issue.set_description("taskgate_loadgen");
          s.driver().Call(
              *s.admin().admin, &v1::AdminService::Stub::PrepareAsyncIssueToken,
              issue, s.token(),
              [&s, id, token_out, next](const grpc::Status& status,
                                        v1::IssueTokenResponse& response,
                                        TimePoint, TimePoint) {
                if (s.Check(status, "IssueToken " + id)) {
                  *token_out = response.token();
                }
                next();
              });
        });
  };
}

std::string StreetId(int street) {
  return absl::StrFormat("st%02d", street + 1);
}

// Puts department `id` named `name` (PutDepartment), or street `id`
// (PutStreet) when `street`: principals and communities name them by id.
SetUp::Job PutNamed(SetUp& s, bool street, std::string id, std::string name) {
  return [&s, street, id = std::move(id),
          name = std::move(name)](std::function<void()> next) {
    auto done = [&s, street, id, next](const grpc::Status& status, auto&,
                                       TimePoint, TimePoint) {
      s.Check(status, (street ? "PutStreet " : "PutDepartment ") + id);
      next();
    };
    if (street) {
      v1::PutStreetRequest put;
      put.set_request_id(s.NextRequestId());
      put.mutable_street()->set_id(id);
      put.mutable_street()->set_name(name);
      s.driver().Call(*s.admin().admin,
                      &v1::AdminService::Stub::PrepareAsyncPutStreet, put,
                      s.token(), done);
    } else {
      v1::PutDepartmentRequest put;
      put.set_request_id(s.NextRequestId());
      put.mutable_department()->set_id(id);
      put.mutable_department()->set_name(name);
      s.driver().Call(*s.admin().admin,
                      &v1::AdminService::Stub::PrepareAsyncPutDepartment, put,
                      s.token(), done);
    }
  };
}

v1::Community MakeCommunity(int i, int streets) {
  v1::Community c;
  const int street = i % streets;
  c.set_id(absl::StrFormat("st%02d-c%03d", street + 1, i + 1));
  c.set_name(absl::StrFormat("第%03d社区", i + 1));
  c.set_street_id(StreetId(street));
  const int staff = 6 + i % 5;
  c.set_staff_count(staff);
  c.set_monthly_capacity_hours(0);  // the server's default: staff × 20 h
  // 40% of the capacity is already taken by work from before TaskGate.
  c.set_baseline_hours(staff * 20 * 0.4);
  (*c.mutable_baseline_units())["forms_and_ledgers"] = 3 + i % 4;
  (*c.mutable_baseline_units())["inspection"] = 1;
  return c;
}

std::vector<v1::CatalogItem> MakeCatalog(const DistrictShape& shape,
                                         District& district) {
  std::vector<v1::CatalogItem> items;
  constexpr int kDutyTitleCount = sizeof(kDutyTitles) / sizeof(kDutyTitles[0]);
  for (int i = 0; i < shape.duty_items; ++i) {
    v1::CatalogItem item;
    item.set_code(absl::StrFormat("DUTY-%03d", i + 1));
    item.set_kind(v1::LIST_KIND_DUTY);
    item.set_title(i < kDutyTitleCount
                       ? std::string(kDutyTitles[i])
                       : absl::StrCat(kDutyTitles[i % kDutyTitleCount], "（",
                                      i / kDutyTitleCount + 1, "）"));
    item.set_legal_basis(kOrganicLaw);
    items.push_back(std::move(item));
  }
  constexpr int kAssistCount = sizeof(kAssistItems) / sizeof(kAssistItems[0]);
  for (int i = 0; i < shape.assist_items; ++i) {
    v1::CatalogItem item;
    item.set_code(absl::StrFormat("ASSIST-%03d", i + 1));
    item.set_kind(v1::LIST_KIND_ASSIST);
    const AssistItem& source = kAssistItems[i % kAssistCount];
    item.set_title(
        i < kAssistCount
            ? std::string(source.title)
            : absl::StrCat(source.title, "（第", i / kAssistCount + 1, "批）"));
    item.set_legal_basis(source.basis);
    district.assist_codes.push_back(item.code());
    district.assist_titles.push_back(item.title());
    district.assist_bases.push_back(item.legal_basis());
    items.push_back(std::move(item));
  }
  const std::vector<NegativeItem>& negatives = NegativeItems();
  for (int i = 0; i < shape.negative_items; ++i) {
    const NegativeItem& source = negatives[i % negatives.size()];
    v1::CatalogItem item;
    item.set_code(absl::StrFormat("NEG-%03d", i + 1));
    item.set_kind(v1::LIST_KIND_NEGATIVE);
    item.set_title(source.title);
    item.set_legal_basis(kNegativeBasis);
    for (const std::string& k : source.keywords) item.add_keywords(k);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

absl::Status ValidateShape(const DistrictShape& s) {
  const auto in_range = [](int v, int lo) { return v >= lo && v <= kMaxCount; };
  if (!in_range(s.departments, 1) || !in_range(s.communities, 1) ||
      !in_range(s.streets, 1) || s.streets > s.communities ||
      !in_range(s.reviewers, 2) || !in_range(s.duty_items, 1) ||
      !in_range(s.assist_items, 1) || !in_range(s.negative_items, 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bad district shape: %d departments, %d communities in %d streets, "
        "%d reviewers; need at least 1 department and community, 1 to "
        "<communities> streets, at least 2 reviewers, at most %d of each",
        s.departments, s.communities, s.streets, s.reviewers, kMaxCount));
  }
  return absl::OkStatus();
}

absl::StatusOr<District> SetUpDistrict(Driver& driver, Connection& admin,
                                       const std::string& admin_token,
                                       const DistrictShape& shape,
                                       int in_flight, const PhaseSpec& timing) {
  if (absl::Status valid = ValidateShape(shape); !valid.ok()) return valid;
  District district;
  district.shape = shape;
  district.admin_token = admin_token;
  SetUp s(driver, admin, admin_token);

  // The catalog first: the principals do not need it, but a task does.
  v1::PublishCatalogRequest publish;
  publish.set_request_id(s.NextRequestId());
  publish.set_note("taskgate_loadgen: the benchmark district's lists");
  for (v1::CatalogItem& item : MakeCatalog(shape, district)) {
    *publish.add_items() = std::move(item);
  }
  s.Add([&s, publish](std::function<void()> next) {
    s.driver().Call(*s.admin().admin,
                    &v1::AdminService::Stub::PrepareAsyncPublishCatalog,
                    publish, s.token(),
                    [&s, next](const grpc::Status& status, v1::CatalogVersion&,
                               TimePoint, TimePoint) {
                      s.Check(status, "PublishCatalog");
                      next();
                    });
  });
  if (absl::Status done = s.Run(1, timing); !done.ok()) return done;

  // Then the departments and streets: principals and communities name
  // them by id.
  for (int d = 0; d < shape.departments; ++d) {
    s.Add(PutNamed(s, false, absl::StrFormat("dept-%02d", d + 1),
                   DepartmentName(d)));
  }
  for (int st = 0; st < shape.streets; ++st) {
    s.Add(
        PutNamed(s, true, StreetId(st), absl::StrFormat("第%02d街道", st + 1)));
  }
  if (absl::Status done = s.Run(in_flight, timing); !done.ok()) return done;

  for (int i = 0; i < shape.communities; ++i) {
    v1::PutCommunityRequest put;
    put.set_request_id(s.NextRequestId());
    *put.mutable_community() = MakeCommunity(i, shape.streets);
    district.community_ids.push_back(put.community().id());
    s.Add([&s, put](std::function<void()> next) {
      s.driver().Call(*s.admin().admin,
                      &v1::AdminService::Stub::PrepareAsyncPutCommunity, put,
                      s.token(),
                      [&s, id = put.community().id(), next](
                          const grpc::Status& status, v1::Community&, TimePoint,
                          TimePoint) {
                        s.Check(status, "PutCommunity " + id);
                        next();
                      });
    });
  }

  district.department_tokens.resize(shape.departments);
  for (int d = 0; d < shape.departments; ++d) {
    const std::string dept = absl::StrFormat("dept-%02d", d + 1);
    district.department_ids.push_back(dept);
    v1::Principal p;
    p.set_id("clerk-" + dept);
    p.set_role(v1::ROLE_DEPARTMENT);
    p.set_display_name(absl::StrCat(DepartmentName(d), " 经办人"));
    p.set_department_id(dept);
    s.Add(PrincipalWithToken(s, p, &district.department_tokens[d]));
  }
  district.reviewer_tokens.resize(shape.reviewers);
  for (int r = 0; r < shape.reviewers; ++r) {
    const int home = r < shape.reviewers / 2 ? r % shape.departments : -1;
    district.reviewer_home.push_back(home);
    v1::Principal p;
    p.set_id(absl::StrFormat("reviewer-%02d", r + 1));
    p.set_role(v1::ROLE_REVIEWER);
    p.set_display_name(absl::StrFormat("区准入审核 %02d", r + 1));
    if (home >= 0) p.set_home_department_id(district.department_ids[home]);
    s.Add(PrincipalWithToken(s, p, &district.reviewer_tokens[r]));
  }
  v1::Principal auditor;
  auditor.set_id("auditor-01");
  auditor.set_role(v1::ROLE_AUDITOR);
  auditor.set_display_name("区纪委监委 督查");
  s.Add(PrincipalWithToken(s, auditor, &district.auditor_token));

  if (absl::Status done = s.Run(in_flight, timing); !done.ok()) return done;
  district.calls = s.calls();
  return district;
}

TaskFactory::TaskFactory(const District& district, absl::CivilMonth first_month)
    : district_(district),
      first_month_(first_month),
      next_(district.department_ids.size(), 0) {}

int64_t TaskFactory::distinct_per_department() const {
  return static_cast<int64_t>(district_.community_ids.size()) * kMonths *
         static_cast<int64_t>(district_.assist_codes.size());
}

v1::TaskSpec TaskFactory::Next(int dept) {
  const int64_t n = next_[dept]++;
  const int64_t communities = district_.community_ids.size();
  // Departments start at different communities, so that they do not all
  // add to the same one at the same moment.
  const int64_t community = (n + dept * 7) % communities;
  const int64_t month = (n / communities) % kMonths;
  const int64_t item =
      (n / (communities * kMonths)) % district_.assist_codes.size();
  const absl::CivilMonth m = first_month_ + month;
  const absl::CivilDay start(m);
  const absl::CivilDay end = absl::CivilDay(m + 1) - 1;
  const std::string& community_id = district_.community_ids[community];
  const std::string& title = district_.assist_titles[item];

  v1::TaskSpec spec;
  spec.set_title(absl::StrFormat("%s（%s，%d年%d月）", title, community_id,
                                 m.year(), m.month()));
  spec.set_description(absl::StrCat(
      "按照区里的统一部署，在", community_id, "开展", title,
      "相关工作：入户走访、核对登记信息、按月汇总。所需表格和名单由",
      DepartmentName(dept),
      "提供，结果用于完善服务对象名单。工作量按每月一小时估算，"
      "经费随事转拨付到社区。"));
  spec.set_item_code(district_.assist_codes[item]);
  spec.set_legal_basis(district_.assist_bases[item]);
  spec.set_long_term(false);
  spec.set_start_date(absl::FormatCivilTime(start));
  spec.set_end_date(absl::FormatCivilTime(end));
  spec.add_target_communities(community_id);
  spec.set_hours_per_community_month(1);
  spec.set_funding_per_community_yuan(3000);
  spec.set_funding_source(absl::StrCat(DepartmentName(dept), "部门预算"));
  spec.set_authority_delegated("入户核实和信息采集");
  spec.set_department_duties("提供名单、表格和业务培训，负责汇总分析");
  spec.set_community_duties("入户走访并登记，按月报送汇总表");
  spec.set_support_given("每季度一次业务培训");
  spec.set_assessment_method("部门按季度抽查登记质量，不单独组织评价");
  return spec;
}

absl::CivilMonth FirstTaskMonth() {
  return absl::CivilMonth(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())) +
         2;
}

}  // namespace taskgate::bench
