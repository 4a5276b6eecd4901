// The JSON writer's json.dumps options and hooks (value/json.h), as Jinja's tojson uses them.
#include "value/json.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/json.h"

namespace herald {
namespace {

using herald::testing::J;

TEST(JsonDump, SortKeysOrdersByCodePoint) {
  JsonDumpOptions o;
  o.sort_keys = true;
  EXPECT_EQ(DumpJson(J(R"({"b": 1, "\u00e9": 2, "a": {"z": 1, "y": 2}, "B": 3})"), o),
            R"({"B": 3, "a": {"y": 2, "z": 1}, "b": 1, "\u00e9": 2})");
  Dict mixed;
  mixed.set_item(Value(2), 1);
  mixed.set_item(Value(1.5), 2);
  mixed.set_item(Value(true), 3);
  EXPECT_EQ(DumpJson(Value(std::move(mixed)), o), R"({"true": 3, "1.5": 2, "2": 1})");
}

TEST(JsonDump, HtmlSafeEscapesMarkupCharacters) {
  JsonDumpOptions o;
  o.html_safe = true;
  EXPECT_EQ(DumpJson(Value("<a href='x'>&</a>"), o),
            R"("\u003ca href=\u0027x\u0027\u003e\u0026\u003c/a\u003e")");
}

TEST(JsonDump, CheckCircularFindsAContainerInsideItself) {
  Value list{List{}};
  list.as_list().push_back(Value(1));
  JsonDumpOptions o;
  o.check_circular = true;
  EXPECT_EQ(DumpJson(Value(List{list, list}), o), "[[1], [1]]");  // shared, not circular
  list.as_list().push_back(list);
  EXPECT_THROW(DumpJson(list, o), JsonCircularError);
  list.as_list().clear();  // break the cycle so the list can be freed
}

// Records what the writer asks of its hooks and answers like a json.JSONEncoder subclass.
class RecordingHooks : public JsonHooks {
 public:
  void Object(std::string& out, const Value& v, const JsonDumpOptions& o) const override {
    out += "\"obj\"";
  }
  std::string Key(const Value& key) const override {
    return "k" + std::to_string(key.repr().size());
  }
  void Grow(size_t bytes) const override {
    if (bytes > limit) throw std::length_error("too long");
    grown.push_back(bytes);
  }
  size_t limit = SIZE_MAX;
  mutable std::vector<size_t> grown;
};

TEST(JsonDump, HooksWriteKeysAndSeeTheOutputGrow) {
  RecordingHooks hooks;
  JsonDumpOptions o;
  o.hooks = &hooks;
  Dict d;
  d.set_item(Value::MakeTuple({1, 2}), Value(List{Value(1), Value(22)}));
  EXPECT_EQ(DumpJson(Value(std::move(d)), o), R"({"k6": [1, 22]})");
  // After each list item, the closed list, the dict item and the closed dict.
  EXPECT_EQ(hooks.grown, (std::vector<size_t>{9, 13, 14, 14, 15}));
  hooks.limit = 5;  // "[1, 2" is 5 bytes: the third item is too many
  EXPECT_THROW(DumpJson(J("[1, 2, 3]"), o), std::length_error);
}

TEST(JsonDump, GrowIsAskedBeforeEachIndentIsWritten) {
  RecordingHooks hooks;
  hooks.limit = 5;
  JsonDumpOptions o;
  o.hooks = &hooks;
  o.indent = 1000;
  EXPECT_THROW(DumpJson(J("[1]"), o), std::length_error);  // before 1000 spaces are written
}

TEST(StrictJson, RefusesFloatsThatAreNotFiniteAndKeepsTheRest) {
  for (const char* bad :
       {"NaN", "[1, Infinity]", R"({"a": {"b": -Infinity}})", "1e400", R"({"x": [-1e999]})"}) {
    auto v = ParseStrictJson(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().ToString(), "ValueError: Out of range float values are not JSON compliant")
        << bad;
    EXPECT_TRUE(ParseJson(bad).ok()) << "ingest's parser takes it, as Python's json.loads: " << bad;
  }
  auto big = ParseStrictJson(R"({"n": 123456789012345678901234567890, "f": 1.5e300})");
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(DumpJson(*big), R"({"n": 123456789012345678901234567890, "f": 1.5e+300})");
  EXPECT_EQ(ParseStrictJson("{").status().ToString(), ParseJson("{").status().ToString());
}

}  // namespace
}  // namespace herald
