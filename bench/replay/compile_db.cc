#include "bench/replay/compile_db.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cachecore/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace zc::bench {
namespace {

using Json = nlohmann::json;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

absl::Status EntryError(size_t index, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("entry ", index, ": ", what));
}

// The string member `key` of `entry`, or an error naming the entry.
absl::StatusOr<std::string> StringMember(const Json& entry, size_t index, const char* key) {
  auto it = entry.find(key);
  if (it == entry.end()) return EntryError(index, absl::StrCat("no \"", key, "\""));
  if (!it->is_string()) return EntryError(index, absl::StrCat("\"", key, "\" is not a string"));
  return it->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> Arguments(const Json& entry, size_t index) {
  if (auto it = entry.find("arguments"); it != entry.end()) {
    if (!it->is_array()) return EntryError(index, "\"arguments\" is not an array");
    if (it->empty()) return EntryError(index, "\"arguments\" is empty");
    std::vector<std::string> args;
    args.reserve(it->size());
    for (const Json& arg : *it) {
      if (!arg.is_string()) return EntryError(index, "\"arguments\" holds a non-string");
      args.push_back(arg.get<std::string>());
    }
    return args;
  }
  if (auto it = entry.find("command"); it != entry.end()) {
    if (!it->is_string()) return EntryError(index, "\"command\" is not a string");
    absl::StatusOr<std::vector<std::string>> args =
        SplitCommandLine(it->get_ref<const std::string&>());
    if (!args.ok())
      return EntryError(index, absl::StrCat("\"command\": ", args.status().message()));
    if (args->empty()) return EntryError(index, "\"command\" is empty");
    return args;
  }
  return EntryError(index, "neither \"arguments\" nor \"command\"");
}

absl::StatusOr<CompileCommand> ParseEntry(const Json& entry, size_t index,
                                          absl::string_view base_directory) {
  if (!entry.is_object()) return EntryError(index, "not an object");
  CompileCommand command;
  ZC_ASSIGN_OR_RETURN(command.directory, StringMember(entry, index, "directory"));
  if (command.directory.empty()) return EntryError(index, "\"directory\" is empty");
  if (command.directory.front() != '/') {
    command.directory = absl::StrCat(base_directory, "/", command.directory);
  }
  ZC_ASSIGN_OR_RETURN(command.file, StringMember(entry, index, "file"));
  ZC_ASSIGN_OR_RETURN(command.arguments, Arguments(entry, index));
  if (entry.contains("output")) {
    ZC_ASSIGN_OR_RETURN(command.output, StringMember(entry, index, "output"));
  }
  return command;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = absl::StrCat(path, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(message) : absl::InvalidArgumentError(message);
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCommandLine(absl::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has started (possibly empty, as in '' or "")
  size_t i = 0;
  while (i < command.size()) {
    char c = command[i];
    if (IsBlank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) return absl::InvalidArgumentError("trailing backslash");
      if (command[i + 1] != '\n') {  // backslash-newline: a line continuation, no character
        word.push_back(command[i + 1]);
        in_word = true;
      }
      i += 2;
    } else if (c == '\'') {
      size_t end = command.find('\'', i + 1);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError("unterminated single quote");
      }
      word.append(command.data() + i + 1, end - i - 1);
      in_word = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < command.size()) {
        char q = command[i];
        if (q == '"') {
          closed = true;
          ++i;
          break;
        }
        if (q == '\\' && i + 1 < command.size()) {
          char next = command[i + 1];
          if (next == '$' || next == '`' || next == '"' || next == '\\') {
            word.push_back(next);
            i += 2;
            continue;
          }
          if (next == '\n') {
            i += 2;
            continue;
          }
        }
        word.push_back(q);
        ++i;
      }
      if (!closed) return absl::InvalidArgumentError("unterminated double quote");
      in_word = true;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

absl::StatusOr<std::vector<CompileCommand>> ParseCompileDatabase(absl::string_view json_text,
                                                                 absl::string_view base_directory) {
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON: ", e.what()));
  }
  if (!root.is_array()) return absl::InvalidArgumentError("the top level is not an array");
  std::vector<CompileCommand> commands;
  commands.reserve(root.size());
  for (size_t i = 0; i < root.size(); ++i) {
    ZC_ASSIGN_OR_RETURN(CompileCommand command, ParseEntry(root[i], i, base_directory));
    commands.push_back(std::move(command));
  }
  return commands;
}

std::string OutputPath(const CompileCommand& command) {
  std::string output = command.output;
  if (output.empty()) {
    const std::vector<std::string>& args = command.arguments;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "-o" && i + 1 < args.size()) {
        output = args[++i];
      } else if (args[i].size() > 2 && args[i].compare(0, 2, "-o") == 0) {
        output = args[i].substr(2);
      }
    }
  }
  if (output.empty() || output.front() == '/') return output;
  return absl::StrCat(command.directory, "/", output);
}

absl::StatusOr<std::vector<CompileCommand>> LoadCompileDatabase(const std::string& path) {
  ZC_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  std::string absolute = path;
  if (absolute.empty() || absolute.front() != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) {
      return absl::InternalError(absl::StrCat("getcwd: ", std::strerror(errno)));
    }
    absolute = absl::StrCat(cwd, "/", path);
  }
  size_t slash = absolute.rfind('/');
  std::string base = slash == 0 ? std::string("/") : absolute.substr(0, slash);
  absl::StatusOr<std::vector<CompileCommand>> commands = ParseCompileDatabase(text, base);
  if (!commands.ok()) {
    return absl::Status(commands.status().code(),
                        absl::StrCat(path, ": ", commands.status().message()));
  }
  return commands;
}

}  // namespace zc::bench
