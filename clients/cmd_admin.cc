// `taskgate admin ...`: the district system operator's lists, communities,
// principals and credentials.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "clients/cli.h"
#include "clients/list_command.h"
#include "clients/printable.h"

namespace taskgate::clients::cli {
namespace {

using Stub = v1::AdminService::Stub;

void PrintPrincipalTable(std::ostream& out,
                         const std::vector<v1::Principal>& items) {
  Table t({"ID", "ROLE", "NAME", "SCOPE", "DISABLED"});
  for (const auto& p : items) {
    std::string scope = p.department_id() + p.community_id();
    if (!p.home_department_id().empty()) {
      scope = "home " + p.home_department_id();
    }
    t.Add({p.id(), RoleName(p.role()), p.display_name(), scope,
           p.disabled() ? "yes" : ""});
  }
  t.Print(out);
}

void PrintCommunityTable(std::ostream& out,
                         const std::vector<v1::Community>& items) {
  Table t({"ID", "NAME", "STREET", "STAFF", "CAPACITY H", "BASELINE H"});
  for (const auto& i : items) {
    t.Add({i.id(), i.name(), i.street(), absl::StrCat(i.staff_count()),
           absl::StrCat(i.monthly_capacity_hours()),
           absl::StrCat(i.baseline_hours())});
  }
  t.Print(out);
}

void PrintTokenTable(std::ostream& out,
                     const std::vector<v1::Credential>& items) {
  Table t(
      {"ID", "PRINCIPAL", "CERTIFICATE", "DESCRIPTION", "CREATED", "REVOKED"});
  for (const auto& i : items) {
    t.Add({i.id(), i.principal_id(), i.certificate_identity(), i.description(),
           TimeText(i.create_time()),
           i.revoked() ? TimeText(i.revoke_time()) : ""});
  }
  t.Print(out);
}

constexpr ListView<v1::Principal> kPrincipalList = {
    [](const v1::Principal& p) { return p.id(); }, &PrintPrincipalTable};
constexpr ListView<v1::Community> kCommunityList = {
    [](const v1::Community& c) { return c.id(); }, &PrintCommunityTable};
constexpr ListView<v1::Credential> kTokenList = {
    [](const v1::Credential& c) { return c.id(); }, &PrintTokenTable};

// One principal changed: as JSON, or as a one-row list.
int PrintPrincipal(Context& ctx, const v1::Principal& principal) {
  if (ctx.output() == Output::kJson) {
    ctx.PrintJson(principal);
  } else {
    PrintRows(ctx, {principal}, kPrincipalList);
  }
  return kExitOk;
}

// Reads repeated BUCKET=N arguments of `flag` into `out`; an empty string,
// or the usage message naming the bad argument.
std::string ParseBucketValues(
    const std::vector<std::string>& args, std::string_view flag,
    google::protobuf::Map<std::string, int32_t>* out) {
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    int32_t n = 0;
    if (eq == std::string::npos || !absl::SimpleAtoi(arg.substr(eq + 1), &n)) {
      return absl::StrCat(std::string(flag), " ", arg,
                          ": write BUCKET=N, e.g. signboard=2");
    }
    (*out)[arg.substr(0, eq)] = n;
  }
  return "";
}

void AddCatalog(CLI::App* admin, Registry& registry) {
  CLI::App* group = Registry::Group(
      admin, "catalog", "The published lists (duty, assist, negative)",
      "taskgate admin catalog show");
  {
    struct Flags {
      std::string file, note;
      std::vector<std::string> limits;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "publish",
        "Publish a new catalog version: the whole list from a JSON or TOML "
        "file ({\"note\": ..., \"items\": [{code, kind, title, legal_basis, "
        "keywords}], \"controlled_limits\": {bucket: n}}; kind "
        "duty|assist|negative). Controlled limits (受控事项上限) not given "
        "keep "
        "the previous version's",
        "taskgate admin catalog publish catalog.toml --note '2026 lists' "
        "--limit signboard=1",
        [f](Context& ctx) {
          v1::PublishCatalogRequest r;
          if (absl::Status read = ReadMessageFile(f->file, &r); !read.ok()) {
            return ctx.Usage(std::string(read.message()));
          }
          if (!f->note.empty()) r.set_note(f->note);
          if (std::string bad = ParseBucketValues(
                  f->limits, "--limit", r.mutable_controlled_limits());
              !bad.empty()) {
            return ctx.Usage(bad);
          }
          r.set_request_id(NewRequestId());
          v1::CatalogVersion v;
          if (int code = ctx.Call(&Client::admin, &Stub::PublishCatalog, r, &v);
              code != kExitOk) {
            return code;
          }
          return PrintResource(
              ctx, v, absl::StrCat(v.version()), [&](std::ostream& out) {
                out << "published catalog version " << v.version() << " ("
                    << v.items_size() << " items)\n";
              });
        });
    app->add_option("FILE", f->file, "Catalog file (.json or .toml)")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("--note", f->note, "Why this version (overrides the file)");
    app->add_option("--limit", f->limits,
                    "BUCKET=N controlled units per community, e.g. "
                    "signboard=1 (repeat; overrides the file): work_body, "
                    "forms_and_ledgers, creation_campaign, inspection, "
                    "signboard, certificate, training");
  }
  {
    auto version = std::make_shared<int64_t>(0);
    CLI::App* app = registry.Leaf(
        group, "show", "A catalog version (default: the latest)",
        "taskgate admin catalog show --version 2", [version](Context& ctx) {
          v1::GetCatalogRequest r;
          r.set_version(*version);
          v1::CatalogVersion v;
          if (int code = ctx.Call(&Client::admin, &Stub::GetCatalog, r, &v);
              code != kExitOk) {
            return code;
          }
          if (ctx.output() == Output::kJson) {
            ctx.PrintJson(v);
            return int{kExitOk};
          }
          if (ctx.output() == Output::kName) {
            for (const auto& i : v.items()) ctx.out() << i.code() << "\n";
            return int{kExitOk};
          }
          ctx.out() << "catalog version " << v.version() << ", published "
                    << TimeText(v.publish_time()) << " by " << v.published_by()
                    << ": " << v.note() << "\n";
          Table t({"CODE", "LIST", "TITLE", "LEGAL BASIS / KEYWORDS"});
          for (const auto& i : v.items()) {
            t.Add({i.code(),
                   absl::AsciiStrToLower(
                       ShortEnum(v1::ListKind_Name(i.kind()), "LIST_KIND_")),
                   Cut(i.title(), 30),
                   Cut(i.keywords().empty() ? i.legal_basis()
                                            : Joined(i.keywords()),
                       40)});
          }
          t.Print(ctx.out());
          std::vector<std::string> limits;
          for (const auto& [bucket, limit] :
               std::map<std::string, int32_t>(v.controlled_limits().begin(),
                                              v.controlled_limits().end())) {
            limits.push_back(absl::StrCat(bucket, "=", limit));
          }
          ctx.out() << "controlled limits per community (受控事项上限): "
                    << (limits.empty() ? "the server's initial limits"
                                       : absl::StrJoin(limits, ", "))
                    << "\n";
          return int{kExitOk};
        });
    app->add_option("--version", *version, "Version number (0: latest)");
  }
}

void AddCommunities(CLI::App* admin, Registry& registry) {
  CLI::App* group =
      Registry::Group(admin, "communities", "Communities and their capacity",
                      "taskgate admin communities list");
  {
    struct Flags {
      v1::Community c;
      std::vector<std::string> units;
      std::string etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "put",
        "Create a community, or update it (its current etag is read first "
        "unless --etag is given)",
        "taskgate admin communities put --id hp-chunhui --name 春晖社区 "
        "--street-id heping --staff 6 --baseline-hours 60 --baseline-unit "
        "signboard=2",
        [f](Context& ctx) {
          if (f->c.street_id().empty() && f->c.street().empty()) {
            return ctx.Usage("give the community's street: --street-id ID");
          }
          if (ctx.client() == nullptr) return int{kExitUsage};
          v1::PutCommunityRequest r;
          r.set_request_id(NewRequestId());
          *r.mutable_community() = f->c;
          if (std::string bad = ParseBucketValues(
                  f->units, "--baseline-unit",
                  r.mutable_community()->mutable_baseline_units());
              !bad.empty()) {
            return ctx.Usage(bad);
          }
          std::string etag = f->etag;
          if (etag.empty()) {
            v1::ListCommunitiesResponse all;
            if (int code = ctx.Call(&Client::admin, &Stub::ListCommunities,
                                    v1::ListCommunitiesRequest(), &all);
                code != kExitOk) {
              return code;
            }
            for (const auto& existing : all.communities()) {
              if (existing.id() == f->c.id()) etag = existing.etag();
            }
          }
          r.mutable_community()->set_etag(etag);
          v1::Community put;
          if (int code = ctx.Call(&Client::admin, &Stub::PutCommunity, r, &put);
              code != kExitOk) {
            return code;
          }
          return PrintResource(ctx, put, put.id(), [&](std::ostream& out) {
            out << (etag.empty() ? "created" : "updated") << " community "
                << put.id() << " (" << Printable(put.name()) << ", "
                << Printable(put.street()) << "): capacity "
                << put.monthly_capacity_hours() << " h/month, baseline "
                << put.baseline_hours() << " h\n";
          });
        });
    v1::Community* c = &f->c;
    app->add_option_function<std::string>(
           "--id", [c](const std::string& v) { c->set_id(v); }, "Community id")
        ->required();
    app->add_option_function<std::string>(
           "--name", [c](const std::string& v) { c->set_name(v); }, "Name")
        ->required();
    app->add_option_function<std::string>(
        "--street-id", [c](const std::string& v) { c->set_street_id(v); },
        "Its street (街道) by id (see taskgate admin street list)");
    app->add_option_function<std::string>(
        "--street", [c](const std::string& v) { c->set_street(v); },
        "Its street by exact name (older form; prefer --street-id)");
    app->add_option_function<int>(
        "--staff", [c](int v) { c->set_staff_count(v); }, "Staff count");
    app->add_option_function<double>(
        "--capacity", [c](double v) { c->set_monthly_capacity_hours(v); },
        "Monthly capacity in hours (default: staff x 20)");
    app->add_option_function<double>(
        "--baseline-hours", [c](double v) { c->set_baseline_hours(v); },
        "Load in force before TaskGate, hours per month");
    app->add_option("--baseline-unit", f->units,
                    "BUCKET=N units in force, e.g. signboard=2 (repeat)");
    app->add_option("--etag", f->etag, "Expected etag (default: current)");
  }
  {
    auto street = std::make_shared<std::string>();
    auto street_id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, "list", "Communities with capacity and baseline",
        "taskgate admin communities list --street-id heping",
        [street, street_id](Context& ctx) {
          v1::ListCommunitiesRequest r;
          r.set_street(*street);
          r.set_street_id(*street_id);
          return RunList(ctx, &Client::admin, &Stub::ListCommunities, r,
                         &v1::ListCommunitiesResponse::communities,
                         kCommunityList);
        });
    app->add_option("--street-id", *street_id,
                    "Only the communities of this street (by id)");
    app->add_option("--street", *street,
                    "Only the communities of the street named exactly this");
  }
}

