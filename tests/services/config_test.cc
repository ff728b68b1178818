#include "services/config.h"

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_replace.h>
#include <absl/strings/str_split.h>
#include <absl/time/civil_time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml.hpp>

#include "domain/types.h"
#include "tests/testing/status_matchers.h"

namespace taskgate::services {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteToml(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

std::string ExampleFile() {
  return std::string(TASKGATE_SOURCE_DIR) + "/deploy/taskgate.example.toml";
}

// Parses `args` (without the program name) with the flags on `app`;
// throws CLI::ParseError as `taskgated` would exit on it.
void Parse(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"taskgated"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

// What `taskgated` makes of `args`: the defaults, then the TOML file at
// `config_path` ("" for none), then the flags.
absl::StatusOr<ServerConfig> ParseFlags(const std::vector<std::string>& args,
                                        const std::string& config_path = "") {
  CLI::App app;
  ServerFlags flags(app);
  Parse(app, args);
  return flags.Resolve(config_path);
}

std::string KeyName(const AnyConfigKey& key) {
  return std::visit([](const auto& k) { return std::string(k.name); }, key);
}

TEST(ServerConfig, DefaultsAreTheDocumentedOnes) {
  const ServerConfig c;
  EXPECT_EQ(c.grpc_address, "127.0.0.1:7470");
  EXPECT_EQ(c.http_address, "127.0.0.1:7471");
  EXPECT_EQ(c.http_max_connections, 256);
  EXPECT_EQ(c.max_message_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(c.tls_cert_file, "");
  EXPECT_EQ(c.tls_key_file, "");
  EXPECT_EQ(c.tls_client_ca_file, "");
  EXPECT_FALSE(c.allow_insecure_remote);
  EXPECT_EQ(c.db_path, "./var/taskgate.db");
  EXPECT_EQ(c.synchronous, "FULL");
  EXPECT_EQ(c.district_id, "default");
  EXPECT_EQ(c.district_name, "Default district");
  EXPECT_EQ(c.time_zone, "Asia/Shanghai");
  EXPECT_TRUE(c.holidays.empty());
  EXPECT_EQ(c.review_working_days, 15);
  EXPECT_EQ(c.provisional_working_days, 3);
  EXPECT_FALSE(c.release_on_overdue);
  EXPECT_EQ(c.lead_time_days, 30);
  EXPECT_FALSE(c.capacity_blocks);
  EXPECT_EQ(c.two_approval_hours, 120);
  EXPECT_EQ(c.controlled_limits, (std::map<std::string, int>{
                                     {"certificate", 5},
                                     {"creation_campaign", 2},
                                     {"forms_and_ledgers", 10},
                                     {"inspection", 4},
                                     {"signboard", 0},
                                     {"training", 4},
                                     {"work_body", 1},
                                 }));
  EXPECT_EQ(c.admin_token_file, "./var/admin.token");
  EXPECT_FALSE(c.demo);
  EXPECT_EQ(c.tick_interval_seconds, 60);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.handle_signals);
  EXPECT_THAT(ValidateServerConfig(c), IsOk());
}

TEST(ServerConfig, ExampleFileEqualsTheDefaults) {
  ASSERT_OK_AND_ASSIGN(ServerConfig loaded, LoadServerConfig(ExampleFile()));
  EXPECT_TRUE(loaded == ServerConfig());
}

// The example file is the table in prose: every key of the table is written
// out with its default (every bucket, for the map), and nothing else is.
TEST(ServerConfig, ExampleFileListsEveryKeyOfTheTableWithItsDefault) {
  const toml::value file = toml::parse(ExampleFile());
  ASSERT_TRUE(file.is_table());
  std::set<std::string> table_keys;
  for (const AnyConfigKey& key : ServerConfigKeys()) {
    table_keys.insert(KeyName(key));
  }
  for (const auto& [name, value] : file.as_table()) {
    EXPECT_TRUE(table_keys.contains(name))
        << "the example file has '" << name << "', which the table lacks";
  }
  ASSERT_OK_AND_ASSIGN(ServerConfig loaded, LoadServerConfig(ExampleFile()));
  const ServerConfig defaults;
  for (const AnyConfigKey& any : ServerConfigKeys()) {
    std::visit(
        [&](const auto& key) {
          const std::string name(key.name);
          ASSERT_TRUE(file.contains(name))
              << name << " is missing from the example file";
          EXPECT_TRUE(loaded.*key.field == defaults.*key.field)
              << name << " differs from its default in the example file";
          using T = std::decay_t<decltype(defaults.*key.field)>;
          if constexpr (std::is_same_v<T, std::map<std::string, int>>) {
            for (const auto& [entry, value] : defaults.*key.field) {
              EXPECT_TRUE(file.at(name).contains(entry))
                  << name << "." << entry << " is missing from the example";
            }
          }
        },
        any);
  }
}

// Each key is in the table once and is a flag with help: the key with '-'
// for '_' unless the entry names its flags.
TEST(ServerConfig, EveryKeyIsOneFlagWithHelp) {
  CLI::App app;
  const ServerFlags flags(app);
  std::set<std::string> names;
  for (const AnyConfigKey& any : ServerConfigKeys()) {
    const std::string name = KeyName(any);
    EXPECT_TRUE(names.insert(name).second) << name << " is listed twice";
    std::visit(
        [&](const auto& key) {
          const std::string flag_names =
              key.flag.empty() ? "--" + absl::StrReplaceAll(name, {{"_", "-"}})
                               : std::string(key.flag);
          for (const std::string& flag :
               std::vector<std::string>(absl::StrSplit(flag_names, ','))) {
            const CLI::Option* option = app.get_option_no_throw(flag);
            ASSERT_NE(option, nullptr) << name << " has no flag " << flag;
            EXPECT_FALSE(option->get_description().empty()) << flag;
          }
        },
        any);
  }
}

TEST(ServerConfig, LoadsKeysAndKeepsDefaultsForTheRest) {
  const std::string path = WriteToml("load.toml", R"(
grpc_address = "0.0.0.0:9000"
db_path = "/var/lib/taskgate/taskgate.db"
review_working_days = 10
release_on_overdue = true
two_approval_hours = 80   # an integer is a fine number
holidays = [2026-10-01, "2026-10-02"]
[controlled_limits]
signboard = 2
)");
  ASSERT_OK_AND_ASSIGN(ServerConfig c, LoadServerConfig(path));
  EXPECT_EQ(c.grpc_address, "0.0.0.0:9000");
  EXPECT_EQ(c.db_path, "/var/lib/taskgate/taskgate.db");
  EXPECT_EQ(c.review_working_days, 10);
  EXPECT_TRUE(c.release_on_overdue);
  EXPECT_EQ(c.two_approval_hours, 80);
  EXPECT_THAT(c.holidays, ElementsAre("2026-10-01", "2026-10-02"));
  EXPECT_EQ(c.controlled_limits.at("signboard"), 2);
  EXPECT_EQ(c.controlled_limits.at("training"), 4);  // default kept
  EXPECT_EQ(c.http_address, "127.0.0.1:7471");
  EXPECT_EQ(c.provisional_working_days, 3);
}

TEST(ServerConfig, UnknownKeyIsNamed) {
  const std::string path = WriteToml("unknown.toml", R"(
grpc_address = "127.0.0.1:1"
review_days = 10
)");
  EXPECT_THAT(LoadServerConfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("unknown key 'review_days'"),
                             HasSubstr("unknown.toml"))));
}

TEST(ServerConfig, WrongTypesAreNamedEachOne) {
  const std::string path = WriteToml("types.toml", R"(
review_working_days = "15"
demo = 1
holidays = [20261001]
)");
  EXPECT_THAT(
      LoadServerConfig(path),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("review_working_days must be an integer, "
                               "not a string"),
                     HasSubstr("demo must be true or false, not an integer"),
                     HasSubstr("holidays[0] must be a date"))));
}

