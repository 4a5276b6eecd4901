#include "value/value.h"

#include <gtest/gtest.h>

#include <cmath>

#include "value/json.h"

namespace herald {
namespace {

TEST(Value, FloatReprMatchesPython) {
  EXPECT_EQ(FloatRepr(1.0), "1.0");
  EXPECT_EQ(FloatRepr(1e16), "1e+16");
  EXPECT_EQ(FloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(FloatRepr(1e-5), "1e-05");
  EXPECT_EQ(FloatRepr(0.0001), "0.0001");
  EXPECT_EQ(FloatRepr(-0.0), "-0.0");
  EXPECT_EQ(FloatRepr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FloatRepr(40.7128), "40.7128");
  EXPECT_EQ(FloatRepr(1.5e300), "1.5e+300");
  EXPECT_EQ(FloatRepr(123456.789), "123456.789");
  EXPECT_EQ(FloatRepr(INFINITY), "inf");
  EXPECT_EQ(FloatRepr(NAN), "nan");
}

TEST(Value, ReprOfContainers) {
  Dict d;
  d.set("a", 1);
  d.set("b", Value(List{Value(), true}));
  EXPECT_EQ(Value(std::move(d)).repr(), "{'a': 1, 'b': [None, True]}");
  EXPECT_EQ(Value(List{Value("it's")}).repr(), "[\"it's\"]");
  EXPECT_EQ(Value(List{Value("\xc2\xa0")}).repr(), "['\\xa0']");
  EXPECT_EQ(Value::MakeTuple({1}).repr(), "(1,)");
  EXPECT_EQ(Value("a\nb").repr(), "'a\\nb'");
  EXPECT_EQ(Value("\xc3\xa9").repr(), "'\xc3\xa9'");
}

TEST(Value, PythonEquality) {
  EXPECT_TRUE(PyEquals(Value(true), Value(1)));
  EXPECT_TRUE(PyEquals(Value(1), Value(1.0)));
  EXPECT_FALSE(PyEquals(Value("1"), Value(1)));
  EXPECT_FALSE(PyEquals(Value(List{}), Value::MakeTuple({})));
  auto r = PyCompare(Value("a"), Value(1), "<");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "'<' not supported between instances of 'str' and 'int'");
}

TEST(Value, DictKeepsFirstPositionOnReassign) {
  Dict d;
  for (int i = 0; i < 20; ++i) d.set(std::to_string(i), i);
  d.set("3", 99);
  EXPECT_EQ(d.entries()[3].second.as_int(), 99);
  EXPECT_EQ(d.find("3")->as_int(), 99);
  EXPECT_EQ(d.find("19")->as_int(), 19);
  EXPECT_EQ(d.find_item(Value(1)), nullptr);
}

TEST(Json, ParseKeepsTypesAndOrder) {
  auto v = ParseJson(R"({"b": 1, "a": 1.0, "c": [true, null, "x"], "b": 2})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DumpJson(*v), R"({"b": 2, "a": 1.0, "c": [true, null, "x"]})");
  EXPECT_FALSE(ParseJson("{").ok());
}

TEST(Json, DumpsLikePython) {
  auto v = ParseJson(R"({"name": "Site é", "emoji": "😀", "ctl": "\u0001", "lat": 40.7128})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(DumpJson(*v),
            R"({"name": "Site \u00e9", "emoji": "\ud83d\ude00", "ctl": "\u0001", "lat": 40.7128})");
  JsonDumpOptions pretty;
  pretty.indent = 4;
  auto p = ParseJson(R"({"ok": true, "l": [1, 2], "e": {}})");
  EXPECT_EQ(DumpJson(*p, pretty),
            "{\n    \"ok\": true,\n    \"l\": [\n        1,\n        2\n    ],\n    \"e\": {}\n}");
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {
TEST(Json, CompactOutputStaysValidUtf8) {
  std::string bad = "ok \xff\xfe end";
  std::string out = DumpJsonCompact(Value(bad));
  EXPECT_EQ(out, "\"ok \xef\xbf\xbd\xef\xbf\xbd end\"");
  EXPECT_TRUE(ParseJson(out).ok());
}
}  // namespace
}  // namespace herald

namespace herald {
namespace {
TEST(Value, LargeDictLookupsEraseAndNonStringKeys) {
  Dict d;
  for (int i = 0; i < 1000; ++i) d.set("k" + std::to_string(i), i);
  for (int i = 0; i < 100; ++i) d.set_item(Value(i), i * 2);
  d.set_item(Value(1.0), 7);  // 1.0 == 1: replaces the int key 1
  EXPECT_EQ(d.size(), 1100u);
  EXPECT_EQ(d.find_item(Value(1))->as_int(), 7);
  EXPECT_TRUE(d.erase("k500"));
  EXPECT_FALSE(d.erase("k500"));
  EXPECT_EQ(d.find("k500"), nullptr);
  EXPECT_EQ(d.find("k999")->as_int(), 999);
  EXPECT_EQ(d.find_item(Value(99))->as_int(), 198);
  EXPECT_EQ(d.entries()[500].first.as_str(), "k501") << "order kept after erase";
}
}  // namespace
}  // namespace herald

namespace herald {
namespace {
TEST(Json, DelIsEscapedWithEnsureAscii) {
  EXPECT_EQ(DumpJson(Value("a\x7f")), "\"a\\u007f\"");
  EXPECT_EQ(DumpJsonCompact(Value("a\x7f")), "\"a\x7f\"");
}
}  // namespace
}  // namespace herald