// Departments (职能部门) and streets (街道) are the same small resource
// {id, name, etag}; `Kind` names the messages and methods of one of them.
template <typename Resource, typename PutRequest, typename GetRequest,
          typename ListRequest, typename ListResponse>
struct NamedKind {
  const char* group;    // "department"
  const char* title;    // "Departments (职能部门)"
  const char* example;  // an id and a name for the examples
  RpcMethod<Stub, PutRequest, Resource> put;
  RpcMethod<Stub, GetRequest, Resource> get;
  RpcMethod<Stub, ListRequest, ListResponse> list;
  RowsOf<ListResponse, Resource> rows;
  Resource* (PutRequest::*mutable_resource)();
};

template <typename Resource>
void PrintNamedTable(std::ostream& out, const std::vector<Resource>& items) {
  Table t({"ID", "NAME"});
  for (const auto& i : items) t.Add({i.id(), i.name()});
  t.Print(out);
}

template <typename Resource, typename PutRequest, typename GetRequest,
          typename ListRequest, typename ListResponse>
void AddNamed(CLI::App* admin, Registry& registry,
              const NamedKind<Resource, PutRequest, GetRequest, ListRequest,
                              ListResponse>& kind) {
  static constexpr ListView<Resource> kView = {
      [](const Resource& r) { return r.id(); }, &PrintNamedTable<Resource>};
  const std::string g = kind.group;
  CLI::App* group = Registry::Group(
      admin, g, kind.title, absl::StrCat("taskgate admin ", g, " list"));
  {
    struct Flags {
      std::string id, name, etag;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "put",
        absl::StrCat("Create a ", g,
                     " (admin only), or rename it (its "
                     "current etag is read first unless --etag is given)"),
        absl::StrCat("taskgate admin ", g, " put ", kind.example),
        [f, kind, g](Context& ctx) {
          if (ctx.client() == nullptr) return int{kExitUsage};
          std::string etag = f->etag;
          if (etag.empty()) {
            GetRequest get;
            get.set_id(f->id);
            Resource existing;
            grpc::Status read = ctx.client()->Call(ctx.client()->admin(),
                                                   kind.get, get, &existing);
            if (read.ok()) {
              etag = existing.etag();
            } else if (read.error_code() != grpc::StatusCode::NOT_FOUND) {
              return ctx.Fail(read);
            }
          }
          PutRequest r;
          r.set_request_id(NewRequestId());
          Resource* resource = (r.*kind.mutable_resource)();
          resource->set_id(f->id);
          resource->set_name(f->name);
          resource->set_etag(etag);
          Resource put;
          if (int code = ctx.Call(&Client::admin, kind.put, r, &put);
              code != kExitOk) {
            return code;
          }
          return PrintResource(ctx, put, put.id(), [&](std::ostream& out) {
            out << (etag.empty() ? "created " : "updated ") << g << " "
                << put.id() << " (" << Printable(put.name()) << ")\n";
          });
        });
    app->add_option("ID", f->id, absl::StrCat("The ", g, "'s id"))->required();
    app->add_option("NAME", f->name, "Its name, one line")->required();
    app->add_option("--etag", f->etag, "Expected etag (default: current)");
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, "get", absl::StrCat("One ", g, " (every role)"),
        absl::StrCat("taskgate admin ", g, " get ",
                     std::string(kind.example)
                         .substr(0, std::string(kind.example).find(' '))),
        [id, kind](Context& ctx) {
          GetRequest r;
          r.set_id(*id);
          Resource got;
          if (int code = ctx.Call(&Client::admin, kind.get, r, &got);
              code != kExitOk) {
            return code;
          }
          if (ctx.output() == Output::kJson) {
            ctx.PrintJson(got);
          } else {
            PrintRows(ctx, {got}, kView);
          }
          return int{kExitOk};
        });
    app->add_option("ID", *id, "Id")->required();
  }
  registry.Leaf(group, "list", absl::StrCat("Every ", g, " (every role)"),
                absl::StrCat("taskgate admin ", g, " list --output json"),
                [kind](Context& ctx) {
                  return RunList(ctx, &Client::admin, kind.list, ListRequest(),
                                 kind.rows, kView);
                });
}

