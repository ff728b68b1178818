#include "store/sqlite/migrations.h"

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>

#include "store/sqlite/sqlite_store.h"

namespace taskgate::store {
namespace {

// Applied migrations are never edited: databases in the field already carry
// them. A schema change is a new migration appended to the list below.

// Migration 1: the initial schema. Every table is keyed by district_id first,
// so that one database can host many districts. Each row keeps the full JSON
// body (domain/codec.h); the other columns copy what SPEC §7 queries need.
// Times are Unix microseconds; dates are "YYYY-MM-DD".
std::string InitialSchema() {
  return absl::StrCat("PRAGMA application_id = ", kSqliteApplicationId, ";\n",
                      R"sql(
CREATE TABLE districts (
  id TEXT NOT NULL PRIMARY KEY,
  body TEXT NOT NULL
) STRICT;

CREATE TABLE catalog_versions (
  district_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  published_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, version)
) STRICT;

CREATE TABLE communities (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  street TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id)
) STRICT;
CREATE INDEX communities_by_street ON communities (district_id, street);

CREATE TABLE tasks (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  department_id TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  item_code TEXT,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  timer_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id)
) STRICT;
CREATE INDEX tasks_by_department_state
  ON tasks (district_id, department_id, state);
CREATE INDEX tasks_by_state ON tasks (district_id, state);
CREATE INDEX tasks_by_item_code ON tasks (district_id, item_code);
CREATE INDEX tasks_by_timer ON tasks (district_id, timer_at)
  WHERE timer_at IS NOT NULL;

-- Equal to each task's resolved_communities; rewritten with the task.
CREATE TABLE task_communities (
  district_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  community_id TEXT NOT NULL,
  PRIMARY KEY (district_id, task_id, community_id),
  FOREIGN KEY (district_id, task_id) REFERENCES tasks (district_id, id)
) STRICT;
CREATE INDEX task_communities_by_community
  ON task_communities (district_id, community_id);

-- AUTOINCREMENT keeps ids in insertion order, which is "oldest first".
CREATE TABLE decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  district_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  FOREIGN KEY (district_id, task_id) REFERENCES tasks (district_id, id)
) STRICT;
CREATE INDEX decisions_by_task ON decisions (district_id, task_id);

CREATE TABLE requests (
  district_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  response BLOB NOT NULL,
  PRIMARY KEY (district_id, request_id)
) STRICT;

-- The audit log. `canonical` is the Merkle leaf (docs/audit-encoding.md) and
-- is what reads decode; the other columns exist only for querying.
CREATE TABLE audit_events (
  district_id TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  time INTEGER NOT NULL,
  actor_id TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  state_before TEXT NOT NULL,
  state_after TEXT NOT NULL,
  reason TEXT NOT NULL,
  request_id TEXT NOT NULL,
  department_id TEXT NOT NULL,
  canonical BLOB NOT NULL,
  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
  PRIMARY KEY (district_id, seq)
) STRICT;
CREATE INDEX audit_events_by_entity
  ON audit_events (district_id, entity_type, entity_id, seq);
CREATE INDEX audit_events_by_actor ON audit_events (district_id, actor_id, seq);
CREATE INDEX audit_events_by_action ON audit_events (district_id, action, seq);
CREATE INDEX audit_events_by_department
  ON audit_events (district_id, department_id, seq);
CREATE INDEX audit_events_by_time ON audit_events (district_id, time);

CREATE TABLE audit_event_communities (
  district_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  community_id TEXT NOT NULL,
  PRIMARY KEY (district_id, seq, community_id),
  FOREIGN KEY (district_id, seq) REFERENCES audit_events (district_id, seq)
) STRICT;
CREATE INDEX audit_event_communities_by_community
  ON audit_event_communities (district_id, community_id, seq);

-- The log is append-only. The Merkle tree detects tampering by anyone with
-- the file; these triggers stop the server itself from ever rewriting it.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_event_communities_no_update
BEFORE UPDATE ON audit_event_communities
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_event_communities_no_delete
BEFORE DELETE ON audit_event_communities
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
)sql");
}

// Migration 2: principals and their credentials (SPEC §8), and the
// community side of SPEC §6: assignment acknowledgements, funding reports and
// complaints. Same shape as migration 1: district_id-first keys, the JSON
// body beside the columns that queries and constraints need.
std::string PeopleSchema() {
  return R"sql(
CREATE TABLE principals (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  role TEXT NOT NULL,
  department_id TEXT NOT NULL,
  community_id TEXT NOT NULL,
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id)
) STRICT;
CREATE INDEX principals_by_role ON principals (district_id, role);