TEST(ServerConfig, UnknownControlledBucketIsNamed) {
  const std::string path = WriteToml("bucket.toml", R"(
[controlled_limits]
plaques = 3
)");
  EXPECT_THAT(LoadServerConfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("controlled_limits.plaques is not a "
                                 "controlled bucket")));
}

TEST(ServerConfig, SyntaxErrorIsInvalidArgument) {
  const std::string path = WriteToml("syntax.toml", "grpc_address = \n");
  EXPECT_THAT(LoadServerConfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not valid TOML")));
}

TEST(ServerConfig, MissingFileIsNotFound) {
  EXPECT_THAT(LoadServerConfig(::testing::TempDir() + "/absent.toml"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.toml")));
}

TEST(ServerConfig, FlagsOverrideTheFile) {
  const std::string path = WriteToml("override.toml", R"(
grpc_address = "0.0.0.0:9000"
release_on_overdue = true
review_working_days = 10
holidays = ["2026-10-01"]
)");
  ASSERT_OK_AND_ASSIGN(
      ServerConfig c,
      ParseFlags({"--grpc-address", "127.0.0.1:0", "--release-on-overdue=false",
                  "--holiday", "2026-05-01", "--holiday", "2026-05-04", "--db",
                  "/tmp/x.db", "--controlled-limit", "signboard=3", "--demo"},
                 path));
  EXPECT_EQ(c.grpc_address, "127.0.0.1:0");
  EXPECT_FALSE(c.release_on_overdue);
  EXPECT_EQ(c.review_working_days, 10);  // not given: the file's value
  EXPECT_THAT(c.holidays, ElementsAre("2026-05-01", "2026-05-04"));
  EXPECT_EQ(c.db_path, "/tmp/x.db");
  EXPECT_EQ(c.controlled_limits.at("signboard"), 3);
  EXPECT_EQ(c.controlled_limits.at("inspection"), 4);
  EXPECT_TRUE(c.demo);
}

TEST(ServerConfig, FlagsAloneOverrideTheDefaults) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c,
                       ParseFlags({"--review-working-days", "10",
                                   "--controlled-limit", "signboard=3"}));
  ServerConfig expected;
  expected.review_working_days = 10;
  expected.controlled_limits["signboard"] = 3;
  EXPECT_TRUE(c == expected);
}

TEST(ServerConfig, FlagsOverAnUnreadableFileFail) {
  EXPECT_THAT(ParseFlags({"--demo"}, ::testing::TempDir() + "/absent.toml"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.toml")));
}

TEST(ServerConfig, BadFlagValuesAreRefused) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"--controlled-limit", "plaques=3"},
           {"--synchronous", "OFF"},
           {"--review-working-days", "ten"}}) {
    CLI::App app;
    ServerFlags flags(app);
    EXPECT_THROW(Parse(app, args), CLI::ParseError) << args[0];
    // The refused bucket and mode never reach the config.
    ServerConfig c;
    flags.ApplyTo(c);
    EXPECT_EQ(c.controlled_limits, ServerConfig::DefaultControlledLimits());
    EXPECT_EQ(c.synchronous, "FULL");
  }
}