void AddDepartmentsAndStreets(CLI::App* admin, Registry& registry) {
  AddNamed(
      admin, registry,
      NamedKind<v1::Department, v1::PutDepartmentRequest,
                v1::GetDepartmentRequest, v1::ListDepartmentsRequest,
                v1::ListDepartmentsResponse>{
          "department", "Requesting departments (职能部门) by id",
          "civil-affairs 区民政局", &Stub::PutDepartment, &Stub::GetDepartment,
          &Stub::ListDepartments, &v1::ListDepartmentsResponse::departments,
          &v1::PutDepartmentRequest::mutable_department});
  AddNamed(admin, registry,
           NamedKind<v1::Street, v1::PutStreetRequest, v1::GetStreetRequest,
                     v1::ListStreetsRequest, v1::ListStreetsResponse>{
               "street", "Streets (街道) by id; a community belongs to one",
               "heping 和平街道", &Stub::PutStreet, &Stub::GetStreet,
               &Stub::ListStreets, &v1::ListStreetsResponse::streets,
               &v1::PutStreetRequest::mutable_street});
}

void AddPrincipals(CLI::App* admin, Registry& registry) {
  CLI::App* group = Registry::Group(
      admin, "principals", "Who may call TaskGate, with role and scope",
      "taskgate admin principals list");
  {
    struct Flags {
      v1::Principal p;
      std::string role;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* app = registry.Leaf(
        group, "create",
        "Create a principal (then issue it a token with admin tokens issue)",
        "taskgate admin principals create --id clerk-civil --role department "
        "--department civil-affairs --name '区民政局 经办人'",
        [f](Context& ctx) {
          v1::CreatePrincipalRequest r;
          *r.mutable_principal() = f->p;
          v1::Role role;
          if (!v1::Role_Parse("ROLE_" + absl::AsciiStrToUpper(f->role),
                              &role)) {
            return ctx.Usage("--role " + f->role + ": unknown role");
          }
          r.mutable_principal()->set_role(role);
          r.set_request_id(NewRequestId());
          v1::Principal created;
          if (int code =
                  ctx.Call(&Client::admin, &Stub::CreatePrincipal, r, &created);
              code != kExitOk) {
            return code;
          }
          return PrintPrincipal(ctx, created);
        });
    v1::Principal* p = &f->p;
    app->add_option_function<std::string>(
           "--id", [p](const std::string& v) { p->set_id(v); }, "Principal id")
        ->required();
    app->add_option("--role", f->role, "Role")
        ->required()
        ->check(CLI::IsMember(
            {"department", "reviewer", "community", "auditor", "admin"}));
    app->add_option_function<std::string>(
        "--name", [p](const std::string& v) { p->set_display_name(v); },
        "Display name");
    app->add_option_function<std::string>(
        "--department", [p](const std::string& v) { p->set_department_id(v); },
        "department role: the department it acts for");
    app->add_option_function<std::string>(
        "--community", [p](const std::string& v) { p->set_community_id(v); },
        "community role: the community it acts for");
    app->add_option_function<std::string>(
        "--home-department",
        [p](const std::string& v) { p->set_home_department_id(v); },
        "reviewer role: its own department, whose tasks it may not decide");
  }
  registry.Leaf(group, "list", "Every principal",
                "taskgate admin principals list", [](Context& ctx) {
                  return RunList(ctx, &Client::admin, &Stub::ListPrincipals,
                                 v1::ListPrincipalsRequest(),
                                 &v1::ListPrincipalsResponse::principals,
                                 kPrincipalList);
                });
  for (const bool disable : {true, false}) {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, disable ? "disable" : "enable",
        disable ? "Disable a principal: its tokens stop working"
                : "Re-enable a disabled principal",
        absl::StrCat("taskgate admin principals ",
                     disable ? "disable" : "enable", " clerk-civil"),
        [id, disable](Context& ctx) {
          v1::ListPrincipalsResponse all;
          if (int code = ctx.Call(&Client::admin, &Stub::ListPrincipals,
                                  v1::ListPrincipalsRequest(), &all);
              code != kExitOk) {
            return code;
          }
          v1::SetPrincipalDisabledRequest r;
          r.set_request_id(NewRequestId());
          r.set_principal_id(*id);
          r.set_disabled(disable);
          for (const auto& p : all.principals()) {
            if (p.id() == *id) r.set_etag(p.etag());
          }
          v1::Principal changed;
          if (int code = ctx.Call(&Client::admin, &Stub::SetPrincipalDisabled,
                                  r, &changed);
              code != kExitOk) {
            return code;
          }
          return PrintPrincipal(ctx, changed);
        });
    app->add_option("PRINCIPAL", *id, "Principal id")->required();
  }
}

