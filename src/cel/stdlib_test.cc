// Unit tests of the standard library, calling overloads directly through a
// FunctionRegistry (no parser). The conformance suite covers the rest.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cel/function.h"
#include "cel/library.h"
#include "cel/value.h"
#include "gtest/gtest.h"

namespace retro::cel {
namespace {

class StdlibTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RegisterStandardLibrary(registry_).ok());
  }

  // Dispatches `name` by runtime argument kinds, as the evaluator does.
  Value Call(std::string_view name, std::vector<Value> args,
             bool member = false) {
    for (const Overload* o : registry_.Find(name)) {
      if (o->member == member && o->Matches(args)) return o->impl(ctx_, args);
    }
    return ctx_.Error("no matching overload");
  }
  Value Member(std::string_view name, std::vector<Value> args) {
    return Call(name, std::move(args), /*member=*/true);
  }

  Value Str(std::string_view s) { return Value::String(s); }
  Value Ts(std::string_view text) { return Call("timestamp", {Str(text)}); }
  Value Dur(std::string_view text) { return Call("duration", {Str(text)}); }
  Value List(std::vector<Value> items) {
    Value* p = arena_.AllocArray<Value>(items.size());
    std::copy(items.begin(), items.end(), p);
    return Value::List(p, static_cast<uint32_t>(items.size()));
  }
  std::string AsString(const Value& v) {
    EXPECT_TRUE(v.is_string()) << v.DebugString();
    return std::string(v.string_value());
  }
  int64_t AsInt(const Value& v) {
    EXPECT_EQ(v.kind(), Kind::kInt) << v.DebugString();
    return v.int_value();
  }
  bool AsBool(const Value& v) {
    EXPECT_TRUE(v.is_bool()) << v.DebugString();
    return v.bool_value();
  }

  FunctionRegistry registry_;
  Arena arena_;
  EvalOptions options_;
  EvalContext ctx_{arena_, options_};
};

constexpr int64_t kIntMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kIntMin = std::numeric_limits<int64_t>::min();
constexpr uint64_t kUintMax = std::numeric_limits<uint64_t>::max();

TEST_F(StdlibTest, IntAdditionOverflowIsAnError) {
  EXPECT_EQ(AsInt(Call("_+_", {Value::Int(40), Value::Int(2)})), 42);
  EXPECT_TRUE(Call("_+_", {Value::Int(kIntMax), Value::Int(1)}).is_error());
  EXPECT_TRUE(Call("_-_", {Value::Int(kIntMin), Value::Int(1)}).is_error());
  EXPECT_TRUE(
      Call("_*_", {Value::Int(5000000000), Value::Int(5000000000)}).is_error());
}

TEST_F(StdlibTest, IntDivisionEdgeCasesAreErrors) {
  EXPECT_TRUE(Call("_/_", {Value::Int(1), Value::Int(0)}).is_error());
  EXPECT_TRUE(Call("_%_", {Value::Int(1), Value::Int(0)}).is_error());
  EXPECT_TRUE(Call("_/_", {Value::Int(kIntMin), Value::Int(-1)}).is_error());
  EXPECT_TRUE(Call("_%_", {Value::Int(kIntMin), Value::Int(-1)}).is_error());
  EXPECT_TRUE(Call("-_", {Value::Int(kIntMin)}).is_error());
  EXPECT_EQ(AsInt(Call("_%_", {Value::Int(-42), Value::Int(-5)})), -2);
  EXPECT_EQ(AsInt(Call("_%_", {Value::Int(43), Value::Int(-5)})), 3);
}

TEST_F(StdlibTest, UintUnderflowAndOverflowAreErrors) {
  EXPECT_TRUE(Call("_-_", {Value::Uint(0), Value::Uint(1)}).is_error());
  EXPECT_TRUE(Call("_+_", {Value::Uint(kUintMax), Value::Uint(1)}).is_error());
  EXPECT_TRUE(Call("_/_", {Value::Uint(1), Value::Uint(0)}).is_error());
  EXPECT_TRUE(Call("-_", {Value::Uint(1)}).is_error());  // no overload
}