-- Only the hash of a token's secret is kept. It is unique across the whole
-- file, so one secret can never name two credentials, in any district.
CREATE TABLE credentials (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  revoked INTEGER NOT NULL CHECK (revoked IN (0, 1)),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id),
  FOREIGN KEY (district_id, principal_id) REFERENCES principals (district_id, id)
) STRICT;
CREATE INDEX credentials_by_principal
  ON credentials (district_id, principal_id);

-- One acknowledgement per (task, community).
CREATE TABLE assignment_acks (
  district_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  community_id TEXT NOT NULL,
  acknowledged_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, task_id, community_id),
  FOREIGN KEY (district_id, task_id) REFERENCES tasks (district_id, id)
) STRICT;
CREATE INDEX assignment_acks_by_community
  ON assignment_acks (district_id, community_id, acknowledged_at);

CREATE TABLE funding_reports (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  community_id TEXT NOT NULL,
  reported_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id),
  FOREIGN KEY (district_id, task_id) REFERENCES tasks (district_id, id)
) STRICT;
CREATE INDEX funding_reports_by_task
  ON funding_reports (district_id, task_id, reported_at);
CREATE INDEX funding_reports_by_community
  ON funding_reports (district_id, community_id, reported_at);

-- task_id may name a task outside TaskGate's knowledge (or none), so it has
-- no foreign key; the workflow checks it when given.
CREATE TABLE complaints (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  community_id TEXT NOT NULL,
  department_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  filed_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id)
) STRICT;
CREATE INDEX complaints_by_community_state
  ON complaints (district_id, community_id, state);
CREATE INDEX complaints_by_state ON complaints (district_id, state);
CREATE INDEX complaints_by_department ON complaints (district_id, department_id);
)sql";
}

// Migration 3: signed checkpoints of each district's log (SPEC §7). Kept
// beside the log and append-only like it; a verifier trusts them only as far
// as their Ed25519 signatures go.
std::string CheckpointSchema() {
  return R"sql(
CREATE TABLE checkpoints (
  district_id TEXT NOT NULL,
  tree_size INTEGER NOT NULL CHECK (tree_size >= 1),
  log_id TEXT NOT NULL,
  root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
  time INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  signature BLOB NOT NULL,
  PRIMARY KEY (district_id, tree_size)
) STRICT;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
)sql";
}

// Migration 4: rule inputs and statistics that cost what a task or a period
// touches, not what the district ever held.
// - task_communities carries each task's state, kept equal to it (the rows
//   are rewritten with the task), so that "the tasks in force in community
//   c" is one index range instead of every task of the community, or of the
//   district, ever.
// - tasks get an index on (department, item, state) for R-DUPLICATE's
//   department + item list.
// - task_months lists, per task, the calendar months its start..end dates
//   touch (month = year * 12 + month - 1), with its state, so that "tasks in
//   these states whose dates touch these months" is an index range. A task
//   whose dates touch more than 36 months, or are reversed or unreadable,
//   gets one row of month 0 instead, which every such read includes: rows
//   stay few per task whatever its dates, and the readers still check the
//   dates themselves. (Dropped by migration 7.)
// Existing rows are filled in place from the tasks table.
std::string RuleInputsSchema() {
  return R"sql(
ALTER TABLE task_communities ADD COLUMN state TEXT NOT NULL DEFAULT '';
UPDATE task_communities SET state = (
  SELECT t.state FROM tasks AS t
  WHERE t.district_id = task_communities.district_id
    AND t.id = task_communities.task_id);
DROP INDEX task_communities_by_community;
CREATE INDEX task_communities_by_community_state
  ON task_communities (district_id, community_id, state, task_id);

CREATE INDEX tasks_by_department_item_state
  ON tasks (district_id, department_id, item_code, state);

CREATE TABLE task_months (
  district_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  month INTEGER NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (district_id, task_id, month),
  FOREIGN KEY (district_id, task_id) REFERENCES tasks (district_id, id)
) STRICT;
CREATE INDEX task_months_by_state_month
  ON task_months (district_id, state, month, task_id);

INSERT INTO task_months (district_id, task_id, month, state)
WITH RECURSIVE
  dated AS (
    SELECT district_id, id, state,
      CASE WHEN start_date GLOB
          '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
        THEN CAST(substr(start_date, 1, 4) AS INTEGER) * 12
             + CAST(substr(start_date, 6, 2) AS INTEGER) - 1 END AS first,
      CASE WHEN end_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
        THEN CAST(substr(end_date, 1, 4) AS INTEGER) * 12
             + CAST(substr(end_date, 6, 2) AS INTEGER) - 1 END AS last,
      start_date <= end_date AS ordered
    FROM tasks),
  spans AS (
    SELECT district_id, id, state,
      CASE WHEN first >= 12 AND last >= first AND last - first < 36
                AND ordered
        THEN first ELSE 0 END AS first,
      CASE WHEN first >= 12 AND last >= first AND last - first < 36
                AND ordered
        THEN last ELSE 0 END AS last
    FROM dated),
  months (district_id, id, state, month, last) AS (
    SELECT district_id, id, state, first, last FROM spans
    UNION ALL
    SELECT district_id, id, state, month + 1, last FROM months
    WHERE month < last)
SELECT district_id, id, month, state FROM months;
)sql";
}

