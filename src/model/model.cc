#include "model/model.h"

namespace herald {

const char* TaskStatusName(TaskStatus s) {
  switch (s) {
    case TaskStatus::kQueued: return "queued";
    case TaskStatus::kStarted: return "started";
    case TaskStatus::kScheduled: return "scheduled";
    case TaskStatus::kFinished: return "finished";
    case TaskStatus::kFailed: return "failed";
  }
  return "queued";
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view name) {
  if (name == "queued") return TaskStatus::kQueued;
  if (name == "started") return TaskStatus::kStarted;
  if (name == "scheduled") return TaskStatus::kScheduled;
  if (name == "finished") return TaskStatus::kFinished;
  if (name == "failed") return TaskStatus::kFailed;
  return std::nullopt;
}

std::optional<TokenScope> ParseTokenScope(std::string_view name) {
  if (name == "admin") return TokenScope::kAdmin;
  if (name == "read-only") return TokenScope::kReadOnly;
  if (name == "ingest-only") return TokenScope::kIngestOnly;
  return std::nullopt;
}

const char* TokenScopeName(TokenScope s) {
  switch (s) {
    case TokenScope::kAdmin: return "admin";
    case TokenScope::kReadOnly: return "read-only";
    case TokenScope::kIngestOnly: return "ingest-only";
  }
  return "admin";
}

}  // namespace herald