TEST_F(StdlibTest, DoubleArithmeticFollowsIeee) {
  Value v = Call("_/_", {Value::Double(15.75), Value::Double(0.0)});
  ASSERT_EQ(v.kind(), Kind::kDouble);
  EXPECT_TRUE(std::isinf(v.double_value()));
  EXPECT_TRUE(Call("_%_", {Value::Double(1), Value::Double(2)}).is_error());
  EXPECT_TRUE(Call("_+_", {Value::Int(1), Value::Double(2)}).is_error());
}

TEST_F(StdlibTest, ConcatenatesStringsBytesAndLists) {
  EXPECT_EQ(AsString(Call("_+_", {Str("he"), Str("llo")})), "hello");
  Value b = Call("_+_", {Value::Bytes("ab"), Value::Bytes("c")});
  EXPECT_EQ(b.bytes_value(), "abc");
  Value l = Call("_+_", {List({Value::Int(1)}), List({Value::Int(2)})});
  ASSERT_EQ(l.kind(), Kind::kList);
  ASSERT_EQ(l.list().size(), 2u);
  EXPECT_EQ(l.list()[1].int_value(), 2);
}

TEST_F(StdlibTest, ConcatenationRespectsMaxValueSize) {
  options_.max_value_size = 4;
  EXPECT_TRUE(Call("_+_", {Str("abc"), Str("de")}).is_error());
  EXPECT_EQ(AsString(Call("_+_", {Str("ab"), Str("cd")})), "abcd");
  Value three = List({Value::Int(1), Value::Int(2), Value::Int(3)});
  EXPECT_TRUE(Call("_+_", {three, three}).is_error());
}

TEST_F(StdlibTest, MixedNumericOrderingFollowsCelGo) {
  EXPECT_TRUE(AsBool(Call("_<_", {Value::Int(-1), Value::Uint(0)})));
  EXPECT_FALSE(AsBool(Call(
      "_<_", {Value::Int(kIntMax), Value::Double(9223372036854775808.0)})));
  EXPECT_TRUE(AsBool(Call(
      "_<=_", {Value::Int(kIntMax), Value::Double(9223372036854775808.0)})));
  EXPECT_FALSE(AsBool(Call("_<_", {Value::Double(NAN), Value::Double(1)})));
  EXPECT_FALSE(AsBool(Call("_>=_", {Value::Double(NAN), Value::Double(1)})));
  EXPECT_TRUE(Call("_<_", {Str("a"), Value::Int(1)}).is_error());
  EXPECT_TRUE(AsBool(Call("_<_", {Str("Abc"), Str("aBC")})));
  EXPECT_TRUE(AsBool(Call("_>_", {Value::Bool(true), Value::Bool(false)})));
}

TEST_F(StdlibTest, EqualityIsHeterogeneous) {
  EXPECT_TRUE(AsBool(Call("_==_", {Value::Int(1), Value::Double(1.0)})));
  EXPECT_FALSE(AsBool(Call("_==_", {Value::Int(1), Str("a")})));
  EXPECT_TRUE(AsBool(Call("_!=_", {Value::Double(NAN), Value::Double(NAN)})));
}

TEST_F(StdlibTest, NotStrictlyFalseTreatsErrorsAsTrue) {
  EXPECT_TRUE(AsBool(Call("@not_strictly_false", {ctx_.Error("boom")})));
  EXPECT_TRUE(AsBool(Call("@not_strictly_false", {Value::Bool(true)})));
  EXPECT_FALSE(AsBool(Call("@not_strictly_false", {Value::Bool(false)})));
  EXPECT_FALSE(AsBool(Call("!_", {Value::Bool(true)})));
}

TEST_F(StdlibTest, ListIndexAcceptsIntegralNumbers) {
  Value l = List({Value::Int(7), Value::Int(8)});
  EXPECT_EQ(AsInt(Call("_[_]", {l, Value::Int(1)})), 8);
  EXPECT_EQ(AsInt(Call("_[_]", {l, Value::Uint(0)})), 7);
  EXPECT_EQ(AsInt(Call("_[_]", {l, Value::Double(1.0)})), 8);
  EXPECT_TRUE(Call("_[_]", {l, Value::Double(0.5)}).is_error());
  EXPECT_TRUE(Call("_[_]", {l, Value::Int(2)}).is_error());
  EXPECT_TRUE(Call("_[_]", {l, Value::Int(-1)}).is_error());
  EXPECT_TRUE(Call("_[_]", {l, Str("0")}).is_error());
}

