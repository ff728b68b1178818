// Input validation of the domain values a caller hands the workflow: ids,
// lengths, UTF-8, dates, enum and list sizes. Each check reports every bad
// field (see common/field_violations.h). Pure; thread-safe.
#ifndef TASKGATE_WORKFLOW_VALIDATION_H_
#define TASKGATE_WORKFLOW_VALIDATION_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/field_violations.h"
#include "domain/types.h"

namespace taskgate::workflow {

// Limits, shared with the API layer so both say the same thing.
inline constexpr size_t kMaxIdLength = 63;
inline constexpr size_t kMaxTitleLength = 200;  // characters
inline constexpr size_t kMaxTextLength = 4000;  // characters
inline constexpr size_t kMaxDescriptionLength = 20000;
inline constexpr size_t kMaxTargets = 1000;
inline constexpr size_t kMaxStreets = 200;
inline constexpr size_t kMaxCatalogItems = 2000;
// A published calendar year (SPEC §2): the years a district plans in, and
// at most a year's days on each list.
inline constexpr int32_t kMinCalendarYear = 2000;
inline constexpr int32_t kMaxCalendarYear = 2100;
inline constexpr size_t kMaxCalendarDays = 366;
inline constexpr size_t kMaxKeywords = 50;
inline constexpr double kMaxHoursPerMonth = 744;  // 31 days × 24 h
inline constexpr int64_t kMaxFundingYuan = 1'000'000'000'000;
inline constexpr int32_t kMaxUnits = 1000;
inline constexpr int64_t kMaxWorkloadMonths = 120;  // one workload query
// An approval acknowledges each WARN finding's rule once; the rules that can
// warn are fewer than this.
inline constexpr size_t kMaxAcknowledgements = 16;
// Lists of enum values name each value at most once.
inline constexpr size_t kMaxTaskTypes = 9;        // domain::TaskType
inline constexpr size_t kMaxBaselineUnits = 7;    // domain::ControlledBucket
inline constexpr size_t kMaxComplaintStates = 4;  // domain::ComplaintState
// A `ListTasks` filter ("state=SUBMITTED AND community=c1 ..."), in bytes.
inline constexpr size_t kMaxFilterLength = 500;

// True for well-formed UTF-8 (no overlongs, surrogates or values past
// U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Number of code points in valid UTF-8 `s`.
size_t Utf8Length(std::string_view s);

// Ids are 1..63 characters of [a-z0-9-_.], starting with a letter or digit
// (readable in URLs, logs and file names).
bool IsValidId(std::string_view id);

// Catalog item codes are published by the district and keep their own case:
// 1..63 characters of [A-Za-z0-9-_.], starting with a letter or digit.
bool IsValidCode(std::string_view code);
void CheckCode(std::string_view field, std::string_view code,
               std::vector<FieldViolation>& out);

// Appends a violation for `field` when `id` is not a valid id.
void CheckId(std::string_view field, std::string_view id,
             std::vector<FieldViolation>& out);

// True when text limited to `max_chars` may span lines: prose such as
// descriptions, reasons, notes and duties (longer than `kMaxTitleLength`).
// Titles, names, streets, keywords and token descriptions are one line.
constexpr bool IsMultiLineText(size_t max_chars) {
  return max_chars > kMaxTitleLength;
}

// Appends a violation when `text` is not UTF-8, longer than `max_chars`, or
// holds a character that changes how text is shown (a control character or
// a bidirectional override or isolate; common/safe_text.h), naming the
// first one and its position; newline and tab are allowed in multi-line
// text (`IsMultiLineText`). When `required`, also when it is blank.
void CheckText(std::string_view field, std::string_view text, size_t max_chars,
               bool required, std::vector<FieldViolation>& out);

// Checks an approval's acknowledgements as sent: at most
// `kMaxAcknowledgements`, each naming a rule (1 to 63 characters of A-Z,
// a-z, 0-9, '-', '_' or '.', e.g. R-LEAD-TIME) not named before, with a
// reason (multi-line text, required, at most `kMaxTextLength` characters).
// A list over the bound is reported alone, its items unchecked. Whether
// each names a WARN finding of the task is for the approval's transition
// to check (workflow/transitions.h). Appends to `out`, naming fields
// "acknowledgements[i].rule_id" and "acknowledgements[i].reason".
void CheckAcknowledgements(const std::vector<domain::Acknowledgement>& acks,
                           std::vector<FieldViolation>& out);

// Checks a task spec. `for_submit` adds what a submission needs beyond a
// draft: a title, target communities or streets, dates in order, an
// emergency reason, a new-item justification. What the rules judge (legal
// basis, duty split, funding, ...) is left to the rules, so that a rejected
// task keeps all its findings. Field names are prefixed with `prefix`.
std::vector<FieldViolation> ValidateTaskSpec(const domain::TaskSpec& spec,
                                             bool for_submit,
                                             std::string_view prefix = "");

std::vector<FieldViolation> ValidateCatalogItems(
    const std::vector<domain::CatalogItem>& items);

// Checks a calendar year as published: `year` from `kMinCalendarYear` to
// `kMaxCalendarYear`; each list at most `kMaxCalendarDays` days (a list
// over it is reported alone, its days unchecked), each day in `year` and
// listed once; each make-up working day (调休上班日) a Saturday or Sunday
// and not also a holiday; `note` multi-line text of at most
// `kMaxTextLength` characters. Fields: "year", "holidays[i]",
// "makeup_workdays[i]", "note". Holidays may fall on any day (a holiday
// period spans its weekend).
std::vector<FieldViolation> ValidateCalendarYear(
    const domain::CalendarYear& calendar);

// A department's or a street's `id` and `name` (required, one line), named
// "id" and "name".
std::vector<FieldViolation> ValidateNamedResource(std::string_view id,
                                                  std::string_view name);

std::vector<FieldViolation> ValidateCommunity(
    const domain::Community& community);

// Field `field` names a `noun` ("street", "department", ...) `id` that
// district `district` does not have; `how` says what to do instead.
FieldViolation UnknownReference(std::string field, std::string_view noun,
                                const std::string& id,
                                const std::string& district,
                                std::string_view how);

// ---------------------------------------------- principals and credentials

// Token hashes are the lower-case hex SHA-256 of a secret: 64 of [0-9a-f].
bool IsValidTokenHash(std::string_view hash);
void CheckTokenHash(std::string_view field, std::string_view hash,
                    std::vector<FieldViolation>& out);

// A client-certificate identity an admin binds to a principal
// (domain::Credential): "uri:", "dns:", "email:" or "subject:" followed by
// the value exactly as the certificate carries it (a subject as its RFC 2253
// distinguished name), one line of at most
// `kMaxCertificateIdentityLength` characters.
inline constexpr size_t kMaxCertificateIdentityLength = 1024;
void CheckCertificateIdentity(std::string_view field, std::string_view identity,
                              std::vector<FieldViolation>& out);

// Checks a principal an admin creates: its id, a role other than system, a
// display name, and the scope its role needs - a department clerk a
// `department_id`, a community office a `community_id`; a reviewer may have
// a `home_department_id`. Scope fields that the role does not use must be
// empty. Whether the community exists is for the caller to check. Field
// names are prefixed with `prefix`.
std::vector<FieldViolation> ValidatePrincipal(
    const domain::Principal& principal, std::string_view prefix = "");

// ------------------------------------------------------------- complaints

// Checks a complaint as filed: its id, a title and a description, and the
// optional accused department and task ids. Field names are prefixed with
// `prefix`.
std::vector<FieldViolation> ValidateComplaint(
    const domain::Complaint& complaint, std::string_view prefix = "");

}  // namespace taskgate::workflow

#endif  // TASKGATE_WORKFLOW_VALIDATION_H_
