// `taskgate community ...`: a community office's workload and voice.
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include "clients/cli.h"
#include "clients/printable.h"

namespace taskgate::clients::cli {
namespace {

using Stub = v1::CommunityService::Stub;

// The workload for people: load against capacity per month, then the
// assignments ("*": provisional).
void PrintWorkload(std::ostream& out, const v1::Workload& w) {
  out << "community: " << w.community().id() << " "
      << Printable(w.community().name()) << " ("
      << Printable(w.community().street()) << ")\n\nload per month:\n";
  Table months({"  MONTH", "LOAD H", "CAPACITY H", "USE"});
  for (const auto& m : w.months()) {
    const double use =
        m.capacity_hours() > 0 ? 100 * m.load_hours() / m.capacity_hours() : 0;
    months.Add({"  " + m.month(), absl::StrFormat("%.1f", m.load_hours()),
                absl::StrFormat("%.1f", m.capacity_hours()),
                absl::StrFormat("%.0f%%%s", use, use > 100 ? " OVER" : "")});
  }
  months.Print(out);
  out << "\nassignments:\n";
  Table t({"  TASK", "STATE", "DEPARTMENT", "TITLE", "HOURS/MONTH", "FUNDING",
           "DATES", "ACK"});
  for (const auto& a : w.assignments()) {
    const v1::Task& task = a.task();
    t.Add({"  " + task.id(),
           StateName(task.state()) + (a.provisional() ? "*" : ""),
           task.department_id(), Cut(task.spec().title(), 30),
           absl::StrCat(task.spec().hours_per_community_month()),
           absl::StrCat(task.spec().funding_per_community_yuan()),
           absl::StrCat(task.spec().start_date(), "..", task.spec().end_date()),
           a.acknowledged() ? "yes" : "no"});
  }
  t.Print(out);
}

}  // namespace

void AddCommunityCommands(CLI::App& root, Registry& registry) {
  CLI::App* group = Registry::Group(
      &root, "community",
      "Community office: workload, acknowledgements, funding, complaints",
      "taskgate community workload");
  {
    auto r = std::make_shared<v1::GetWorkloadRequest>();
    CLI::App* app = registry.Leaf(
        group, "workload",
        "Assignments reaching the community and its load against capacity "
        "per month",
        "taskgate community workload --from 2026-06 --to 2026-08",
        [r](Context& ctx) {
          v1::Workload w;
          if (int code =
                  ctx.Call(&Client::communities, &Stub::GetWorkload, *r, &w);
              code != kExitOk) {
            return code;
          }
          if (ctx.output() == Output::kJson) {
            ctx.PrintJson(w);
            return int{kExitOk};
          }
          if (ctx.output() == Output::kName) {
            for (const auto& a : w.assignments()) {
              ctx.out() << a.task().id() << "\n";
            }
            return int{kExitOk};
          }
          PrintWorkload(ctx.out(), w);
          return int{kExitOk};
        });
    app->add_option_function<std::string>(
        "--community", [r](const std::string& v) { r->set_community_id(v); },
        "Community id (default: your own)");
    app->add_option_function<std::string>(
        "--from", [r](const std::string& v) { r->set_from_month(v); },
        "First month YYYY-MM (default: this month)");
    app->add_option_function<std::string>(
        "--to", [r](const std::string& v) { r->set_to_month(v); },
        "Last month YYYY-MM (default: five months later)");
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, "ack", "Acknowledge an assignment (ACTIVE or PROVISIONAL)",
        "taskgate community ack t-123", [id](Context& ctx) {
          v1::AcknowledgeAssignmentRequest r;
          r.set_request_id(NewRequestId());
          r.set_task_id(*id);
          v1::AssignmentAcknowledgement a;
          if (int code = ctx.Call(&Client::communities,
                                  &Stub::AcknowledgeAssignment, r, &a);
              code != kExitOk) {
            return code;
          }
          return PrintResource(ctx, a, a.task_id(), [&](std::ostream& out) {
            out << "acknowledged task " << a.task_id() << " for "
                << a.community_id() << " at " << TimeText(a.acknowledge_time())
                << "\n";
          });
        });
    app->add_option("TASK", *id, "Task id")->required();
  }
  {
    auto r = std::make_shared<v1::ReportMissingFundingRequest>();
    CLI::App* app = registry.Leaf(
        group, "report-funding",
        "Report that promised funding did not arrive (费随事转)",
        "taskgate community report-funding t-123 --note '承诺每社区2000元，"
        "至今未到账'",
        [r](Context& ctx) {
          v1::ReportMissingFundingRequest req = *r;
          req.set_request_id(NewRequestId());
          v1::FundingReport report;
          if (int code = ctx.Call(&Client::communities,
                                  &Stub::ReportMissingFunding, req, &report);
              code != kExitOk) {
            return code;
          }
          return PrintResource(
              ctx, report, report.id(), [&](std::ostream& out) {
                out << "funding report " << report.id() << " filed for task "
                    << report.task_id() << " by " << report.community_id()
                    << "; the reviewers see it\n";
              });
        });
    app->add_option_function<std::string>(
           "TASK", [r](const std::string& v) { r->set_task_id(v); }, "Task id")
        ->required();
    app->add_option_function<std::string>(
           "--note", [r](const std::string& v) { r->set_note(v); },
           "What was promised and what arrived")
        ->required();
  }
  {
    auto r = std::make_shared<v1::Complaint>();
    CLI::App* app = registry.Leaf(
        group, "complain",
        "Complain that a task reached you without admission "
        "(社区有权拒绝未经准入事项)",
        "taskgate community complain --title '要求社区报送创建台账' "
        "--description '未经准入，口头布置' --department housing",
        [r](Context& ctx) {
          v1::FileComplaintRequest req;
          req.set_request_id(NewRequestId());
          *req.mutable_complaint() = *r;
          v1::Complaint complaint;
          if (int code = ctx.Call(&Client::communities, &Stub::FileComplaint,
                                  req, &complaint);
              code != kExitOk) {
            return code;
          }
          return PrintComplaint(ctx, complaint,
                                "; filed, the reviewers handle it");
        });
    app->add_option_function<std::string>(
           "--title", [r](const std::string& v) { r->set_title(v); },
           "What was pushed")
        ->required();
    app->add_option_function<std::string>(
           "--description",
           [r](const std::string& v) { r->set_description(v); }, "How and when")
        ->required();
    app->add_option_function<std::string>(
        "--department", [r](const std::string& v) { r->set_department_id(v); },
        "The department that pushed it, if known");
    app->add_option_function<std::string>(
        "--task", [r](const std::string& v) { r->set_task_id(v); },
        "The task, if it is in TaskGate");
  }
}

}  // namespace taskgate::clients::cli
