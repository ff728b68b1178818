// The JSON codec of the domain values (domain/codec.h) and their flat
// fields (domain/fields.h) on arbitrary text. The first byte picks the
// parser, the rest is its input. Nothing crashes, refusals are
// INVALID_ARGUMENT, and what a parser accepts round-trips: written and read
// again it is written the same, and its fields can be taken.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/codec.h"
#include "domain/fields.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace domain = ::taskgate::domain;

template <typename From, typename To>
void RoundTrip(std::string_view json, From from, To to) {
  auto value = from(json);
  if (!value.ok()) {
    TASKGATE_FUZZ_CHECK(absl::IsInvalidArgument(value.status()),
                        value.status());
    return;
  }
  const std::string once = to(*value);
  auto again = from(once);
  TASKGATE_FUZZ_CHECK(again.ok(), again.status(), "\n", once);
  TASKGATE_FUZZ_CHECK(to(*again) == once, "read back it is written as\n",
                      to(*again), "\nnot\n", once);
  absl::StatusOr<domain::Fields> fields = domain::FieldsOfJson(once);
  TASKGATE_FUZZ_CHECK(fields.ok(), fields.status(), "\n", once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view json = taskgate::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 12) {
    case 0:
      RoundTrip(json, domain::TaskFromJson, domain::TaskToJson);
      break;
    case 1:
      RoundTrip(json, domain::CommunityFromJson, domain::CommunityToJson);
      break;
    case 2:
      RoundTrip(json, domain::CatalogFromJson, domain::CatalogToJson);
      break;
    case 3:
      RoundTrip(json, domain::DecisionFromJson, domain::DecisionToJson);
      break;
    case 4:
      RoundTrip(json, domain::DistrictFromJson, domain::DistrictToJson);
      break;
    case 5:
      RoundTrip(json, domain::PrincipalFromJson, domain::PrincipalToJson);
      break;
    case 6:
      RoundTrip(json, domain::CredentialFromJson, domain::CredentialToJson);
      break;
    case 7:
      RoundTrip(json, domain::ComplaintFromJson, domain::ComplaintToJson);
      break;
    case 8:
      RoundTrip(json, domain::FundingReportFromJson,
                domain::FundingReportToJson);
      break;
    case 9:
      RoundTrip(json, domain::AssignmentAckFromJson,
                domain::AssignmentAckToJson);
      break;
    case 10: {
      absl::StatusOr<domain::Fields> fields = domain::FieldsOfJson(json);
      if (!fields.ok()) {
        TASKGATE_FUZZ_CHECK(absl::IsInvalidArgument(fields.status()),
                            fields.status());
      }
      break;
    }
    default: {
      absl::StatusOr<absl::CivilDay> day = domain::ParseCivilDay(json);
      if (day.ok()) {
        TASKGATE_FUZZ_CHECK(domain::FormatCivilDay(*day) == json, "parsed as ",
                            domain::FormatCivilDay(*day));
      }
      break;
    }
  }
  return 0;
}