TEST_F(StdlibTest, InListUsesHeterogeneousEquality) {
  Value l = List({Value::Int(5), Value::Int(3)});
  EXPECT_TRUE(AsBool(Call("@in", {Value::Double(3.0), l})));
  EXPECT_TRUE(AsBool(Call("@in", {Value::Uint(5), l})));
  EXPECT_FALSE(AsBool(Call("@in", {Str("x"), l})));
}

TEST_F(StdlibTest, SizeCountsCodePoints) {
  EXPECT_EQ(AsInt(Call("size", {Str("πέντε")})), 5);
  EXPECT_EQ(AsInt(Member("size", {Str("abc")})), 3);
  EXPECT_EQ(
      AsInt(Call("size", {Value::Bytes(std::string_view("\xff\x00", 2))})), 2);
  EXPECT_EQ(AsInt(Call("size", {List({Value::Int(1)})})), 1);
}

TEST_F(StdlibTest, StringPredicates) {
  EXPECT_TRUE(AsBool(Member("contains", {Str("abababc"), Str("ababc")})));
  EXPECT_TRUE(AsBool(Member("startsWith", {Str("foobar"), Str("")})));
  EXPECT_FALSE(AsBool(Member("endsWith", {Str(""), Str("foo")})));
  EXPECT_TRUE(AsBool(Member("matches", {Str("hubba"), Str("ubb")})));
  EXPECT_TRUE(AsBool(Call("matches", {Str("grey"), Str("gr(a|e)y")})));
  EXPECT_FALSE(AsBool(Member("matches", {Str(""), Str("foo|bar")})));
  Value bad = Member("matches", {Str("x"), Str("(")});
  ASSERT_TRUE(bad.is_error());
  EXPECT_NE(bad.error_message().find("missing )"), std::string_view::npos)
      << bad.error_message();
}

TEST_F(StdlibTest, DoubleToIntIsRangeChecked) {
  EXPECT_EQ(AsInt(Call("int", {Value::Double(-7.9)})), -7);
  EXPECT_TRUE(Call("int", {Value::Double(9223372036854775807.0)}).is_error());
  EXPECT_TRUE(Call("int", {Value::Double(-9223372036854775808.0)}).is_error());
  EXPECT_TRUE(Call("int", {Value::Double(NAN)}).is_error());
  EXPECT_TRUE(Call("uint", {Value::Double(-1)}).is_error());
  EXPECT_TRUE(Call("uint", {Value::Double(NAN)}).is_error());
  EXPECT_TRUE(Call("uint", {Value::Int(-1)}).is_error());
  EXPECT_TRUE(Call("int", {Value::Uint(kUintMax)}).is_error());
  EXPECT_EQ(Call("uint", {Value::Double(25.5)}).uint_value(), 25u);
}

TEST_F(StdlibTest, ParsesNumbersStrictly) {
  EXPECT_EQ(AsInt(Call("int", {Str("-987")})), -987);
  EXPECT_EQ(AsInt(Call("int", {Str("+5")})), 5);
  EXPECT_TRUE(Call("int", {Str(" 5")}).is_error());
  EXPECT_TRUE(Call("int", {Str("9223372036854775808")}).is_error());
  EXPECT_TRUE(Call("uint", {Str("-1")}).is_error());
  EXPECT_EQ(Call("double", {Str("-5.43e-21")}).double_value(), -5.43e-21);
  EXPECT_TRUE(std::signbit(Call("double", {Str("-0.0")}).double_value()));
  EXPECT_TRUE(Call("double", {Str("1e400")}).is_error());
  EXPECT_TRUE(Call("double", {Str("abc")}).is_error());
}

TEST_F(StdlibTest, FormatsDoublesAsGo) {
  auto fmt = [&](double d) {
    return AsString(Call("string", {Value::Double(d)}));
  };
  EXPECT_EQ(fmt(123.456), "123.456");
  EXPECT_EQ(fmt(-4.5e-3), "-0.0045");
  EXPECT_EQ(fmt(1e6), "1e+06");
  EXPECT_EQ(fmt(123456), "123456");
  EXPECT_EQ(fmt(1e-5), "1e-05");
  EXPECT_EQ(fmt(1.5e300), "1.5e+300");
  EXPECT_EQ(fmt(0), "0");
  EXPECT_EQ(fmt(-0.0), "-0");
  EXPECT_EQ(fmt(INFINITY), "+Inf");
}

