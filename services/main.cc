// taskgated: the TaskGate server.
//
// For now it opens (creating and migrating as needed) the SQLite store,
// makes sure the district exists, and serves until SIGINT or SIGTERM; the
// gRPC API is wired in by the server issue. Kept thin: parse flags, build,
// wait for a signal, shut down.
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "store/sqlite/sqlite_store.h"
#include "workflow/engine.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{
      "taskgated - the TaskGate server (社区工作事项准入制): admits tasks "
      "into community workloads and keeps a verifiable record."};
  std::string db_path = "./var/taskgate.db";
  std::string district_name = "Default district";
  std::string synchronous = "FULL";
  bool check_only = false;
  app.add_option("--db", db_path,
                 "SQLite database file (created on first start)")
      ->capture_default_str();
  app.add_option("--district-name", district_name,
                 "Name of the district created on first start")
      ->capture_default_str();
  app.add_option(
         "--synchronous", synchronous,
         "SQLite synchronous mode: FULL (survives power loss) or NORMAL")
      ->check(CLI::IsMember({"FULL", "NORMAL"}))
      ->capture_default_str();
  app.add_flag("--check", check_only,
               "Open and check the database, then exit (0 when it is usable)");
  CLI11_PARSE(app, argc, argv);

  if (db_path != ":memory:") {
    const std::filesystem::path parent =
        std::filesystem::path(db_path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      spdlog::error("cannot create directory {}: {}", parent.string(),
                    ec.message());
      return EXIT_FAILURE;
    }
  }
  taskgate::store::SqliteStore::Options store_options;
  store_options.synchronous = synchronous;
  auto store = taskgate::store::SqliteStore::Open(db_path, store_options);
  if (!store.ok()) {
    spdlog::error("cannot open database {}: {}", db_path,
                  store.status().ToString());
    return EXIT_FAILURE;
  }
  taskgate::RealClock clock;
  taskgate::workflow::Engine engine(**store, clock,
                                    taskgate::workflow::EngineOptions());
  auto district = engine.EnsureDistrict(district_name);
  if (!district.ok()) {
    spdlog::error("cannot prepare district: {}", district.status().ToString());
    return EXIT_FAILURE;
  }
  auto events = (*store)->EventCount(district->id);
  spdlog::info(
      "database {} open (schema {}), district '{}' ({}), {} audit events",
      db_path, taskgate::store::SqliteStore::SchemaVersion(), district->name,
      district->id, events.ok() ? *events : -1);
  if (check_only) return EXIT_SUCCESS;

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (!ec) spdlog::info("signal {} received, shutting down", signo);
    io.stop();
  });
  spdlog::info("taskgated running; stop with Ctrl-C or SIGTERM");
  io.run();
  store->reset();  // closes the database cleanly before exit
  spdlog::info("stopped");
  return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return EXIT_FAILURE;
  }
}