void AddTokens(CLI::App* admin, Registry& registry) {
  CLI::App* group = Registry::Group(admin, "tokens", "Bearer tokens",
                                    "taskgate admin tokens list");
  {
    auto r = std::make_shared<v1::IssueTokenRequest>();
    CLI::App* app = registry.Leaf(
        group, "issue",
        "Issue a bearer token; the secret is printed once (output name: the "
        "secret alone)",
        "taskgate admin tokens issue clerk-civil --description 'laptop'",
        [r](Context& ctx) {
          v1::IssueTokenRequest req = *r;
          req.set_request_id(NewRequestId());
          v1::IssueTokenResponse resp;
          if (int code =
                  ctx.Call(&Client::admin, &Stub::IssueToken, req, &resp);
              code != kExitOk) {
            return code;
          }
          return PrintResource(ctx, resp, resp.token(), [&](std::ostream& out) {
            out << "token: " << resp.token() << "\n"
                << "id: " << resp.credential().id() << "\n"
                << "principal: " << resp.credential().principal_id()
                << "\n(the secret is shown only now; keep it safe)\n";
          });
        });
    app->add_option_function<std::string>(
           "PRINCIPAL", [r](const std::string& v) { r->set_principal_id(v); },
           "Principal id")
        ->required();
    app->add_option_function<std::string>(
        "--description", [r](const std::string& v) { r->set_description(v); },
        "What the token is for");
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, "revoke",
        "Revoke a token by its id (not its secret), or a certificate "
        "binding by its id",
        "taskgate admin tokens revoke tok-1a2b", [id](Context& ctx) {
          v1::RevokeTokenRequest r;
          r.set_request_id(NewRequestId());
          r.set_token_id(*id);
          v1::Credential out;
          if (int code = ctx.Call(&Client::admin, &Stub::RevokeToken, r, &out);
              code != kExitOk) {
            return code;
          }
          if (ctx.output() == Output::kJson) {
            ctx.PrintJson(out);
          } else {
            ctx.out() << "revoked "
                      << (out.certificate_identity().empty() ? "token "
                                                             : "binding ")
                      << out.id() << " of " << out.principal_id() << "\n";
          }
          return int{kExitOk};
        });
    app->add_option("TOKEN_ID", *id, "Token id")->required();
  }
  {
    auto principal = std::make_shared<std::string>();
    CLI::App* app = registry.Leaf(
        group, "list",
        "Token records (never the secrets) and certificate bindings",
        "taskgate admin tokens list --principal clerk-civil",
        [principal](Context& ctx) {
          v1::ListTokensRequest r;
          r.set_principal_id(*principal);
          return RunList(ctx, &Client::admin, &Stub::ListTokens, r,
                         &v1::ListTokensResponse::credentials, kTokenList);
        });
    app->add_option("--principal", *principal, "Only this principal's");
  }
}