TEST_F(StdlibTest, StringConversions) {
  EXPECT_EQ(AsString(Call("string", {Value::Int(-456)})), "-456");
  EXPECT_EQ(AsString(Call("string", {Value::Uint(9876)})), "9876");
  EXPECT_EQ(AsString(Call("string", {Value::Bool(true)})), "true");
  EXPECT_EQ(AsString(Call("string", {Value::Bytes("\xc3\xbf")})), "\xc3\xbf");
  EXPECT_TRUE(
      Call("string", {Value::Bytes(std::string_view("\0\xff", 2))}).is_error());
  EXPECT_TRUE(Call("string", {Value::Bytes("\xed\xa0\x80")}).is_error());
  EXPECT_EQ(Call("bytes", {Str("abc")}).bytes_value(), "abc");
}

TEST_F(StdlibTest, BoolFromString) {
  for (const char* s : {"1", "t", "true", "TRUE", "True"}) {
    EXPECT_TRUE(AsBool(Call("bool", {Str(s)}))) << s;
  }
  for (const char* s : {"0", "f", "false", "FALSE", "False"}) {
    EXPECT_FALSE(AsBool(Call("bool", {Str(s)}))) << s;
  }
  EXPECT_TRUE(Call("bool", {Str("TrUe")}).is_error());
}

TEST_F(StdlibTest, TypeOfValues) {
  EXPECT_EQ(Call("type", {Value::Int(1)}).type_name(), "int");
  EXPECT_EQ(Call("type", {Ts("2009-02-13T23:31:30Z")}).type_name(),
            "google.protobuf.Timestamp");
  EXPECT_EQ(Call("type", {Call("type", {Value::Int(1)})}).type_name(), "type");
  EXPECT_EQ(AsInt(Call("dyn", {Value::Int(3)})), 3);
}

TEST_F(StdlibTest, TimestampsRoundTripRfc3339) {
  Value t = Ts("2009-02-13T23:31:30Z");
  ASSERT_EQ(t.kind(), Kind::kTimestamp) << t.DebugString();
  EXPECT_EQ(AsInt(Call("int", {t})), 1234567890);
  EXPECT_EQ(AsString(Call("string", {t})), "2009-02-13T23:31:30Z");
  EXPECT_EQ(AsString(Call("string", {Ts("9999-12-31T23:59:59.999999999Z")})),
            "9999-12-31T23:59:59.999999999Z");
  // Offsets are applied: this is 0000-12-31T23:00:00.5Z, out of range.
  EXPECT_TRUE(Ts("0001-01-01T00:00:00.5+01:00").is_error());
  EXPECT_EQ(AsString(Call("string", {Ts("2009-02-13T23:31:30.120-01:00")})),
            "2009-02-14T00:31:30.12Z");
}

TEST_F(StdlibTest, TimestampRangeIsEnforced) {
  EXPECT_TRUE(Ts("0000-01-01T00:00:00Z").is_error());
  EXPECT_TRUE(Ts("10000-01-01T00:00:00Z").is_error());
  EXPECT_TRUE(Ts(" 2009-02-13T23:31:30Z").is_error());
  EXPECT_TRUE(Ts("2009-02-13").is_error());
  EXPECT_TRUE(Call("timestamp", {Value::Int(-62135596801)}).is_error());
  EXPECT_TRUE(Call("timestamp", {Value::Int(253402300800)}).is_error());
  EXPECT_FALSE(Call("timestamp", {Value::Int(253402300799)}).is_error());
  EXPECT_TRUE(Call("_+_", {Ts("9999-12-31T23:59:59.999999999Z"), Dur("1ns")})
                  .is_error());
  EXPECT_TRUE(
      Call("_+_", {Ts("0001-01-01T00:00:00Z"), Dur("-1ns")}).is_error());
  EXPECT_TRUE(
      Call("_-_", {Ts("9999-12-31T23:59:59Z"), Ts("0001-01-01T00:00:00Z")})
          .is_error());
}

