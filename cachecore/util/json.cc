#include "cachecore/util/json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zc::util {

std::string JsonEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void JsonObject::Key(absl::string_view key) {
  text_ += text_.empty() ? "{\"" : ",\"";
  text_ += JsonEscape(key);
  text_ += "\":";
}

JsonObject& JsonObject::Add(absl::string_view key, absl::string_view value) {
  Key(key);
  absl::StrAppend(&text_, "\"", JsonEscape(value), "\"");
  return *this;
}

JsonObject& JsonObject::Add(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&text_, value);
  return *this;
}

JsonObject& JsonObject::Add(absl::string_view key, uint64_t value) {
  Key(key);
  absl::StrAppend(&text_, value);
  return *this;
}

JsonObject& JsonObject::AddBool(absl::string_view key, bool value) {
  Key(key);
  text_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::AddNull(absl::string_view key) {
  Key(key);
  text_ += "null";
  return *this;
}

JsonObject& JsonObject::AddRaw(absl::string_view key, absl::string_view json) {
  Key(key);
  text_.append(json.data(), json.size());
  return *this;
}

std::string JsonObject::Take() {
  std::string out = text_.empty() ? "{}" : std::move(text_) + "}";
  text_.clear();
  return out;
}

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    absl::StrAppend(&out, i ? ",\"" : "\"", JsonEscape(items[i]), "\"");
  }
  out += "]";
  return out;
}

}  // namespace zc::util
