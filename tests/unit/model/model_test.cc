// The names of task statuses and token scopes (model/model.h), as stored and shown by the API:
// each name parses back to its value, and nothing else parses.
#include "model/model.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(TaskStatus, NamesRoundTrip) {
  struct Case {
    TaskStatus status;
    const char* name;
  };
  for (const Case& c :
       {Case{TaskStatus::kQueued, "queued"}, Case{TaskStatus::kStarted, "started"},
        Case{TaskStatus::kScheduled, "scheduled"}, Case{TaskStatus::kFinished, "finished"},
        Case{TaskStatus::kFailed, "failed"}}) {
    EXPECT_STREQ(TaskStatusName(c.status), c.name);
    EXPECT_EQ(ParseTaskStatus(c.name), c.status) << c.name;
  }
  for (const char* bad : {"", "Queued", "FAILED", "all", "deferred", "finished "})
    EXPECT_FALSE(ParseTaskStatus(bad).has_value()) << bad;
}

TEST(TokenScope, NamesRoundTrip) {
  for (TokenScope s : {TokenScope::kAdmin, TokenScope::kReadOnly, TokenScope::kIngestOnly})
    EXPECT_EQ(ParseTokenScope(TokenScopeName(s)), s) << TokenScopeName(s);
  EXPECT_STREQ(TokenScopeName(TokenScope::kReadOnly), "read-only");
  EXPECT_STREQ(TokenScopeName(TokenScope::kIngestOnly), "ingest-only");
}

TEST(Records, DefaultsFollowNetBox) {
  // SPEC 1 and 2: a new webhook posts JSON with TLS verification; a new rule is an enabled
  // webhook action without conditions.
  Webhook w;
  EXPECT_EQ(w.http_method, "POST");
  EXPECT_EQ(w.http_content_type, "application/json");
  EXPECT_TRUE(w.ssl_verification);
  EXPECT_FALSE(w.timeout.has_value());
  EventRule r;
  EXPECT_TRUE(r.enabled);
  EXPECT_TRUE(r.conditions.is_none());
  EXPECT_EQ(r.action_type, "webhook");
  EXPECT_EQ(r.action_object_type, "extras.webhook");
  EXPECT_FALSE(r.action_object_id.has_value());
  Task t;
  EXPECT_EQ(t.status, TaskStatus::kQueued);
  EXPECT_EQ(t.attempts, 0);
}

}  // namespace
}  // namespace herald