TEST_F(StdlibTest, TimestampArithmetic) {
  Value sum =
      Call("_+_", {Ts("0001-01-01T00:00:01.000000001Z"), Dur("-999999999ns")});
  EXPECT_EQ(AsString(Call("string", {sum})), "0001-01-01T00:00:00.000000002Z");
  Value diff =
      Call("_-_", {Ts("2009-02-13T23:31:00Z"), Ts("2009-02-13T23:29:00Z")});
  EXPECT_EQ(AsString(Call("string", {diff})), "120s");
  Value back = Call("_-_", {Ts("2009-02-13T23:10:00Z"), Dur("600s")});
  EXPECT_EQ(AsString(Call("string", {back})), "2009-02-13T23:00:00Z");
  EXPECT_TRUE(AsBool(
      Call("_<_", {Ts("2009-02-13T23:00:00Z"), Ts("2009-03-13T23:00:00Z")})));
}

TEST_F(StdlibTest, DurationsParseAndFormatAsGo) {
  EXPECT_EQ(AsString(Call("string", {Dur("1h2m3.5s")})), "3723.5s");
  EXPECT_EQ(AsString(Call("string", {Dur("-1.5s")})), "-1.5s");
  EXPECT_EQ(AsString(Call("string", {Dur("0")})), "0s");
  EXPECT_EQ(AsString(Call("string", {Dur("1ms1us1ns")})), "0.001001001s");
  EXPECT_EQ(AsString(Call("string", {Dur("-1ns")})), "-0.000000001s");
  EXPECT_TRUE(Dur("1").is_error());
  EXPECT_TRUE(Dur("inf").is_error());
  EXPECT_TRUE(Dur("").is_error());
  EXPECT_TRUE(Dur("1d").is_error());
  EXPECT_TRUE(Dur("320000000000s").is_error());
  EXPECT_TRUE(Call("_+_", {Dur("5000000000s"), Dur("5000000000s")}).is_error());
  EXPECT_EQ(AsInt(Call("int", {Dur("1.5s")})), 1500000000);
}

TEST_F(StdlibTest, TimestampAccessorsInTimeZones) {
  Value t = Ts("2009-02-13T23:31:30Z");
  EXPECT_EQ(AsInt(Member("getFullYear", {t})), 2009);
  EXPECT_EQ(AsInt(Member("getMonth", {t})), 1);
  EXPECT_EQ(AsInt(Member("getDate", {t})), 13);
  EXPECT_EQ(AsInt(Member("getDayOfMonth", {t})), 12);
  EXPECT_EQ(AsInt(Member("getDayOfWeek", {t})), 5);
  EXPECT_EQ(AsInt(Member("getDayOfYear", {t})), 43);
  EXPECT_EQ(AsInt(Member("getHours", {t})), 23);
  EXPECT_EQ(AsInt(Member("getDate", {t, Str("Australia/Sydney")})), 14);
  EXPECT_EQ(AsInt(Member("getDayOfMonth", {t, Str("+11:00")})), 13);
  EXPECT_EQ(AsInt(Member("getHours", {t, Str("02:00")})), 1);
  EXPECT_EQ(AsInt(Member("getMinutes", {t, Str("Asia/Kathmandu")})), 16);
  EXPECT_EQ(AsInt(Member("getSeconds", {t, Str("-00:00")})), 30);
  Value early = Ts("2009-02-13T02:00:00Z");
  EXPECT_EQ(AsInt(Member("getDayOfMonth", {early, Str("-02:30")})), 11);
  EXPECT_EQ(AsInt(Member("getDayOfMonth", {early, Str("America/St_Johns")})),
            11);
  EXPECT_TRUE(Member("getHours", {t, Str("Mars/Olympus")}).is_error());
  EXPECT_TRUE(Member("getMilliseconds", {t, Str("Mars/Olympus")}).is_error());
  EXPECT_TRUE(Member("getHours", {t, Str("+25:00")}).is_error());
  EXPECT_EQ(
      AsInt(Member("getMilliseconds", {Ts("2009-02-13T23:31:20.123456789Z")})),
      123);
}

TEST_F(StdlibTest, DurationAccessors) {
  EXPECT_EQ(AsInt(Member("getHours", {Dur("10000s")})), 2);
  EXPECT_EQ(AsInt(Member("getMinutes", {Dur("3730s")})), 62);
  EXPECT_EQ(AsInt(Member("getSeconds", {Dur("3730s")})), 3730);
  EXPECT_EQ(AsInt(Member("getMilliseconds", {Dur("123.321456789s")})), 321);
  EXPECT_EQ(AsInt(Member("getSeconds", {Dur("-1.5s")})), -1);
}

}  // namespace
}  // namespace retro::cel