void AddCertificates(CLI::App* admin, Registry& registry) {
  CLI::App* group = Registry::Group(
      admin, "certificates",
      "Client-certificate identities bound to principals (mutual TLS); "
      "revoke and list them with 'admin tokens'",
      "taskgate admin certificates bind reviewer-1 "
      "'uri:spiffe://district/reviewer-1'");
  auto r = std::make_shared<v1::BindCertificateRequest>();
  CLI::App* app = registry.Leaf(
      group, "bind",
      "Bind a certificate identity to a principal: 'uri:<SAN URI>', "
      "'dns:<SAN DNS name>', 'email:<SAN email>' or 'subject:<subject DN, "
      "RFC 2253>' (output name: the binding's id)",
      "taskgate admin certificates bind reviewer-1 "
      "'subject:CN=reviewer-1,O=District'",
      [r](Context& ctx) {
        v1::BindCertificateRequest req = *r;
        req.set_request_id(NewRequestId());
        v1::Credential out;
        if (int code =
                ctx.Call(&Client::admin, &Stub::BindCertificate, req, &out);
            code != kExitOk) {
          return code;
        }
        return PrintResource(ctx, out, out.id(), [&](std::ostream& o) {
          o << "bound " << out.certificate_identity() << " to "
            << out.principal_id() << " as " << out.id() << "\n";
        });
      });
  app->add_option_function<std::string>(
         "PRINCIPAL", [r](const std::string& v) { r->set_principal_id(v); },
         "Principal id")
      ->required();
  app->add_option_function<std::string>(
         "IDENTITY",
         [r](const std::string& v) { r->set_certificate_identity(v); },
         "Certificate identity, e.g. 'uri:spiffe://district/reviewer-1'")
      ->required();
  app->add_option_function<std::string>(
      "--description", [r](const std::string& v) { r->set_description(v); },
      "Whose certificate it is");
}

}  // namespace

void AddAdminCommands(CLI::App& root, Registry& registry) {
  CLI::App* admin = Registry::Group(
      &root, "admin",
      "District operator: catalog, working-day calendar, departments, "
      "streets, communities, principals, tokens, certificates",
      "taskgate admin catalog show");
  AddCatalog(admin, registry);
  AddCalendarCommands(admin, registry);
  AddDepartmentsAndStreets(admin, registry);
  AddCommunities(admin, registry);
  AddPrincipals(admin, registry);
  AddTokens(admin, registry);
  AddCertificates(admin, registry);
}

}  // namespace taskgate::clients::cli
