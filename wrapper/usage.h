// What zcwrap's options, settings and variables are, written once: `zcwrap --help` and the man
// page (wrapper/zcwrap.1.in, filled in at build time by make_manpage) both come from here, and a
// test checks that every --help row is in the installed page.
//
//   std::string help = zc::wrapper::UsageText();
//   absl::StatusOr<std::string> page = zc::wrapper::ManPage(template_text, "0.1.0");
#ifndef ZCWRAP_WRAPPER_USAGE_H_
#define ZCWRAP_WRAPPER_USAGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace zc::wrapper {

// One command-line option, in the order --help lists them.
struct OptionDoc {
  absl::string_view names;    // "-s, --show-stats"
  absl::string_view args;     // "[--json] OBJECT"; may be empty
  absl::string_view summary;  // the --help line
  absl::string_view details;  // more for the man page; may be empty
};
absl::Span<const OptionDoc> OptionDocs();

// One environment variable: every setting's ZCWRAP_* variable (cachecore/config), then the ones
// that are not settings.
struct VariableDoc {
  std::string name;
  std::string default_value;  // empty: unset
  std::string description;
};
std::vector<VariableDoc> VariableDocs();

// `zcwrap --help`.
std::string UsageText();

// The man page: `source` with @VERSION@, @OPTIONS@, @CONFIGURATION@ and @ENVIRONMENT@ replaced
// by troff made from the tables above. InvalidArgument if one of them is missing from `source`.
absl::StatusOr<std::string> ManPage(absl::string_view source, absl::string_view version);

}  // namespace zc::wrapper

#endif  // ZCWRAP_WRAPPER_USAGE_H_
