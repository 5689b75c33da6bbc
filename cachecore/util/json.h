// Writing JSON text: string escaping and a one-line object builder, for stats output, daemon
// status and audit events. (Nothing in zcwrap parses JSON.)
//
//   zc::util::JsonObject o;
//   o.Add("event", "cache.hit").Add("bytes", uint64_t{42}).AddRaw("host", inner.Take());
//   std::string line = o.Take();   // {"event":"cache.hit","bytes":42,"host":{...}}
#ifndef ZCWRAP_CACHECORE_UTIL_JSON_H_
#define ZCWRAP_CACHECORE_UTIL_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zc::util {

// `s` as the inside of a JSON string: quotes, backslashes and control characters escaped. Bytes
// >= 0x80 pass through (callers give UTF-8).
std::string JsonEscape(absl::string_view s);

class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, absl::string_view value);
  JsonObject& Add(absl::string_view key, const char* value) {
    return Add(key, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view key, int64_t value);
  JsonObject& Add(absl::string_view key, uint64_t value);
  JsonObject& Add(absl::string_view key, int value) { return Add(key, int64_t{value}); }
  JsonObject& AddBool(absl::string_view key, bool value);
  JsonObject& AddNull(absl::string_view key);
  // `json` must already be valid JSON text (an object, array, number...).
  JsonObject& AddRaw(absl::string_view key, absl::string_view json);
  bool empty() const { return text_.empty(); }
  // The object's text; the builder is left empty.
  std::string Take();

 private:
  void Key(absl::string_view key);
  std::string text_;
};

// A JSON array of strings.
std::string JsonStringArray(const std::vector<std::string>& items);

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_JSON_H_
