#include "services/public_list.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/time/civil_time.h>
#include <absl/time/clock.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/field_violations.h"
#include "common/safe_text.h"
#include "common/status_macros.h"
#include "services/grpc_status.h"

namespace taskgate::services {
namespace {

constexpr char kJsonContentType[] = "application/json; charset=utf-8";
// The admitted list changes with decisions, which take days: a reader or a
// proxy may keep a page for a minute.
constexpr char kCacheOk[] = "public, max-age=60";
constexpr std::string_view kCommunitiesPath = "/public/v1/communities";
// The longest part of a target a log line or an error quotes.
constexpr size_t kMaxEchoedBytes = 200;

void ToProto(const workflow::PublicCommunity& c, v1::PublicCommunity* out) {
  out->set_id(c.id);
  out->set_name(c.name);
  out->set_street(c.street);
}

void ToProto(const workflow::PublicTask& t, v1::PublicTask* out) {
  out->set_id(t.id);
  out->set_title(t.title);
  out->set_department_id(t.department_id);
  out->set_department_name(t.department_name);
  out->set_start_date(absl::FormatCivilTime(t.start_date));
  out->set_end_date(absl::FormatCivilTime(t.end_date));
  out->set_hours_per_month(t.hours_per_month);
  out->set_funding_per_community_yuan(t.funding_per_community_yuan);
  out->set_funding_source(t.funding_source);
  out->set_provisional(t.provisional);
}

// ---- HTTP

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:  // a method other than GET, HEAD
      return 405;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

// The JSON of `message` in protobuf's JSON mapping, as the CLI prints it:
// proto field names, every field (a false `provisional` too).
std::string JsonOf(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  json.push_back('\n');
  return json;
}

HttpReply JsonReply(int status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = kJsonContentType;
  reply.headers = {{"X-Content-Type-Options", "nosniff"},
                   // Public data, read without credentials: any site may
                   // show it (no cookie or credential is ever involved).
                   {"Access-Control-Allow-Origin", "*"},
                   {"Cache-Control", status == 200 ? kCacheOk : "no-store"}};
  reply.body = std::move(body);
  return reply;
}

// {"error": {...}} for `status`, whose message and field violations say
// what to fix. INTERNAL and kin are logged and answered generically, as
// over gRPC (services/grpc_status.h).
HttpReply ErrorReply(const absl::Status& status) {
  const int http = HttpStatusOf(status.code());
  std::string message(status.message());
  if (http == 500) {
    spdlog::error("public list over HTTP: {}", EscapeForLog(status.ToString()));
    message = "internal error; the server's log has the details";
  }
  nlohmann::json error = {
      {"code", http},
      {"status", GrpcCodeName(static_cast<grpc::StatusCode>(status.code()))},
      {"message", message}};
  const std::vector<FieldViolation> violations = GetFieldViolations(status);
  if (!violations.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const FieldViolation& v : violations) {
      list.push_back({{"field", v.field}, {"description", v.description}});
    }
    error["field_violations"] = std::move(list);
  }
  // Invalid UTF-8 in a message (an echoed value) is replaced, not thrown.
  return JsonReply(
      http, nlohmann::json{{"error", std::move(error)}}.dump(
                -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                "\n");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes %XX escapes (and '+' as a space in a query value). Nullopt for a
// malformed escape.
std::optional<std::string> PercentDecode(std::string_view text,
                                         bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

absl::Status BadParameter(std::string_view field, std::string description) {
  return InvalidArgumentWithViolations(
      {{std::string(field), std::move(description)}});
}

// The paging parameters of a public list's query string; anything else is
// refused, naming it.
struct PageParameters {
  int32_t page_size = 0;
  std::string page_token;
};

absl::StatusOr<PageParameters> ParseQuery(std::string_view query) {
  PageParameters out;
  bool seen_size = false;
  bool seen_token = false;
  for (absl::string_view piece :
       absl::StrSplit(absl::string_view(query.data(), query.size()), '&',
                      absl::SkipEmpty())) {
    const std::string_view pair(piece.data(), piece.size());
    const size_t eq = pair.find('=');
    const std::optional<std::string> name =
        PercentDecode(pair.substr(0, eq), true);
    const std::optional<std::string> value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
        true);
    if (!name.has_value() || !value.has_value()) {
      return BadParameter("query",
                          "has a malformed %-escape; escape '%' as %25");
    }
    if (*name == "page_size" && !seen_size) {
      seen_size = true;
      if (!absl::SimpleAtoi(*value, &out.page_size)) {
        return BadParameter(
            "page_size",
            absl::StrCat("'", EchoValue(*value, 20),
                         "' is not a whole number; e.g. page_size=20"));
      }
    } else if (*name == "page_token" && !seen_token) {
      seen_token = true;
      out.page_token = *value;
    } else if (*name == "page_size" || *name == "page_token") {
      return BadParameter(*name, "is given twice; give it once");
    } else {
      return BadParameter(
          "query", absl::StrCat("'", EchoValue(*name, 40),
                                "' is not a parameter of the public list; use "
                                "page_size and page_token"));
    }
  }
  return out;
}

}  // namespace

PublicReads::PublicReads(workflow::PublicList& list, const Clock& clock,
                         Metrics& metrics, SourceLimiterOptions limits)
    : list_(list),
      metrics_(metrics),
      limiter_(clock, limits),
      retry_after_seconds_(
          std::max(1, (60 + limits.per_minute - 1) / limits.per_minute)) {}

absl::Status PublicReads::Admit(std::string_view via,
                                const std::string& source) {
  if (limiter_.Take(source)) return absl::OkStatus();
  // Counted, not logged and not audited: a flood of refused anonymous
  // reads must fill neither the server's log nor the record.
  metrics_.CountPublicRead(via, "RESOURCE_EXHAUSTED");
  return absl::ResourceExhaustedError(
      absl::StrCat("too many reads of the public list from ", source, "; wait ",
                   retry_after_seconds_,
                   " s and retry (the list changes rarely: keep "
                   "what you read for a minute)"));
}

void PublicReads::Done(std::string_view via, std::string_view what,
                       const std::string& source, const absl::Status& status,
                       absl::Duration latency) {
  const std::string code =
      GrpcCodeName(static_cast<grpc::StatusCode>(status.code()));
  metrics_.CountPublicRead(via, code);
  // The source's limit bounds these lines as it bounds the reads.
  spdlog::info(
      "public read via={} what={} source={} code={} latency_ms={:.2f}{}{}", via,
      EscapeForLog(std::string(what), kMaxEchoedBytes), EscapeForLog(source),
      code, absl::ToDoubleMilliseconds(latency), status.ok() ? "" : " error=",
      status.ok() || absl::IsInternal(status)
          ? std::string()
          : EscapeForLog(std::string(status.message()), kMaxEchoedBytes));
}

absl::Status PublicReads::ListCommunities(
    std::string_view via, const std::string& source,
    const v1::ListPublicCommunitiesRequest& request,
    v1::ListPublicCommunitiesResponse* response) {
  TASKGATE_RETURN_IF_ERROR(Admit(via, source));
  const absl::Time start = absl::Now();
  absl::Status status = [&]() -> absl::Status {
    TASKGATE_ASSIGN_OR_RETURN(
        workflow::Page<workflow::PublicCommunity> page,
        list_.ListCommunities({.page_size = request.page_size(),
                               .page_token = request.page_token()}));
    for (const workflow::PublicCommunity& c : page.items) {
      ToProto(c, response->add_communities());
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  }();
  Done(via, "communities", source, status, absl::Now() - start);
  return status;
}

absl::Status PublicReads::ListTasks(std::string_view via,
                                    const std::string& source,
                                    const v1::ListPublicTasksRequest& request,
                                    v1::ListPublicTasksResponse* response) {
  TASKGATE_RETURN_IF_ERROR(Admit(via, source));
  const absl::Time start = absl::Now();
  absl::Status status = [&]() -> absl::Status {
    TASKGATE_ASSIGN_OR_RETURN(
        workflow::PublicTaskPage page,
        list_.ListTasks(request.community_id(),
                        {.page_size = request.page_size(),
                         .page_token = request.page_token()}));
    ToProto(page.community, response->mutable_community());
    for (const workflow::PublicTask& t : page.tasks.items) {
      ToProto(t, response->add_tasks());
    }
    response->set_next_page_token(page.tasks.next_page_token);
    return absl::OkStatus();
  }();
  Done(via, absl::StrCat("tasks of ", request.community_id()), source, status,
       absl::Now() - start);
  return status;
}

HttpReply PublicReads::ServeHttp(const HttpRequestView& request) {
  try {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpReply reply = ErrorReply(absl::UnimplementedError(
          "the public list is read-only: use GET (or HEAD)"));
      reply.headers.emplace_back("Allow", "GET, HEAD");
      return reply;
    }
    const std::string_view target = request.target;
    const size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query = question == std::string_view::npos
                                       ? std::string_view()
                                       : target.substr(question + 1);
    // "/public/v1/communities" or "/public/v1/communities/{id}/tasks".
    std::optional<std::string> community;
    if (path != kCommunitiesPath) {
      // After "/public/v1/communities/": "{id}/tasks".
      const std::string_view rest =
          path.starts_with(kCommunitiesPath) &&
                  path.substr(kCommunitiesPath.size()).starts_with("/")
              ? path.substr(kCommunitiesPath.size() + 1)
              : std::string_view();
      const size_t slash = rest.find('/');
      if (rest.empty() || slash == 0 || slash == std::string_view::npos ||
          rest.substr(slash) != "/tasks") {
        return ErrorReply(absl::NotFoundError(
            absl::StrCat("no public list at ", EchoValue(path, kMaxEchoedBytes),
                         "; read GET /public/v1/communities, then GET "
                         "/public/v1/communities/{id}/tasks")));
      }
      community = PercentDecode(rest.substr(0, slash), false);
      if (!community.has_value()) {
        return ErrorReply(BadParameter(
            "community_id", "has a malformed %-escape; escape '%' as %25"));
      }
    }
    absl::StatusOr<PageParameters> page = ParseQuery(query);
    if (!page.ok()) return ErrorReply(page.status());

    absl::Status status;
    std::string body;
    if (!community.has_value()) {
      v1::ListPublicCommunitiesRequest r;
      r.set_page_size(page->page_size);
      r.set_page_token(page->page_token);
      v1::ListPublicCommunitiesResponse response;
      status = ListCommunities("http", request.source, r, &response);
      if (status.ok()) body = JsonOf(response);
    } else {
      v1::ListPublicTasksRequest r;
      r.set_community_id(*community);
      r.set_page_size(page->page_size);
      r.set_page_token(page->page_token);
      v1::ListPublicTasksResponse response;
      status = ListTasks("http", request.source, r, &response);
      if (status.ok()) body = JsonOf(response);
    }
    if (!status.ok()) {
      HttpReply reply = ErrorReply(status);
      if (absl::IsResourceExhausted(status)) {
        reply.headers.emplace_back("Retry-After",
                                   absl::StrCat(retry_after_seconds_));
      }
      return reply;
    }
    return JsonReply(200, std::move(body));
  } catch (const std::exception& e) {
    return ErrorReply(absl::InternalError(e.what()));
  }
}

}  // namespace taskgate::services
