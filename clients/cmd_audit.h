// What the files of `taskgate audit ...` share: cmd_audit.cc holds the
// group and the queries of the record (events, history, tree-head, stats),
// cmd_audit_export.cc the export and its offline `verify`, and
// cmd_audit_proof.cc the trust anchors (pubkey, checkpoint, checkpoints)
// and the proofs checked against them (proof, consistency). Internal to
// the CLI; single-threaded, like the CLI.
#ifndef TASKGATE_CLIENTS_CMD_AUDIT_H_
#define TASKGATE_CLIENTS_CMD_AUDIT_H_

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include "clients/cli.h"
#include "clients/client.h"
#include "taskgate/v1/audit_service.pb.h"

namespace taskgate::clients::cli {

// The filters shared by `audit events` and the csv/json forms of `audit
// export`.
struct EventFilters {
  std::string task, department, community, actor, action, entity_type,
      entity_id, state, since, until;

  // True when a filter other than the time range is set: a bundle holds
  // every event of its range, so it takes none of these.
  bool narrows() const;
};
void AddEventFilters(CLI::App* app, EventFilters& filters);

// Sets `*field` from `text` (YYYY-MM-DD or RFC 3339) when given; the parse
// error (INVALID_ARGUMENT) otherwise.
absl::Status SetTime(const std::string& text,
                     google::protobuf::Timestamp* field);

// The ListEvents request of the filters; INVALID_ARGUMENT for a bad time.
absl::StatusOr<v1::ListEventsRequest> EventsRequest(
    const EventFilters& filters);

// Every event matching `request`, 500 a call.
grpc::Status FetchAllEvents(Client& client,
                            const v1::ListEventsRequest& request,
                            std::vector<v1::AuditEvent>* events);

// The events as csv (RFC 4180, CRLF): seq, time in UTC, actor, role,
// action, entity, states, reason, request, department, communities and
// details joined by ';', leaf hash. A field starting with '=', '+', '-',
// '@', a tab or a CR is written with a leading "'", so that no spreadsheet
// runs it as a formula.
std::string EventsCsv(const std::vector<v1::AuditEvent>& events);

// Writes `content` to `path`, or to the command's output for "-".
// INVALID_ARGUMENT when the file cannot be written.
absl::Status WriteOut(Context& ctx, const std::string& path,
                      const std::string& content);

// The commands of the other files, each added to `group` in the order
// `AddAuditCommands` lists them.
void AddAuditExportCommand(CLI::App* group, Registry& registry);
void AddAuditVerifyCommand(CLI::App* group, Registry& registry);
// `audit state`: an entity's state rebuilt offline from a bundle.
void AddAuditStateCommand(CLI::App* group, Registry& registry);
void AddAuditCheckpointCommands(CLI::App* group, Registry& registry);
void AddAuditProofCommands(CLI::App* group, Registry& registry);

}  // namespace taskgate::clients::cli

#endif  // TASKGATE_CLIENTS_CMD_AUDIT_H_
