// api/errors.h: every Code's HTTP status and NetBox error body, field errors as 400 bodies keyed
// by field (whatever the message says), and the form errors the UI shows.
#include "api/errors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "value/json.h"

namespace herald {
namespace {

std::string Body(const Status& st) { return DumpJsonCompact(ErrorBody(st)); }

TEST(HttpErrors, EveryCodeWithoutAFieldHasItsStatusAndADetailBody) {
  struct Case {
    Code code;
    int status;
  };
  const std::vector<Case> cases = {
      {Code::kInvalidArgument, 400},  {Code::kNotFound, 404},
      {Code::kConflict, 409},         {Code::kResourceExhausted, 500},
      {Code::kDeadlineExceeded, 500}, {Code::kUnavailable, 500},
      {Code::kConfig, 500},           {Code::kUnsupported, 500},
      {Code::kInternal, 500},
  };
  for (const Case& c : cases) {
    Status st(c.code, "it went wrong");
    EXPECT_EQ(HttpStatusFor(st), c.status) << CodeName(c.code);
    EXPECT_EQ(Body(st), R"({"detail":"it went wrong"})") << CodeName(c.code);
  }
  EXPECT_EQ(HttpStatusFor(Status::Ok()), 200);
}

TEST(HttpErrors, ALabelChangesNeitherStatusNorBody) {
  Status st = Status::Error(Code::kInvalidArgument, "ValueError", "bad input");
  EXPECT_EQ(HttpStatusFor(st), 400);
  EXPECT_EQ(Body(st), R"({"detail":"bad input"})");
}

TEST(HttpErrors, FieldErrorsAre400WithOneListPerField) {
  // A conflict on a field is a validation error to NetBox clients: 400, keyed by the field.
  Status taken = Status::Conflict("name", "webhook with this name already exists.");
  EXPECT_EQ(HttpStatusFor(taken), 400);
  EXPECT_EQ(Body(taken), R"({"name":["webhook with this name already exists."]})");

  Status missing = Status::Invalid("action_object_id", "Webhook 7 does not exist.");
  EXPECT_EQ(HttpStatusFor(missing), 400);
  EXPECT_EQ(Body(missing), R"({"action_object_id":["Webhook 7 does not exist."]})");

  Status several = Status::Invalid(
      FieldErrors{{"name", {"This field is required."}},
                  {"payload_url", {"Enter a valid URL.", "Ensure this field has no more."}}});
  EXPECT_EQ(HttpStatusFor(several), 400);
  EXPECT_EQ(Body(several),
            R"({"name":["This field is required."],)"
            R"("payload_url":["Enter a valid URL.","Ensure this field has no more."]})");
}

TEST(HttpErrors, TheFieldDecidesNotTheMessage) {
  // Messages that name other fields stay on the field the error carries.
  Status on_target = Status::Conflict("action_object_id", "action_object_id 7 names no webhook.");
  EXPECT_EQ(Body(on_target), R"({"action_object_id":["action_object_id 7 names no webhook."]})");
  Status on_name = Status::Conflict("name", "names a webhook that is gone");
  EXPECT_EQ(Body(on_name), R"({"name":["names a webhook that is gone"]})");
}

TEST(FormErrors, FieldErrorsOrTheMessageAsANonFieldError) {
  EXPECT_TRUE(FormErrors(Status::Ok()).empty());
  FieldErrors on_name = FormErrors(Status::Conflict("name", "taken"));
  ASSERT_EQ(on_name.size(), 1u);
  EXPECT_EQ(on_name[0].first, "name");
  EXPECT_EQ(on_name[0].second, std::vector<std::string>{"taken"});
  FieldErrors general = FormErrors(Status(Code::kUnavailable, "the store is closed"));
  ASSERT_EQ(general.size(), 1u);
  EXPECT_EQ(general[0].first, "non_field_errors");
  EXPECT_EQ(general[0].second, std::vector<std::string>{"the store is closed"});
}

}  // namespace
}  // namespace herald
