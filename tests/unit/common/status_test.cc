// common/status.h: codes, labels, fields and the text a Status prints.
#include "common/status.h"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(Status, OkHasNoCodeMessageOrField) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.code(), Code::kOk);
  EXPECT_EQ(st.message(), "");
  EXPECT_EQ(st.label(), "");
  EXPECT_EQ(st.field(), "");
  EXPECT_TRUE(st.field_errors().empty());
  EXPECT_EQ(st.ToString(), "OK");
}

TEST(Status, ToStringShowsTheLabelWhenThereIsOneElseTheCode) {
  Status labelled = Status::Error(Code::kInvalidArgument, "ValueError", "bad input");
  EXPECT_FALSE(labelled.ok());
  EXPECT_EQ(labelled.code(), Code::kInvalidArgument);
  EXPECT_EQ(labelled.label(), "ValueError");
  EXPECT_EQ(labelled.ToString(), "ValueError: bad input");
  EXPECT_EQ(Status(Code::kUnavailable, "disk full").ToString(), "Unavailable: disk full");
  EXPECT_EQ(Status::Invalid("name", "This field is required.").ToString(),
            "InvalidArgument: name: This field is required.");
}

TEST(Status, FieldErrorsKeepTheirOrderAndTheFirstIsTheField) {
  Status st = Status::Invalid(FieldErrors{{"payload_url", {"a", "b"}}, {"name", {"c"}}});
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.field(), "payload_url");
  EXPECT_EQ(st.message(), "a");
  ASSERT_EQ(st.field_errors().size(), 2u);
  EXPECT_EQ(st.field_errors()[1].first, "name");
  Status conflict = Status::Conflict("name", "taken");
  EXPECT_EQ(conflict.code(), Code::kConflict);
  EXPECT_EQ(conflict.field(), "name");
  EXPECT_EQ(conflict.message(), "taken");
}

TEST(Status, CopiesAndResultsCarryTheWholeError) {
  Status st = Status::Conflict("name", "taken");
  Status copy = st;
  EXPECT_EQ(copy.field(), "name");
  Result<int> r = copy;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  Result<int> v = 3;
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
}

TEST(Status, EveryCodeHasADistinctName) {
  const Code all[] = {Code::kOk,
                      Code::kInvalidArgument,
                      Code::kNotFound,
                      Code::kConflict,
                      Code::kResourceExhausted,
                      Code::kDeadlineExceeded,
                      Code::kUnavailable,
                      Code::kConfig,
                      Code::kUnsupported,
                      Code::kInternal};
  for (Code a : all)
    for (Code b : all)
      if (a != b) EXPECT_NE(CodeName(a), CodeName(b));
}

}  // namespace
}  // namespace herald
