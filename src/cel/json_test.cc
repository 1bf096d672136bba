// See json.h and cel.h (ToJson).
#include "cel/json.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/time/time.h"
#include "cel/cel.h"
#include "gtest/gtest.h"

namespace retro::cel {
namespace {

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

Value MustParse(std::string_view json, Arena& arena) {
  absl::StatusOr<Value> v = ParseJson(json, arena);
  EXPECT_TRUE(v.ok()) << json << ": " << Message(v.status());
  return v.ok() ? *v : Value::Null();
}

std::string MustJson(const Value& v) {
  std::string out;
  EXPECT_TRUE(ToJson(v, &out)) << v.DebugString();
  return out;
}

TEST(ParseJsonTest, ScalarsBecomeTheirCelKinds) {
  Arena arena;
  EXPECT_EQ(MustParse("null", arena).kind(), Kind::kNull);
  Value t = MustParse("true", arena);
  ASSERT_EQ(t.kind(), Kind::kBool);
  EXPECT_TRUE(t.bool_value());
  Value s = MustParse(R"("a\"b\u00e9")", arena);
  ASSERT_EQ(s.kind(), Kind::kString);
  EXPECT_EQ(s.string_value(), "a\"b\xc3\xa9");
}

TEST(ParseJsonTest, IntegersWithoutFractionAreInts) {
  Arena arena;
  Value i = MustParse("42", arena);
  ASSERT_EQ(i.kind(), Kind::kInt);
  EXPECT_EQ(i.int_value(), 42);
  Value neg = MustParse("-9223372036854775808", arena);
  ASSERT_EQ(neg.kind(), Kind::kInt);
  EXPECT_EQ(neg.int_value(), std::numeric_limits<int64_t>::min());
}

TEST(ParseJsonTest, FractionsExponentsAndHugeIntegersAreDoubles) {
  Arena arena;
  Value f = MustParse("1.0", arena);
  ASSERT_EQ(f.kind(), Kind::kDouble);
  EXPECT_EQ(f.double_value(), 1.0);
  Value e = MustParse("2e3", arena);
  ASSERT_EQ(e.kind(), Kind::kDouble);
  EXPECT_EQ(e.double_value(), 2000.0);
  Value u = MustParse("18446744073709551615", arena);
  ASSERT_EQ(u.kind(), Kind::kDouble);
  EXPECT_EQ(u.double_value(), 18446744073709551615.0);
  Value big = MustParse("[100000000000000000000000]", arena);
  ASSERT_EQ(big.kind(), Kind::kList);
  ASSERT_EQ(big.list()[0].kind(), Kind::kDouble);
  EXPECT_EQ(big.list()[0].double_value(), 1e23);
}

TEST(ParseJsonTest, ObjectsBecomeMapsAndArraysLists) {
  Arena arena;
  Value v =
      MustParse(R"({"a": [1, "x", {"b": null}], "c": {}, "d": []})", arena);
  ASSERT_EQ(v.kind(), Kind::kMap);
  EXPECT_EQ(v.map().size, 3u);
  const Value* a = v.map().FindString("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->kind(), Kind::kList);
  ASSERT_EQ(a->list().size(), 3u);
  EXPECT_EQ(a->list()[0].int_value(), 1);
  EXPECT_EQ(a->list()[1].string_value(), "x");
  ASSERT_EQ(a->list()[2].kind(), Kind::kMap);
  const Value* b = a->list()[2].map().FindString("b");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->is_null());
  EXPECT_EQ(v.map().FindString("c")->map().size, 0u);
  EXPECT_EQ(v.map().FindString("d")->list().size(), 0u);
}

TEST(ParseJsonTest, LargeObjectsAreIndexed) {
  Arena arena;
  std::string json = "{";
  for (int i = 0; i < 50; ++i) {
    if (i > 0) json += ",";
    json += "\"k" + std::to_string(i) + "\":" + std::to_string(i);
  }
  json += "}";
  Value v = MustParse(json, arena);
  ASSERT_EQ(v.kind(), Kind::kMap);
  const Value* k37 = v.map().FindString("k37");
  ASSERT_NE(k37, nullptr);
  EXPECT_EQ(k37->int_value(), 37);
}

TEST(ParseJsonTest, ValuesOutliveTheParserInTheArena) {
  Arena arena;
  Value v;
  {
    JsonParser parser;
    v = *parser.Parse(R"({"name": "alice"})", arena);
    // Reusing the parser must not disturb earlier results.
    (void)parser.Parse(R"({"name": "bob"})", arena);
  }
  EXPECT_EQ(v.map().FindString("name")->string_value(), "alice");
}

TEST(ParseJsonTest, ErrorsNameTheProblem) {
  Arena arena;
  for (std::string_view bad : {"", "{", "[1, 2", "{\"a\" 1}", "tru", "1 2",
                               "[1] x", "{\"a\":1,}", "\"\xff\""}) {
    absl::StatusOr<Value> v = ParseJson(bad, arena);
    EXPECT_FALSE(v.ok()) << "accepted: " << bad;
    if (!v.ok()) {
      EXPECT_NE(Message(v.status()).find("invalid JSON"), std::string::npos);
    }
  }
}

TEST(ParseJsonTest, TrailingContentReportsItsOffset) {
  Arena arena;
  absl::StatusOr<Value> v = ParseJson("[1, 2] [3]", arena);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(Message(v.status()).find("byte offset 7"), std::string::npos)
      << Message(v.status());
}

TEST(ParseJsonTest, MalformedMembersReportAnOffset) {
  Arena arena;
  absl::StatusOr<Value> v = ParseJson(R"({"a": 1, "b" 2})", arena);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(Message(v.status()).find("byte offset"), std::string::npos)
      << Message(v.status());
}

TEST(ParseJsonTest, NestingIsBounded) {
  Arena arena;
  auto nested = [](int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  EXPECT_TRUE(ParseJson(nested(256), arena).ok());
  absl::StatusOr<Value> deep = ParseJson(nested(257), arena);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(Message(deep.status()).find("nested deeper"), std::string::npos);
  EXPECT_FALSE(ParseJson(nested(100000), arena).ok());
}

TEST(ParseJsonTest, DuplicateKeysAreRejected) {
  Arena arena;
  absl::StatusOr<Value> v = ParseJson(R"({"a": 1, "a": 2})", arena);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(Message(v.status()).find("duplicate"), std::string::npos);
}

TEST(ToJsonTest, RoundTripsParsedJson) {
  Arena arena;
  std::string text = R"({"a":[1,"x",true,null,{"b":2.5}],"c":"q\"\n"})";
  EXPECT_EQ(MustJson(MustParse(text, arena)), text);
}

TEST(ToJsonTest, NumbersKeepTheirValue) {
  EXPECT_EQ(MustJson(Value::Int(-7)), "-7");
  EXPECT_EQ(MustJson(Value::Uint(18446744073709551615u)),
            "18446744073709551615");
  EXPECT_EQ(MustJson(Value::Double(1.5)), "1.5");
  EXPECT_EQ(MustJson(Value::Double(0.1)), "0.1");
  EXPECT_EQ(MustJson(Value::Double(std::nan(""))), "\"NaN\"");
  EXPECT_EQ(MustJson(Value::Double(INFINITY)), "\"Infinity\"");
  EXPECT_EQ(MustJson(Value::Double(-INFINITY)), "\"-Infinity\"");
}

TEST(ToJsonTest, BytesAreBase64AndControlCharactersEscaped) {
  EXPECT_EQ(MustJson(Value::Bytes("hi!")), "\"aGkh\"");
  EXPECT_EQ(MustJson(Value::String(std::string_view("a\x01", 2))),
            "\"a\\u0001\"");
}

TEST(ToJsonTest, TimesAreRfc3339AndDurationsSeconds) {
  EXPECT_EQ(MustJson(Value::Timestamp(1234567890, 0)),
            "\"2009-02-13T23:31:30Z\"");
  EXPECT_EQ(MustJson(Value::Duration(1, 500'000'000)), "\"1.5s\"");
  EXPECT_EQ(MustJson(Value::Duration(0, 0)), "\"0s\"");
  // -1.5s is stored as floor seconds -2 plus 0.5s.
  EXPECT_EQ(MustJson(Value::Duration(-2, 500'000'000)), "\"-1.5s\"");
  EXPECT_EQ(MustJson(Value::Duration(-1, 999'999'999)), "\"-0.000000001s\"");
  EXPECT_EQ(MustJson(Value::Duration(-3, 0)), "\"-3s\"");
}

TEST(ToJsonTest, MapKeysAreStringified) {
  Arena arena;
  Value keys[] = {Value::Int(1), Value::Bool(true), Value::Uint(2)};
  Value values[] = {Value::String("a"), Value::Null(), Value::Int(3)};
  const Value* duplicate = nullptr;
  const MapData* map = BuildMap(arena, keys, values, 3, &duplicate);
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(MustJson(Value::Map(map)), R"({"1":"a","true":null,"2":3})");
}

TEST(ToJsonTest, TypesOptionalsAndErrors) {
  EXPECT_EQ(MustJson(Value::Type("int")), "\"int\"");
  Value one = Value::Int(1);
  EXPECT_EQ(MustJson(Value::Optional(&one)), "1");
  EXPECT_EQ(MustJson(Value::Optional(nullptr)), "null");

  Arena arena;
  Value items[] = {Value::Int(1), MakeError(arena, "boom")};
  std::string out = "stale";
  EXPECT_FALSE(ToJson(Value::List(items, 2), &out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace retro::cel
