#include "services/demo_seed.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>
#include <spdlog/spdlog.h>

#include "common/status_macros.h"
#include "domain/types.h"
#include "services/auth.h"
#include "services/server.h"

namespace taskgate::services {
namespace {

using domain::CatalogItem;
using domain::Community;
using domain::ControlledBucket;
using domain::ListKind;
using domain::Principal;
using domain::Role;

constexpr char kOrganicLaw[] = "《中华人民共和国城市居民委员会组织法》";
constexpr char kNational2015[] =
    "民政部 中央组织部《关于深入推进城市社区减负增效的通知》"
    "（民发〔2015〕136号）";

std::vector<CatalogItem> DemoCatalog() {
  const auto duty = [](const char* code, const char* title, std::string basis) {
    return CatalogItem{code, ListKind::kDuty, title, std::move(basis), {}};
  };
  const auto assist = [](const char* code, const char* title,
                         std::string basis) {
    return CatalogItem{code, ListKind::kAssist, title, std::move(basis), {}};
  };
  const auto negative = [](const char* code, const char* title,
                           std::vector<std::string> keywords) {
    return CatalogItem{code, ListKind::kNegative, title, kNational2015,
                       std::move(keywords)};
  };
  return {
      // 社区依法履行职责事项: admitted on the fast path.
      duty("DUTY-001", "召集居民会议，制定和修订居民公约",
           absl::StrCat(kOrganicLaw, "第十条、第十五条")),
      duty("DUTY-002", "调解民间纠纷",
           absl::StrCat(kOrganicLaw,
                        "第三条；《中华人民共和国人民调解法》第八条")),
      duty("DUTY-003", "居务公开，向政府反映居民的意见、要求和建议",
           absl::StrCat(kOrganicLaw, "第三条")),
      // 社区依法协助政府事项: reviewed; funding follows the task.
      assist("ASSIST-001", "协助开展人口普查和经常性统计调查",
             "《中华人民共和国统计法》第七条；《全国人口普查条例》第九条"),
      assist("ASSIST-002", "协助做好最低生活保障申请的受理和入户调查",
             "《社会救助暂行办法》第十一条"),
      assist("ASSIST-003", "协助开展兵役登记和征兵宣传",
             "《中华人民共和国兵役法》第十七条"),
      assist("ASSIST-004", "协助开展独居、空巢老年人关爱服务",
             "《中华人民共和国老年人权益保障法》第十八条"),
      // 社区不应承担事项 (负面清单): never admitted.
      negative("NEG-001", "招商引资任务指标", {"招商引资"}),
      negative("NEG-002", "协税护税、代征税款", {"协税护税", "代征税款"}),
      negative("NEG-003", "经济创收指标", {"经济创收", "创收指标"}),
      negative("NEG-004", "作为拆迁拆违的责任主体", {"拆迁", "拆违"}),
      negative("NEG-005", "作为环境整治、城市管理执法的责任主体",
               {"环境整治执法", "城市管理执法", "行政执法责任"}),
      negative("NEG-006", "承担安全生产监管责任",
               {"安全生产监管", "安全生产检查"}),
  };
}

// The official 2026 calendar: 国务院办公厅关于2026年部分节假日安排的通知
// (2025-11-04). Each holiday period, and the weekend days worked for it.
domain::CalendarYear Official2026Calendar() {
  domain::CalendarYear c;
  c.year = 2026;
  const auto off = [&](int month, int first, int last) {
    for (int d = first; d <= last; ++d) {
      c.holidays.push_back(absl::CivilDay(2026, month, d));
    }
  };
  const auto work = [&](int month, int day) {
    c.makeup_workdays.push_back(absl::CivilDay(2026, month, day));
  };
  off(1, 1, 3);    // 元旦
  work(1, 4);      // Sunday
  off(2, 15, 23);  // 春节
  work(2, 14);     // Saturday
  work(2, 28);     // Saturday
  off(4, 4, 6);    // 清明节
  off(5, 1, 5);    // 劳动节
  work(5, 9);      // Saturday
  off(6, 19, 21);  // 端午节
  off(9, 25, 27);  // 中秋节
  off(10, 1, 7);   // 国庆节
  work(9, 20);     // Sunday
  work(10, 10);    // Saturday
  c.note = "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）";
  return c;
}

// The departments the demo principals act for (职能部门), by id.
std::vector<domain::Department> DemoDepartments() {
  return {{.district_id = "", .id = "civil-affairs", .name = "区民政局"},
          {.district_id = "", .id = "health", .name = "区卫生健康委"}};
}

// The demo's two streets (街道), by id; communities name them by id.
constexpr char kHeping[] = "heping";
constexpr char kXinhua[] = "xinhua";
std::vector<domain::Street> DemoStreets() {
  return {{.district_id = "", .id = kHeping, .name = "和平街道"},
          {.district_id = "", .id = kXinhua, .name = "新华街道"}};
}

std::vector<Community> DemoCommunities(const std::string& district_id) {
  const auto community =
      [&](const char* id, const char* name, const char* street, int staff,
          double baseline_hours,
          std::map<ControlledBucket, int32_t> baseline_units) {
        Community c;
        c.district_id = district_id;
        c.id = id;
        c.name = name;
        c.street_id = street;
        c.staff_count = staff;
        c.monthly_capacity_hours = 0;  // the engine's default: staff × 20 h
        c.baseline_hours = baseline_hours;
        c.baseline_units = std::move(baseline_units);
        return c;
      };
  return {
      community("hp-chunhui", "春晖社区", kHeping, 6, 60,
                {{ControlledBucket::kFormsAndLedgers, 4},
                 {ControlledBucket::kInspection, 1}}),
      community("hp-qingnian", "青年社区", kHeping, 4, 50,
                {{ControlledBucket::kFormsAndLedgers, 6},
                 {ControlledBucket::kInspection, 2}}),
      community("hp-yuhua", "裕华社区", kHeping, 8, 70,
                {{ControlledBucket::kFormsAndLedgers, 3},
                 {ControlledBucket::kTraining, 1}}),
      community("xh-donghu", "东湖社区", kXinhua, 5, 55,
                {{ControlledBucket::kFormsAndLedgers, 5}}),
      community("xh-nanyuan", "南苑社区", kXinhua, 7, 90,
                {{ControlledBucket::kFormsAndLedgers, 8},
                 {ControlledBucket::kCertificate, 2}}),
      // Nearly full: a new task here shows R-CAPACITY.
      community("xh-xiyuan", "西园社区", kXinhua, 4, 72,
                {{ControlledBucket::kFormsAndLedgers, 9},
                 {ControlledBucket::kCreationCampaign, 2}}),
  };
}

std::vector<Principal> DemoPrincipals(const std::string& district_id) {
  const auto principal = [&](const char* id, Role role, const char* name) {
    Principal p;
    p.id = id;
    p.role = role;
    p.district_id = district_id;
    p.display_name = name;
    return p;
  };
  std::vector<Principal> out;
  out.push_back(principal("clerk-civil", Role::kDepartment, "区民政局 经办人"));
  out.back().department_id = "civil-affairs";
  out.push_back(
      principal("clerk-health", Role::kDepartment, "区卫生健康委 经办人"));
  out.back().department_id = "health";
  out.push_back(principal("reviewer-li", Role::kReviewer, "区准入审核 李"));
  // A reviewer from the civil-affairs bureau: never decides its tasks.
  out.push_back(
      principal("reviewer-wang", Role::kReviewer, "区准入审核 王（区民政局）"));
  out.back().home_department_id = "civil-affairs";
  out.push_back(
      principal("office-chunhui", Role::kCommunity, "春晖社区居委会"));
  out.back().community_id = "hp-chunhui";
  out.push_back(principal("office-donghu", Role::kCommunity, "东湖社区居委会"));
  out.back().community_id = "xh-donghu";
  out.push_back(principal("auditor-zhao", Role::kAuditor, "区纪委监委 赵"));
  return out;
}

// Tolerates what a cut-short earlier run already created.
absl::Status IgnoreExisting(const absl::Status& status) {
  return absl::IsAlreadyExists(status) ? absl::OkStatus() : status;
}

}  // namespace

absl::StatusOr<bool> LoadDemoData(workflow::Engine& engine,
                                  const std::string& tokens_path) {
  const std::string& district_id = engine.options().district_id;
  absl::StatusOr<domain::CatalogVersion> catalog =
      engine.queries().GetCatalog(domain::SystemPrincipal(district_id), 0);
  if (catalog.ok()) return false;
  if (!absl::IsNotFound(catalog.status())) return catalog.status();

  absl::StatusOr<Principal> admin = engine.principals().GetPrincipal("admin");
  if (!admin.ok() || admin->role != Role::kAdmin) {
    return absl::FailedPreconditionError(
        "the demo data is loaded as the bootstrap admin 'admin', which this "
        "database lacks; load it on a fresh database");
  }

  for (domain::Department& department : DemoDepartments()) {
    TASKGATE_RETURN_IF_ERROR(IgnoreExisting(
        engine.directory().PutDepartment(*admin, "", department, 0).status()));
  }
  for (domain::Street& street : DemoStreets()) {
    TASKGATE_RETURN_IF_ERROR(IgnoreExisting(
        engine.directory().PutStreet(*admin, "", street, 0).status()));
  }
  for (Community& community : DemoCommunities(district_id)) {
    TASKGATE_RETURN_IF_ERROR(
        IgnoreExisting(engine.directory()
                           .PutCommunity(*admin, "", std::move(community), 0)
                           .status()));
  }

  std::string lines;
  for (Principal& principal : DemoPrincipals(district_id)) {
    const std::string id = principal.id;
    const std::string role(domain::RoleName(principal.role));
    TASKGATE_RETURN_IF_ERROR(
        IgnoreExisting(engine.principals()
                           .CreatePrincipal(*admin, "", std::move(principal))
                           .status()));
    TASKGATE_ASSIGN_OR_RETURN(std::string secret, NewTokenSecret());
    TASKGATE_ASSIGN_OR_RETURN(std::string token_id, NewTokenId());
    TASKGATE_RETURN_IF_ERROR(engine.principals()
                                 .IssueToken(*admin, "", id, token_id,
                                             HashToken(secret), "demo token")
                                 .status());
    absl::StrAppend(&lines, id, " ", role, " ", secret, "\n");
  }
  TASKGATE_RETURN_IF_ERROR(WriteSecretFile(tokens_path, lines));

  // Unless a cut-short earlier run published it already.
  const domain::CalendarYear official = Official2026Calendar();
  absl::StatusOr<domain::CalendarYear> stored =
      engine.calendars().Get(*admin, official.year, 0);
  if (!stored.ok() && !absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  if (!stored.ok() || stored->holidays != official.holidays ||
      stored->makeup_workdays != official.makeup_workdays) {
    TASKGATE_RETURN_IF_ERROR(
        engine.calendars().Publish(*admin, "", official).status());
  }

  TASKGATE_RETURN_IF_ERROR(
      engine.directory()
          .PublishCatalog(*admin, "", DemoCatalog(),
                          "demo catalog (taskgated --demo): duty, assist and "
                          "negative-list examples after SPEC §2")
          .status());
  spdlog::info(
      "demo data loaded: catalog, the official 2026 working-day calendar, "
      "2 departments, 2 streets, 6 communities, 7 principals; their tokens are "
      "in {} "
      "(mode 0600)",
      tokens_path);
  return true;
}

}  // namespace taskgate::services
