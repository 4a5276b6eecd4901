// The value functions a template can reach (repr, ==, ordering, hashing, JSON dump, destruction)
// never recurse without bound: self-references print Python's markers, identity short-cuts
// equality, and walks past the depth bound throw ValueDepthError instead of overflowing the stack.
#include <gtest/gtest.h>
#include <pthread.h>

#include <iostream>

#include "jinja/jinja.h"
#include "value/json.h"
#include "value/value.h"

namespace herald {
namespace {

Value SelfList() {
  Value a = Value(List{});
  a.as_list().push_back(a);
  return a;
}

// A list nested n levels: [[[...[]...]]].
Value Nested(int n) {
  Value v = Value(List{});
  for (int i = 0; i < n; ++i) v = Value(List{v});
  return v;
}

TEST(ValueBounds, SelfReferencesPrintPythonsMarkers) {
  Value a = SelfList();
  EXPECT_EQ(a.repr(), "[[...]]");
  Value d = Value::MakeDict();
  d.as_dict().set("x", d);
  EXPECT_EQ(d.repr(), "{'x': {...}}");
  Value n = Value(List{Value(Dict())});
  n.as_list()[0].as_dict().set("l", n);
  EXPECT_EQ(n.repr(), "[{'l': [...]}]");
  // Break the cycles so the test does not leak.
  a.as_list().clear();
  d.as_dict().clear();
  n.as_list().clear();
}

TEST(ValueBounds, IdentityShortCutsEqualityAndDistinctCyclesHitTheBound) {
  Value a = SelfList(), b = SelfList();
  EXPECT_TRUE(PyEquals(a, a));
  EXPECT_THROW(PyEquals(a, b), ValueDepthError);
  EXPECT_THROW(PyHash(a), ValueDepthError);
  EXPECT_THROW(DumpJson(a), ValueDepthError);
  a.as_list().clear();
  b.as_list().clear();
}

TEST(ValueBounds, DeepStructuresThrowInsteadOfOverflowing) {
  Value deep = Nested(100000);
  EXPECT_THROW(deep.repr(), ValueDepthError);
  Value other = Nested(100000);
  EXPECT_THROW(PyEquals(deep, other), ValueDepthError);
  EXPECT_THROW((void)PyCompare(deep, other, "<"), ValueDepthError);
  EXPECT_THROW(DumpJson(deep), ValueDepthError);
  // Within the bound everything works.
  Value shallow = Nested(50);
  EXPECT_TRUE(PyEquals(shallow, Nested(50)));
  EXPECT_EQ(shallow.repr().size(), 102u);
}

TEST(ValueBounds, TheRenderBoundIsPythonsRecursionLimit) {
  ValueDepthScope scope(kMaxValueDepth);
  EXPECT_NO_THROW(Nested(kMaxValueDepth - 2).repr());
  EXPECT_THROW(Nested(kMaxValueDepth + 1).repr(), ValueDepthError);
}

TEST(ValueBounds, ReprSizeBoundHoldsWhileBuilding) {
  ValueDepthScope scope(kMaxValueDepth, 1000);
  Value big = Value(List(1000, Value(std::string(100, 'x'))));
  EXPECT_THROW(big.repr(), ValueSizeError);
}

TEST(ValueBounds, DestroyingAMillionLevelsDoesNotRecurse) {
  // Lists, dicts and both mixed; each freed when the last reference goes.
  { Value v = Nested(1000000); }
  {
    Value v = Value::MakeDict();
    for (int i = 0; i < 1000000; ++i) {
      Dict d;
      d.set("k", v);
      v = Value(std::move(d));
    }
  }
  {
    Value v = Value(List{});
    for (int i = 0; i < 500000; ++i) {
      Dict d;
      d.set_item(Value::MakeTuple({Value(i)}), Value(List{v}));
      v = Value(std::move(d));
    }
  }
  SUCCEED();
}

// On a thread with a small stack the walks stop at the stack headroom (ValueDepthError) instead of
// running off its end; which of them fit depends on the compiler's frame sizes, so the test only
// requires that the thread survives (without the headroom check it dies with SIGSEGV).
TEST(ValueBounds, SmallStacksAreRespected) {
  struct Job {
    Value deep = Nested(kDefaultMaxValueDepth - 10);
    Value other = Nested(kDefaultMaxValueDepth - 10);
    int errors = 0;
  } job;
  auto run = [](void* arg) -> void* {
    Job* j = static_cast<Job*>(arg);
    try {
      (void)j->deep.repr();
    } catch (const ValueDepthError&) {
      ++j->errors;
    }
    try {
      (void)PyEquals(j->deep, j->other);
    } catch (const ValueDepthError&) {
      ++j->errors;
    }
    try {
      (void)DumpJson(j->deep);
    } catch (const ValueDepthError&) {
      ++j->errors;
    }
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 192 << 10);
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, &attr, run, &job), 0);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_LE(job.errors, 3);
  std::cout << job.errors << " of 3 walks stopped at the headroom\n";
}

TEST(ValueBounds, TemplatesSeeRecursionErrorsNotCrashes) {
  jinja::Environment env;
  auto r = env.Render(
      "{% set a = [] %}{% set _ = a.append(a) %}{% set b = [] %}{% set _ = b.append(b) %}{{ a }} "
      "{{ a == a }} {{ a == b }}",
      Value::MakeDict());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, "RecursionError");
  EXPECT_EQ(r.error().message, "maximum recursion depth exceeded in comparison");
  r = env.Render(
      "{% set a = [] %}{% set _ = a.append(a) %}{{ a }} {{ a == a }} {{ a|sort }} {{ a in a }}",
      Value::MakeDict());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), "[[...]] True [[[...]]] True");
}

}  // namespace
}  // namespace herald
