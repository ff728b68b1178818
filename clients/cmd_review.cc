// `taskgate review ...`: the district admission reviewer's queue and
// decisions.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "clients/cli.h"
#include "clients/list_command.h"

namespace taskgate::clients::cli {
namespace {

using ReviewStub = v1::ReviewService::Stub;
using ReviewMethod = RpcMethod<ReviewStub, v1::TaskActionRequest, v1::Task>;

struct DecideFlags : TaskActionFlags {
  std::vector<std::string> acks;
  bool emergency_unjustified = false;
};

// The rules the server runs again at every approval (SPEC §4.1): their
// stored findings may have gone, and new ones may have come, by then.
bool RecheckedAtApproval(const std::string& rule_id) {
  return rule_id == "R-CAPACITY" || rule_id == "R-CONTROLLED" ||
         rule_id == "R-DUPLICATE";
}

// Reads the task and checks that every WARN finding it shows is
// acknowledged; an exit code when it cannot go on, else -1 with the
// acknowledgements set. The rules re-checked at approval may find more than
// the task shows, which the server names: those may be acknowledged here
// whether or not the task shows them. (One the task shows may also have
// gone by then; acknowledging it anyway does no harm.)
int PrepareApprove(Context& ctx, const DecideFlags& f,
                   v1::TaskActionRequest* r) {
  std::map<std::string, std::string> acks;
  for (const std::string& a : f.acks) {
    const size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size()) {
      return ctx.Usage(absl::StrCat("--ack ", a,
                                    ": write RULE_ID=reason, e.g. "
                                    "--ack 'R-CAPACITY=the street adds staff "
                                    "in June'"));
    }
    acks[a.substr(0, eq)] = a.substr(eq + 1);
  }
  v1::Task task;
  if (int code = ReadTask(ctx, f.task_id, &task); code != kExitOk) return code;
  std::vector<std::string> missing;
  std::set<std::string> warned;
  for (const v1::Finding& finding : task.findings()) {
    if (finding.severity() != v1::SEVERITY_WARN) continue;
    warned.insert(finding.rule_id());
    if (acks.count(finding.rule_id()) == 0) {
      missing.push_back(finding.rule_id());
    }
  }
  if (!missing.empty()) {
    std::string hint;
    for (const std::string& m : missing) {
      absl::StrAppend(&hint, " --ack '", m, "=<why approving is right>'");
    }
    return ctx.Usage(absl::StrCat(
        "task ", f.task_id, " has WARN findings not acknowledged: ",
        absl::StrJoin(missing, ", "), "; approve with", hint));
  }
  for (const auto& [rule, reason] : acks) {
    if (warned.count(rule) == 0 && !RecheckedAtApproval(rule)) {
      return ctx.Usage(absl::StrCat("--ack ", rule, ": task ", f.task_id,
                                    " has no WARN finding ", rule));
    }
    v1::Acknowledgement* a = r->add_acknowledgements();
    a->set_rule_id(rule);
    a->set_reason(reason);
  }
  r->set_etag(f.etag.empty() ? task.etag() : f.etag);
  return -1;
}

// The decisions so far, below the task of `review show`; nothing when none.
void PrintDecisions(std::ostream& out,
                    const v1::ListDecisionsResponse& decisions) {
  if (decisions.decisions().empty()) return;
  out << "decisions:\n";
  Table t({"  TIME", "KIND", "BY", "REASON", "ACKNOWLEDGED"});
  for (const v1::Decision& dec : decisions.decisions()) {
    std::vector<std::string> acks;
    for (const auto& a : dec.acknowledgements()) acks.push_back(a.rule_id());
    t.Add({"  " + TimeText(dec.decide_time()), dec.kind(), dec.decided_by(),
           Cut(dec.reason(), 40), absl::StrJoin(acks, ",")});
  }
  t.Print(out);
}

void PrintFundingReportTable(std::ostream& out,
                             const std::vector<v1::FundingReport>& items) {
  Table t({"ID", "TASK", "COMMUNITY", "BY", "TIME", "NOTE"});
  for (const auto& i : items) {
    t.Add({i.id(), i.task_id(), i.community_id(), i.reported_by(),
           TimeText(i.report_time()), Cut(i.note(), 50)});
  }
  t.Print(out);
}

void PrintComplaintTable(std::ostream& out,
                         const std::vector<v1::Complaint>& items) {
  Table t({"ID", "STATE", "COMMUNITY", "DEPARTMENT", "TASK", "TITLE"});
  for (const auto& i : items) {
    t.Add({i.id(),
           ShortEnum(v1::ComplaintState_Name(i.state()), "COMPLAINT_STATE_"),
           i.community_id(), i.department_id(), i.task_id(),
           Cut(i.title(), 40)});
  }
  t.Print(out);
}

constexpr ListView<v1::FundingReport> kFundingReportList = {
    [](const v1::FundingReport& r) { return r.id(); },
    &PrintFundingReportTable};

constexpr ListView<v1::Complaint> kComplaintList = {
    [](const v1::Complaint& c) { return c.id(); }, &PrintComplaintTable};

}  // namespace

