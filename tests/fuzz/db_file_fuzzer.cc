// Opening arbitrary database files: the fuzz bytes are written to a file,
// which `store::OpenSqliteStore` opens as taskgated does, and what opens is
// read as `taskgated --verify-db` reads it (`workflow::VerifyStoredLog`:
// every event, checkpoint and stored row) and as the server's start reads
// it (district, catalog, communities, principals, tasks and their timers).
// Nothing crashes; each read answers a value or an error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <spdlog/spdlog.h>

#include "audit/signing.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "tests/fuzz/fuzz_check.h"
#include "workflow/audit_ledger.h"

namespace {

namespace store = ::taskgate::store;

const taskgate::audit::VerifyingKey& Key() {
  static const taskgate::audit::VerifyingKey key =
      taskgate::audit::SigningKey::FromRawPrivate(std::string(32, '\x07'))
          ->verifying_key();
  return key;
}

// A file of this process's own, in memory where the system has a tmpfs.
const std::string& DbPath() {
  static const std::string path = [] {
    const std::filesystem::path dir =
        std::filesystem::exists("/dev/shm")
            ? "/dev/shm"
            : std::filesystem::temp_directory_path();
    return (dir / absl::StrCat("taskgate-db-fuzz-", ::getpid(), ".db"))
        .string();
  }();
  return path;
}

void RemoveDb() {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove(absl::StrCat(DbPath(), suffix).c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RemoveDb();
  {
    std::ofstream out(DbPath(), std::ios::binary);
    out.write(reinterpret_cast<const char*>(data),
              static_cast<std::streamsize>(size));
  }
  store::SqliteStoreOptions options;
  options.busy_timeout_ms = 0;
  absl::StatusOr<std::unique_ptr<store::Store>> opened =
      store::OpenSqliteStore(DbPath(), options);
  if (opened.ok()) {
    store::Store& s = **opened;
    const std::string district = "default";
    (void)taskgate::workflow::VerifyStoredLog(s, district, Key());
    (void)s.GetDistrict(district);
    (void)s.GetCatalog(district, 0);
    (void)s.ListCommunities(district, "");
    (void)s.ListPrincipals(district);
    (void)s.ListCheckpoints(district, 0, 100);
    (void)s.LatestCheckpoint(district);
    (void)s.ListTasksDue(district, absl::Now(), 100);
    (void)s.NextTimer(district);
    (void)s.ListCounters(district, "", "~", 100);
    store::TaskQuery query;
    query.district_id = district;
    query.limit = 100;
    (void)s.ListTasks(query);
  }
  opened = absl::UnknownError("closed");  // closes the database first
  RemoveDb();
  return 0;
}
