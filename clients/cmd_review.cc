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

namespace taskgate::clients::cli {
namespace {

using ReviewStub = v1::ReviewService::Stub;
using ReviewMethod = grpc::Status (ReviewStub::*)(grpc::ClientContext*,
                                                  const v1::TaskActionRequest&,
                                                  v1::Task*);

struct DecideFlags {
  std::string task_id;
  std::string etag;
  std::string reason;
  std::vector<std::string> acks;
  bool emergency_unjustified = false;
};

// Reads the task and checks that every WARN finding is acknowledged; an
// exit code when it cannot go on, else -1 with the acknowledgements set.
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
  Client& c = *ctx.client();
  v1::GetTaskRequest g;
  g.set_task_id(f.task_id);
  v1::Task task;
  grpc::Status s = c.Call(c.tasks(), &v1::TaskService::Stub::GetTask, g, &task);
  if (!s.ok()) return ctx.Fail(s);
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
    if (warned.count(rule) == 0) {
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

}  // namespace

int PrintComplaint(Context& ctx, const v1::Complaint& complaint,
                   std::string_view note) {
  switch (ctx.output()) {
    case Output::kJson:
      ctx.PrintJson(complaint);
      break;
    case Output::kName:
      ctx.out() << complaint.id() << "\n";
      break;
    case Output::kTable:
      ctx.out() << "complaint " << complaint.id() << " is "
                << ShortEnum(v1::ComplaintState_Name(complaint.state()),
                             "COMPLAINT_STATE_")
                << note << "\n";
      break;
  }
  return kExitOk;
}

void AddReviewCommands(CLI::App& root, Registry& registry) {
  CLI::App* review = Registry::Group(
      &root, "review", "District reviewer: work the admission queue",
      "taskgate review queue");
  {
    auto f = std::make_shared<ListFlags>();
    CLI::App* app = registry.Leaf(
        review, "queue",
        "Tasks under review (SUBMITTED, IN_REVIEW, PROVISIONAL) with due "
        "dates",
        "taskgate review queue --limit 20", [f](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          std::vector<v1::Task> tasks;
          grpc::Status s = Paginate<v1::Task>(
              f->limit, f->page_size,
              [&](const std::string& token, int size,
                  std::vector<v1::Task>* out, std::string* next) {
                v1::ListReviewQueueRequest r;
                r.set_page_size(size);
                r.set_page_token(token);
                v1::ListTasksResponse resp;
                grpc::Status st =
                    c.Call(c.reviews(), &ReviewStub::ListReviewQueue, r, &resp);
                out->insert(out->end(), resp.tasks().begin(),
                            resp.tasks().end());
                *next = resp.next_page_token();
                return st;
              },
              &tasks);
          if (!s.ok()) return ctx.Fail(s);
          PrintList<v1::Task>(
              ctx, tasks, [](const v1::Task& t) { return t.id(); },
              [&](std::ostream& out) { PrintTaskTable(out, tasks); });
          return int{kExitOk};
        });
    AddListFlags(app, *f);
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        review, "show", "A task with its rule findings and decisions so far",
        "taskgate review show t-123", [id](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          v1::GetTaskRequest g;
          g.set_task_id(*id);
          v1::Task task;
          grpc::Status s =
              c.Call(c.tasks(), &v1::TaskService::Stub::GetTask, g, &task);
          if (!s.ok()) return ctx.Fail(s);
          PrintTask(ctx, task);
          if (ctx.output() != Output::kTable) return int{kExitOk};
          v1::ListDecisionsRequest d;
          d.set_task_id(*id);
          v1::ListDecisionsResponse decisions;
          s = c.Call(c.tasks(), &v1::TaskService::Stub::ListDecisions, d,
                     &decisions);
          if (!s.ok()) return ctx.Fail(s);
          if (decisions.decisions().empty()) return int{kExitOk};
          ctx.out() << "decisions:\n";
          Table t({"  TIME", "KIND", "BY", "REASON", "ACKNOWLEDGED"});
          for (const v1::Decision& dec : decisions.decisions()) {
            std::vector<std::string> acks;
            for (const auto& a : dec.acknowledgements()) {
              acks.push_back(a.rule_id());
            }
            t.Add({"  " + TimeText(dec.decide_time()), dec.kind(),
                   dec.decided_by(), Cut(dec.reason(), 40),
                   absl::StrJoin(acks, ",")});
          }
          t.Print(ctx.out());
          return int{kExitOk};
        });
    app->add_option("TASK", *id, "Task id")->required();
  }
  struct Move {
    const char* name;
    const char* help;
    ReviewMethod method;
    bool reason;           // takes --reason
    bool reason_required;  // and needs it
    const char* example;
  };
  for (const Move& m : {
           Move{"claim", "Claim a queued task for review",
                &ReviewStub::ClaimTask, false, false,
                "taskgate review claim t-123"},
           Move{"release", "Give the claim back to the queue",
                &ReviewStub::ReleaseTask, false, false,
                "taskgate review release t-123"},
           Move{"approve",
                "Approve a claimed task; each WARN finding needs --ack "
                "RULE_ID=reason",
                &ReviewStub::ApproveTask, true, false,
                "taskgate review approve t-123 --ack 'R-LEAD-TIME=the "
                "community agreed to start early'"},
           Move{"reject", "Reject a claimed task (PROVISIONAL: revoke it)",
                &ReviewStub::RejectTask, true, true,
                "taskgate review reject t-123 --reason '不属于社区职责'"},
           Move{"return", "Return a claimed task for revision (退回补正)",
                &ReviewStub::ReturnTask, true, true,
                "taskgate review return t-123 --reason '请补充经费来源'"},
           Move{"revoke", "Revoke an ACTIVE task", &ReviewStub::RevokeTask,
                true, true,
                "taskgate review revoke t-123 --reason '经费始终未到位'"},
       }) {
    auto f = std::make_shared<DecideFlags>();
    const bool approve = std::string(m.name) == "approve";
    CLI::App* app = registry.Leaf(
        review, m.name, m.help, m.example,
        [f, method = m.method, approve](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          v1::TaskActionRequest r;
          r.set_task_id(f->task_id);
          r.set_etag(f->etag);
          r.set_reason(f->reason);
          r.set_emergency_unjustified(f->emergency_unjustified);
          if (approve) {
            if (int code = PrepareApprove(ctx, *f, &r); code >= 0) return code;
          }
          return TaskAction(ctx, ctx.client()->reviews(), method, r);
        });
    app->add_option("TASK", f->task_id, "Task id")->required();
    app->add_option("--etag", f->etag,
                    "Fail with ABORTED if the task changed since read");
    if (m.reason) {
      CLI::Option* o = app->add_option("--reason", f->reason, "Why");
      if (m.reason_required) o->required();
    }
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
          if (ctx.client() == nullptr) return int{kExitUsage};
          Client& c = *ctx.client();
          v1::ListFundingReportsRequest r;
          r.set_task_id(*task);
          v1::ListFundingReportsResponse resp;
          grpc::Status s =
              c.Call(c.reviews(), &ReviewStub::ListFundingReports, r, &resp);
          if (!s.ok()) return ctx.Fail(s);
          std::vector<v1::FundingReport> items(resp.reports().begin(),
                                               resp.reports().end());
          PrintList<v1::FundingReport>(
              ctx, items, [](const v1::FundingReport& i) { return i.id(); },
              [&](std::ostream& out) {
                Table t({"ID", "TASK", "COMMUNITY", "BY", "TIME", "NOTE"});
                for (const auto& i : items) {
                  t.Add({i.id(), i.task_id(), i.community_id(), i.reported_by(),
                         TimeText(i.report_time()), Cut(i.note(), 50)});
                }
                t.Print(out);
              });
          return int{kExitOk};
        });
    app->add_option("--task", *task, "Only reports about this task");
  }
  {
    auto community = std::make_shared<std::string>();
    registry
        .Leaf(review, "complaints", "Complaints about un-admitted tasks",
              "taskgate review complaints",
              [community](Context& ctx) {
                if (ctx.client() == nullptr) return int{kExitUsage};
                Client& c = *ctx.client();
                v1::ListComplaintsRequest r;
                r.set_community_id(*community);
                v1::ListComplaintsResponse resp;
                grpc::Status s =
                    c.Call(c.reviews(), &ReviewStub::ListComplaints, r, &resp);
                if (!s.ok()) return ctx.Fail(s);
                std::vector<v1::Complaint> items(resp.complaints().begin(),
                                                 resp.complaints().end());
                PrintList<v1::Complaint>(
                    ctx, items, [](const v1::Complaint& i) { return i.id(); },
                    [&](std::ostream& out) {
                      Table t({"ID", "STATE", "COMMUNITY", "DEPARTMENT", "TASK",
                               "TITLE"});
                      for (const auto& i : items) {
                        t.Add({i.id(),
                               ShortEnum(v1::ComplaintState_Name(i.state()),
                                         "COMPLAINT_STATE_"),
                               i.community_id(), i.department_id(), i.task_id(),
                               Cut(i.title(), 40)});
                      }
                      t.Print(out);
                    });
                return int{kExitOk};
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
          Client& c = *ctx.client();
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
          grpc::Status s = c.Call(c.reviews(), &ReviewStub::UpdateComplaint,
                                  req, &complaint);
          if (!s.ok()) return ctx.Fail(s);
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