void AddReviewCommands(CLI::App& root, Registry& registry) {
  CLI::App* review = Registry::Group(
      &root, "review", "District reviewer: work the admission queue",
      "taskgate review queue");
  {
    struct Flags : ListFlags {
      bool awaiting_second = false;
      std::string filter;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        review, "queue",
        "Tasks under review (SUBMITTED, IN_REVIEW, PROVISIONAL) with due "
        "dates; a task with one of its two approvals shows \"(awaiting 2nd "
        "approval)\"",
        "taskgate review queue --awaiting-second-approval --limit 20",
        [f](Context& ctx) {
          std::vector<std::string> terms;
          if (f->awaiting_second) {
            terms.push_back("awaiting_second_approval=true");
          }
          if (!f->filter.empty()) terms.push_back(f->filter);
          v1::ListReviewQueueRequest r;
          r.set_filter(absl::StrJoin(terms, " AND "));
          return RunList(ctx, &Client::reviews, &ReviewStub::ListReviewQueue, r,
                         &v1::ListTasksResponse::tasks, kTaskList, *f);
        });
    AddListFlags(app, *f);
    app->add_flag("--awaiting-second-approval", f->awaiting_second,
                  "Only tasks that have the first of their two approvals "
                  "and await the second (待二次审批), which you may take "
                  "unless you gave the first");
    app->add_option("--filter", f->filter,
                    "Raw filter, e.g. 'awaiting_second_approval=false AND "
                    "state=SUBMITTED' (keys: state, department, community, "
                    "item_code, awaiting_second_approval)");
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        review, "show", "A task with its rule findings and decisions so far",
        "taskgate review show t-123", [id](Context& ctx) {
          v1::Task task;
          if (int code = ReadTask(ctx, *id, &task); code != kExitOk) {
            return code;
          }
          PrintTask(ctx, task);
          if (ctx.output() != Output::kTable) return int{kExitOk};
          v1::ListDecisionsRequest d;
          d.set_task_id(*id);
          v1::ListDecisionsResponse decisions;
          if (int code = ctx.Call(&Client::tasks,
                                  &v1::TaskService::Stub::ListDecisions, d,
                                  &decisions);
              code != kExitOk) {
            return code;
          }
          PrintDecisions(ctx.out(), decisions);
          return int{kExitOk};
        });
    app->add_option("TASK", *id, "Task id")->required();
  }
  struct Move {
    const char* name;
    const char* help;
    ReviewMethod method;
    ReasonFlag reason;
    const char* example;
  };
  for (const Move& m : {
           Move{"claim", "Claim a queued task for review",
                &ReviewStub::ClaimTask, ReasonFlag::kNone,
                "taskgate review claim t-123"},
           Move{"release", "Give the claim back to the queue",
                &ReviewStub::ReleaseTask, ReasonFlag::kNone,
                "taskgate review release t-123"},
           Move{"approve",
                "Approve a claimed task; each WARN finding needs --ack "
                "RULE_ID=reason",
                &ReviewStub::ApproveTask, ReasonFlag::kOptional,
                "taskgate review approve t-123 --ack 'R-LEAD-TIME=the "
                "community agreed to start early'"},
           Move{"reject", "Reject a claimed task (PROVISIONAL: revoke it)",
                &ReviewStub::RejectTask, ReasonFlag::kRequired,
                "taskgate review reject t-123 --reason '不属于社区职责'"},
           Move{"return", "Return a claimed task for revision (退回补正)",
                &ReviewStub::ReturnTask, ReasonFlag::kRequired,
                "taskgate review return t-123 --reason '请补充经费来源'"},
           Move{"revoke", "Revoke an ACTIVE task", &ReviewStub::RevokeTask,
                ReasonFlag::kRequired,
                "taskgate review revoke t-123 --reason '经费始终未到位'"},
       }) {
    auto f = std::make_shared<DecideFlags>();
    const bool approve = std::string(m.name) == "approve";
    CLI::App* app =
        registry.Leaf(review, m.name, m.help, m.example,
                      [f, method = m.method, approve](Context& ctx) {
                        if (ctx.client() == nullptr) return int{kExitUsage};
                        v1::TaskActionRequest r = TaskActionRequestOf(*f);
                        r.set_emergency_unjustified(f->emergency_unjustified);
                        if (approve) {
                          if (int code = PrepareApprove(ctx, *f, &r); code >= 0)
                            return code;
                        }
                        return TaskAction(ctx, &Client::reviews, method, r);
                      });
    AddTaskActionFlags(app, *f, m.reason);
    if (approve) {
      app->add_option("--ack", f->acks,
                      "RULE_ID=reason acknowledging a WARN finding (repeat)");
    }
    if (approve || std::string(m.name) == "reject") {
      app->add_flag("--emergency-unjustified", f->emergency_unjustified,
                    "Record that the emergency flag was not justified");
    }
  }
  {
    auto task = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        review, "funding-reports", "Communities' reports of missing funding",
        "taskgate review funding-reports --task t-123", [task](Context& ctx) {
          v1::ListFundingReportsRequest r;
          r.set_task_id(*task);
          return RunList(ctx, &Client::reviews, &ReviewStub::ListFundingReports,
                         r, &v1::ListFundingReportsResponse::reports,
                         kFundingReportList);
        });
    app->add_option("--task", *task, "Only reports about this task");
  }
  {
    auto community = std::make_shared<std::string>();
    registry
        .Leaf(review, "complaints", "Complaints about un-admitted tasks",
              "taskgate review complaints",
              [community](Context& ctx) {
                v1::ListComplaintsRequest r;
                r.set_community_id(*community);
                return RunList(
                    ctx, &Client::reviews, &ReviewStub::ListComplaints, r,
                    &v1::ListComplaintsResponse::complaints, kComplaintList);
              })
        ->add_option("--community", *community, "Only this community's");
  }
  {
    auto r = std::make_shared<v1::UpdateComplaintRequest>();
    auto state = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        review, "complaint",
        "Handle a complaint: OPEN -> verified | unfounded -> resolved",
        "taskgate review complaint cp-123 --state verified "
        "--resolution '台账要求属实，已责令停止'",
        [r, state](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          const std::string wanted =
              "COMPLAINT_STATE_" + absl::AsciiStrToUpper(*state);
          v1::ComplaintState to = v1::COMPLAINT_STATE_UNSPECIFIED;
          if (!v1::ComplaintState_Parse(wanted, &to) ||
              to == v1::COMPLAINT_STATE_OPEN ||
              to == v1::COMPLAINT_STATE_UNSPECIFIED) {
            ctx.err() << "error: --state must be verified, unfounded or "
                         "resolved, not '"
                      << *state << "'\n";
            return int{kExitUsage};
          }
          v1::UpdateComplaintRequest req = *r;
          req.set_state(to);
          req.set_request_id(NewRequestId());
          v1::Complaint complaint;
          if (int code =
                  ctx.Call(&Client::reviews, &ReviewStub::UpdateComplaint, req,
                           &complaint);
              code != kExitOk) {
            return code;
          }
          return PrintComplaint(ctx, complaint, "");
        });
    app->add_option_function<std::string>(
           "complaint_id",
           [r](const std::string& v) { r->set_complaint_id(v); },
           "The complaint's id (see 'taskgate review complaints')")
        ->required();
    app->add_option("--state", *state, "verified, unfounded or resolved")
        ->required();
    app->add_option_function<std::string>(
           "--resolution", [r](const std::string& v) { r->set_resolution(v); },
           "What was found or done")
        ->required();
    app->add_option_function<std::string>(
        "--etag", [r](const std::string& v) { r->set_etag(v); },
        "The complaint's etag as you read it (optional)");
  }
}

}  // namespace taskgate::clients::cli