TEST(ServerConfig, ValidationNamesEveryBadKey) {
  ServerConfig c;
  c.grpc_address = "no-port";
  c.http_address = "127.0.0.1:70000";
  c.synchronous = "OFF";
  c.time_zone = "Mars/Olympus";
  c.holidays = {"2026-02-30"};
  c.review_working_days = 0;
  c.tls_cert_file = "/nonexistent/cert.pem";
  c.log_level = "loud";
  c.controlled_limits["signboard"] = -1;
  EXPECT_THAT(
      ValidateServerConfig(c),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("grpc_address"), HasSubstr("http_address"),
                     HasSubstr("synchronous"),
                     HasSubstr("time_zone: unknown time zone "
                               "'Mars/Olympus'"),
                     HasSubstr("holidays[0]"), HasSubstr("review_working_days"),
                     HasSubstr("tls_cert_file, tls_key_file"),
                     HasSubstr("log_level"),
                     HasSubstr("controlled_limits.signboard"))));
}

TEST(ServerConfig, EmptyHttpAddressDisablesHttp) {
  ServerConfig c;
  c.http_address = "";
  EXPECT_THAT(ValidateServerConfig(c), IsOk());
}

TEST(ServerConfig, MutualTlsNeedsTheServerKeyPair) {
  ServerConfig c;
  c.tls_client_ca_file = WriteToml("ca.pem", "not checked here");
  EXPECT_THAT(ValidateServerConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tls_client_ca_file: mutual TLS needs")));
}

// Plaintext beyond this machine hands every bearer token to whoever sees the
// traffic (issue 15, defect 14): refused at start, saying why and what to
// do, unless TLS is on or the operator says so.
TEST(ServerConfig, PlaintextGrpcBeyondLoopbackIsRefusedSayingWhatToDo) {
  for (const std::string address :
       {"0.0.0.0:7470", "192.168.1.20:7470", "[::]:7470", "[2001:db8::1]:0",
        "taskgate.example.org:7470", "128.0.0.1:7470"}) {
    SCOPED_TRACE(address);
    ServerConfig c;
    c.grpc_address = address;
    EXPECT_THAT(
        ValidateServerConfig(c),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 AllOf(HasSubstr("grpc_address: '" + address +
                                 "' is not a loopback address and TLS is "
                                 "off"),
                       HasSubstr("plaintext"), HasSubstr("tls_cert_file"),
                       HasSubstr("allow_insecure_remote = true"),
                       HasSubstr("--allow-insecure-remote"))));
    c.allow_insecure_remote = true;
    EXPECT_THAT(ValidateServerConfig(c), IsOk());
    c.allow_insecure_remote = false;
    c.tls_cert_file = WriteToml("cert.pem", "not checked here");
    c.tls_key_file = WriteToml("key.pem", "not checked here");
    EXPECT_THAT(ValidateServerConfig(c), IsOk());
  }
}