// Migration 5: idempotency records are kept for a bounded time (AIP-155).
// Each gets the time it was answered, in Unix microseconds like every other
// time, and an index to expire the oldest first. A record stored before this
// migration takes the time of the first event of its request in the audit
// log (one pass over the log, grouped by request id); one with no such event
// takes the district's latest event time, so that it is kept a whole
// retention from the upgrade rather than dropped at once.
std::string RequestRetentionSchema() {
  return R"sql(
ALTER TABLE requests ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
UPDATE requests SET created_at = earliest.time
FROM (SELECT district_id, request_id, MIN(time) AS time FROM audit_events
      WHERE request_id <> '' GROUP BY district_id, request_id) AS earliest
WHERE earliest.district_id = requests.district_id
  AND earliest.request_id = requests.request_id;
UPDATE requests SET created_at = COALESCE(
  (SELECT MAX(time) FROM audit_events AS a
   WHERE a.district_id = requests.district_id), 0)
WHERE created_at = 0;
CREATE INDEX requests_by_created ON requests (district_id, created_at);
)sql";
}

// Migration 6: the kept counters of the statistics (store.h `CounterAdd`):
// a period's figures are a range of buckets. A log from before it gets its
// counters at the next start (workflow/statistics_counters.h).
const char* CountersSchema() {
  return R"sql(
CREATE TABLE counters (
  district_id TEXT NOT NULL,
  bucket TEXT NOT NULL,
  name TEXT NOT NULL,
  subject TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (district_id, bucket, name, subject)
) STRICT, WITHOUT ROWID;
)sql";
}

// Migration 7: task_months (migration 4) served only the statistics' read of
// tasks by dates; the statistics now read counters, and nothing reads it.
const char* DropTaskMonthsSchema() {
  return R"sql(
DROP TABLE task_months;
)sql";
}

// Migration 8: counters are derived from the log, and those kept before
// the rules' workloads were counted lack them; dropping them all makes the
// next start derive every kind again (workflow/statistics_counters.h
// `RebuildCountersIfMissing`).
const char* RecountSchema() {
  return R"sql(
DELETE FROM counters;
)sql";
}

// Migration 9: R-DUPLICATE asks for a department's open tasks of one item
// in one community. Through (community, state) that visited every task in
// force in the community - hundreds after a few years, each a row read from
// `tasks` - so the side rows carry the task's department and item ('' for
// none) and an index finds exactly the candidates.
const char* DuplicateCandidatesSchema() {
  return R"sql(
ALTER TABLE task_communities ADD COLUMN department_id TEXT NOT NULL DEFAULT '';
ALTER TABLE task_communities ADD COLUMN item_code TEXT NOT NULL DEFAULT '';
UPDATE task_communities SET
  department_id = (
    SELECT t.department_id FROM tasks AS t
    WHERE t.district_id = task_communities.district_id
      AND t.id = task_communities.task_id),
  item_code = (
    SELECT COALESCE(t.item_code, '') FROM tasks AS t
    WHERE t.district_id = task_communities.district_id
      AND t.id = task_communities.task_id);
CREATE INDEX task_communities_by_department_item
  ON task_communities
     (district_id, department_id, item_code, community_id, state, task_id);
)sql";
}

// Migration 10: request ids belong to the principal that sends them
// (workflow/internal/commit_once.h): an idempotency record is kept under
// `<principal>/<request id>`. A record stored before takes the actor of
// the first event of its request in the audit log, so that a retry
// answered before the upgrade is answered the same after it; one with no
// such event keeps its key, answers nobody, and expires with the rest.
// OR IGNORE: a client's request id may itself hold '/', and a record whose
// new key another already holds keeps its old one rather than stop the
// upgrade.
const char* RequestsPerPrincipalSchema() {
  return R"sql(
UPDATE OR IGNORE requests
SET request_id = first.actor_id || '/' || requests.request_id
FROM (SELECT district_id, request_id, actor_id, MIN(seq) AS seq
      FROM audit_events WHERE request_id <> ''
      GROUP BY district_id, request_id) AS first
WHERE first.district_id = requests.district_id
  AND first.request_id = requests.request_id;
)sql";
}