TEST(ServerConfig, PlaintextGrpcOnLoopbackNeedsNoFlag) {
  for (const std::string address :
       {"127.0.0.1:7470", "127.8.9.10:0", "[::1]:7470", "localhost:7470",
        "LocalHost:0", "[::ffff:127.0.0.1]:7470"}) {
    SCOPED_TRACE(address);
    ServerConfig c;
    c.grpc_address = address;
    EXPECT_THAT(ValidateServerConfig(c), IsOk());
  }
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("localhost.example.org"));
}

TEST(ServerConfig, AllowInsecureRemoteIsAFileKeyAndAFlag) {
  const std::string path = WriteToml("insecure.toml", R"(
grpc_address = "0.0.0.0:9000"
allow_insecure_remote = true
)");
  ASSERT_OK_AND_ASSIGN(ServerConfig from_file, LoadServerConfig(path));
  EXPECT_TRUE(from_file.allow_insecure_remote);
  EXPECT_THAT(ValidateServerConfig(from_file), IsOk());
  ASSERT_OK_AND_ASSIGN(ServerConfig from_flag,
                       ParseFlags({"--grpc-address", "0.0.0.0:9000",
                                   "--allow-insecure-remote"}));
  EXPECT_TRUE(from_flag.allow_insecure_remote);
  EXPECT_THAT(ValidateServerConfig(from_flag), IsOk());
  ASSERT_OK_AND_ASSIGN(ServerConfig without,
                       ParseFlags({"--grpc-address", "0.0.0.0:9000"}));
  EXPECT_THAT(ValidateServerConfig(without),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("allow_insecure_remote")));
}

// The server always signs its log, and keeps the newest signed head beside
// its key: NORMAL could lose committed events that head already covers on a
// power loss, and the server would refuse to sign for good (issue 15,
// defect 16). Refused at start with the reason.
TEST(ServerConfig, SynchronousNormalIsRefusedSinceTheLogIsSigned) {
  ServerConfig c;
  c.db_path = "/srv/taskgate/taskgate.db";
  c.synchronous = "NORMAL";
  EXPECT_THAT(ValidateServerConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("synchronous: NORMAL can lose the last "
                                       "committed events on a power loss"),
                             HasSubstr("/srv/taskgate/signing.key.head"),
                             HasSubstr("refuses to sign the log for good"),
                             HasSubstr("use FULL"))));
  ASSERT_OK_AND_ASSIGN(ServerConfig flagged,
                       ParseFlags({"--synchronous", "NORMAL"}));
  EXPECT_THAT(ValidateServerConfig(flagged),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("synchronous: NORMAL")));
  c.synchronous = "FULL";
  EXPECT_THAT(ValidateServerConfig(c), IsOk());
}

TEST(ServerConfig, ParsesHostPort) {
  ASSERT_OK_AND_ASSIGN(HostPort v4, ParseHostPort("127.0.0.1:7470"));
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_EQ(v4.port, 7470);
  ASSERT_OK_AND_ASSIGN(HostPort v6, ParseHostPort("[::1]:0"));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 0);
  EXPECT_THAT(ParseHostPort(":80"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHostPort("host:-1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHostPort("host"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ServerConfig, ToEngineOptionsFillsRulesSlaAndInitialHolidays) {
  ServerConfig c;
  c.district_id = "xicheng";
  c.holidays = {"2026-10-01"};  // a Thursday
  c.review_working_days = 12;
  c.provisional_working_days = 2;
  c.release_on_overdue = true;
  c.lead_time_days = 20;
  c.capacity_blocks = true;
  c.two_approval_hours = 90;
  c.controlled_limits["signboard"] = 1;
  ASSERT_OK_AND_ASSIGN(workflow::EngineOptions o, ToEngineOptions(c));
  EXPECT_EQ(o.district_id, "xicheng");
  EXPECT_EQ(o.time_zone.name(), "Asia/Shanghai");
  // Only the initial calendar: the server stores it on a first start.
  EXPECT_THAT(o.initial_holidays, ElementsAre(absl::CivilDay(2026, 10, 1)));
  EXPECT_EQ(o.sla.review_working_days, 12);
  EXPECT_EQ(o.sla.provisional_working_days, 2);
  EXPECT_TRUE(o.sla.release_on_overdue);
  EXPECT_EQ(o.rules.lead_time_days, 20);
  EXPECT_TRUE(o.rules.capacity_blocks);
  EXPECT_EQ(o.rules.two_approval_hours, 90);
  EXPECT_EQ(o.rules.controlled_limits.size(), 7u);
  EXPECT_EQ(o.rules.controlled_limits.at(domain::ControlledBucket::kSignboard),
            1);
  EXPECT_EQ(
      o.rules.controlled_limits.at(domain::ControlledBucket::kFormsAndLedgers),
      10);
}

TEST(ServerConfig, ToEngineOptionsRefusesAnUnknownTimeZone) {
  ServerConfig c;
  c.time_zone = "Asia/Atlantis";
  EXPECT_THAT(ToEngineOptions(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("time_zone")));
}

}  // namespace
TEST(ServerConfig, SigningKeyDefaultsToBesideTheDatabase) {
  ServerConfig c;
  c.db_path = "/srv/taskgate/district.db";
  EXPECT_EQ(SigningKeyPath(c), "/srv/taskgate/signing.key");
  c.db_path = "district.db";
  EXPECT_EQ(SigningKeyPath(c), "./signing.key");
  c.db_path = ":memory:";
  EXPECT_EQ(SigningKeyPath(c), "./signing.key");
  c.signing_key_file = "/etc/taskgate/key.pem";
  EXPECT_EQ(SigningKeyPath(c), "/etc/taskgate/key.pem");
}

}  // namespace taskgate::services