// Migration 11: a credential is a bearer token or a client-certificate
// identity bound to a principal (SPEC §8). The table is rebuilt because
// SQLite cannot relax `token_hash NOT NULL` in place: a binding has no token
// hash, and a token no identity, and the CHECK holds exactly one of them.
// One identity is bound to at most one principal at a time: the partial
// unique index covers active bindings only, so that an identity whose
// binding was revoked can be bound again (to whom the admin chooses).
// Nothing refers to credentials, so dropping the old table drops nothing
// else; the copy keeps every row, its body and its version as they were.
const char* CertificateBindingsSchema() {
  return R"sql(
CREATE TABLE credentials_v11 (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  token_hash TEXT UNIQUE,
  certificate_identity TEXT,
  revoked INTEGER NOT NULL CHECK (revoked IN (0, 1)),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id),
  FOREIGN KEY (district_id, principal_id) REFERENCES principals (district_id, id),
  CHECK ((token_hash IS NULL) <> (certificate_identity IS NULL))
) STRICT;
INSERT INTO credentials_v11
  (district_id, id, principal_id, token_hash, certificate_identity, revoked,
   version, body)
SELECT district_id, id, principal_id, token_hash, NULL, revoked, version, body
FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_v11 RENAME TO credentials;
CREATE INDEX credentials_by_principal
  ON credentials (district_id, principal_id);
CREATE UNIQUE INDEX credentials_by_certificate
  ON credentials (district_id, certificate_identity)
  WHERE certificate_identity IS NOT NULL AND revoked = 0;
)sql";
}

// Migration 12: the working-day calendar as published data (SPEC §2,
// §4.1): one row per published version of a year, each holding the year's
// holidays and make-up working days in its body. Rows are created only;
// the latest version of each year is in force. The configuration's
// `holidays` seed the first versions at the next start
// (workflow/calendars.h), so a database from before keeps its calendar.
const char* CalendarSchema() {
  return R"sql(
CREATE TABLE calendar_years (
  district_id TEXT NOT NULL,
  year INTEGER NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  published_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, year, version)
) STRICT;
)sql";
}

// Migration 14: attachments (依据文件, SPEC §3). A task's attachments hold
// its documents' metadata; their bytes are kept once per hash in
// attachment_contents, so the same policy document attached to ten tasks is
// stored once. Both are created only. (Number 13 is not used: departments
// and streets, written alongside, landed after this one as 15, since a file
// already at 14 never runs a lower number.)
const char* AttachmentsSchema() {
  return R"sql(
CREATE TABLE attachment_contents (
  district_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
  content BLOB NOT NULL,
  PRIMARY KEY (district_id, sha256)
) STRICT;
CREATE TABLE attachments (
  district_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  added_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, task_id, sha256),
  UNIQUE (district_id, task_id, name),
  FOREIGN KEY (district_id, task_id) REFERENCES tasks (district_id, id),
  FOREIGN KEY (district_id, sha256)
    REFERENCES attachment_contents (district_id, sha256)
) STRICT;
)sql";
}

// Migration 15: departments and streets as resources (SPEC §1), and a
// community's street by id. Only the schema: the rows of the departments
// the stored principals and tasks name, and of the streets the stored
// communities name as text, are created by the server at its first start on
// the migrated file, as one audited change of the system with the
// communities' street ids (workflow/directory.h `MigrateReferences`), so
// that the log explains every row, as replaying it must (SPEC §7). A
// street's name is unique in its district: a name resolves to one street.
const char* DepartmentsStreetsSchema() {
  return R"sql(
CREATE TABLE departments (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id)
) STRICT;

CREATE TABLE streets (
  district_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (district_id, id)
) STRICT;
CREATE UNIQUE INDEX streets_by_name ON streets (district_id, name);

ALTER TABLE communities ADD COLUMN street_id TEXT NOT NULL DEFAULT '';
CREATE INDEX communities_by_street_id ON communities (district_id, street_id);
)sql";
}

}  // namespace

const std::vector<SqliteMigration>& SqliteMigrations() {
  static const std::vector<SqliteMigration>* const kMigrations =
      new std::vector<SqliteMigration>{
          {1, "initial schema", InitialSchema()},
          {2, "principals, credentials, community workload, complaints",
           PeopleSchema()},
          {3, "signed checkpoints", CheckpointSchema()},
          {4, "indexed rule inputs and task months", RuleInputsSchema()},
          {5, "bounded retention of idempotency records",
           RequestRetentionSchema()},
          {6, "kept statistics counters", CountersSchema()},
          {7, "task_months dropped", DropTaskMonthsSchema()},
          {8, "counters derived again, with the workloads", RecountSchema()},
          {9, "indexed duplicate candidates", DuplicateCandidatesSchema()},
          {10, "idempotency records per principal",
           RequestsPerPrincipalSchema()},
          {11, "client-certificate bindings", CertificateBindingsSchema()},
          {12, "working-day calendar years", CalendarSchema()},
          {14, "attachments", AttachmentsSchema()},
          {15, "departments and streets", DepartmentsStreetsSchema()},
      };
  return *kMigrations;
}

}  // namespace taskgate::store
