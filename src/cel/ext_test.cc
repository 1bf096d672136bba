// Unit tests of the extension libraries, calling their overloads through a
// FunctionRegistry (no parser or evaluator involved). The conformance suite
// (tests/cel_conformance.cc) covers them end to end.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "cel/function.h"
#include "cel/library.h"
#include "gtest/gtest.h"

namespace retro::cel {
namespace {

class Ext {
 public:
  Ext() : ctx_(arena_, options_) {
    EXPECT_TRUE(RegisterStringsExtension(registry_).ok());
    EXPECT_TRUE(RegisterMathExtension(registry_).ok());
    EXPECT_TRUE(RegisterEncodersExtension(registry_).ok());
    EXPECT_TRUE(RegisterListsExtension(registry_).ok());
    EXPECT_TRUE(RegisterSetsExtension(registry_).ok());
    EXPECT_TRUE(RegisterOptionalsLibrary(registry_).ok());
    EXPECT_TRUE(RegisterNetworkExtension(registry_).ok());
  }

  // Calls the first overload of `name` (member or global) that matches.
  Value Call(std::string_view name, std::vector<Value> args,
             bool member = false) {
    for (const Overload* o : registry_.Find(name)) {
      if (o->member == member && o->Matches(args)) return o->impl(ctx_, args);
    }
    return ctx_.Error("no matching overload");
  }
  Value Member(std::string_view name, std::vector<Value> args) {
    return Call(name, std::move(args), true);
  }

  Value List(std::vector<Value> items) {
    Value* out = arena_.AllocArray<Value>(items.size() + 1);
    std::copy(items.begin(), items.end(), out);
    return Value::List(out, static_cast<uint32_t>(items.size()));
  }
  Value Map(std::vector<Value> keys, std::vector<Value> values) {
    Value* k = arena_.AllocArray<Value>(keys.size() + 1);
    Value* v = arena_.AllocArray<Value>(values.size() + 1);
    std::copy(keys.begin(), keys.end(), k);
    std::copy(values.begin(), values.end(), v);
    const Value* dup = nullptr;
    return Value::Map(BuildMap(arena_, k, v, keys.size(), &dup));
  }

  FunctionRegistry& registry() { return registry_; }
  EvalContext& ctx() { return ctx_; }

 private:
  Arena arena_;
  EvalOptions options_;
  FunctionRegistry registry_;
  EvalContext ctx_;
};

Value S(std::string_view s) { return Value::String(s); }
Value I(int64_t i) { return Value::Int(i); }
Value U(uint64_t u) { return Value::Uint(u); }
Value D(double d) { return Value::Double(d); }

std::string Str(const Value& v) {
  EXPECT_EQ(v.kind(), Kind::kString)
      << (v.is_error() ? v.error_message() : v.TypeName());
  return v.kind() == Kind::kString ? std::string(v.string_value()) : "";
}
int64_t Int(const Value& v) {
  EXPECT_EQ(v.kind(), Kind::kInt)
      << (v.is_error() ? v.error_message() : v.TypeName());
  return v.int_value();
}
bool Bool(const Value& v) {
  EXPECT_EQ(v.kind(), Kind::kBool)
      << (v.is_error() ? v.error_message() : v.TypeName());
  return v.bool_value();
}

// --- strings
// -------------------------------------------------------------------

TEST(StringsExtTest, CharAtCountsCodePoints) {
  Ext e;
  EXPECT_EQ(Str(e.Member("charAt", {S("©αT"), I(1)})), "α");
  EXPECT_EQ(Str(e.Member("charAt", {S("tacocat"), I(7)})), "");
  EXPECT_TRUE(e.Member("charAt", {S("tacocat"), I(30)}).is_error());
  EXPECT_TRUE(e.Member("charAt", {S("tacocat"), I(-1)}).is_error());
}

TEST(StringsExtTest, IndexOfReturnsCodePointIndices) {
  Ext e;
  EXPECT_EQ(Int(e.Member("indexOf", {S("ta©o©αT"), S("©")})), 2);
  EXPECT_EQ(Int(e.Member("indexOf", {S("ta©o©αT"), S("©αT"), I(3)})), 4);
  EXPECT_EQ(Int(e.Member("indexOf", {S("ta©o©αT"), S("©α"), I(5)})), -1);
  EXPECT_EQ(Int(e.Member("indexOf", {S("tacocat"), S(""), I(3)})), 3);
  EXPECT_EQ(Int(e.Member("indexOf", {S(""), S("a")})), -1);
  Value err = e.Member("indexOf", {S("tacocat"), S("a"), I(30)});
  ASSERT_TRUE(err.is_error());
  EXPECT_EQ(err.error_message(), "index out of range: 30");
}

TEST(StringsExtTest, LastIndexOfSearchesBackwardsFromOffset) {
  Ext e;
  EXPECT_EQ(Int(e.Member("lastIndexOf", {S("tacocat"), S("")})), 7);
  EXPECT_EQ(Int(e.Member("lastIndexOf", {S(""), S("@@")})), -1);
  EXPECT_EQ(Int(e.Member("lastIndexOf", {S("ta©o©αT"), S("©")})), 4);
  EXPECT_EQ(Int(e.Member("lastIndexOf", {S("ta©o©αT"), S("©"), I(3)})), 2);
  EXPECT_EQ(Int(e.Member("lastIndexOf", {S("ta©o©αT"), S("©α"), I(4)})), 4);
  EXPECT_EQ(Int(e.Member("lastIndexOf", {S("bananananana"), S("nana"), I(7)})),
            6);
  EXPECT_TRUE(
      e.Member("lastIndexOf", {S("tacocat"), S("a"), I(-1)}).is_error());
}

TEST(StringsExtTest, SubstringCountsCodePoints) {
  Ext e;
  EXPECT_EQ(Str(e.Member("substring", {S("ta©o©αT"), I(2), I(6)})), "©o©α");
  EXPECT_EQ(Str(e.Member("substring", {S("tacocat"), I(4)})), "cat");
  EXPECT_EQ(Str(e.Member("substring", {S("tacocat"), I(7)})), "");
  EXPECT_EQ(e.Member("substring", {S("tacocat"), I(4), I(3)}).error_message(),
            "invalid substring range. start: 4, end: 3");
  EXPECT_EQ(e.Member("substring", {S("tacocat"), I(1), I(50)}).error_message(),
            "index out of range: 50");
}

TEST(StringsExtTest, ReplaceHonoursCountAndEmptyPattern) {
  Ext e;
  EXPECT_EQ(Str(e.Member("replace",
                         {S("{0} days {0} hours"), S("{0}"), S("2"), I(1)})),
            "2 days {0} hours");
  EXPECT_EQ(Str(e.Member("replace", {S("ab"), S(""), S("-")})), "-a-b-");
  EXPECT_EQ(Str(e.Member("replace", {S("aaa"), S("a"), S("b"), I(-1)})), "bbb");
}

TEST(StringsExtTest, SplitFollowsGoSplitN) {
  Ext e;
  Value parts = e.Member("split", {S("o©o©o©o"), S("©"), I(-1)});
  ASSERT_EQ(parts.kind(), Kind::kList);
  EXPECT_EQ(parts.list().size(), 4u);
  EXPECT_EQ(e.Member("split", {S("a b c"), S(" "), I(0)}).list().size(), 0u);
  Value two = e.Member("split", {S("a b c"), S(" "), I(2)});
  ASSERT_EQ(two.list().size(), 2u);
  EXPECT_EQ(two.list()[1].string_value(), "b c");
  Value chars = e.Member("split", {S("a©"), S("")});
  ASSERT_EQ(chars.list().size(), 2u);
  EXPECT_EQ(chars.list()[1].string_value(), "©");
}

TEST(StringsExtTest, TrimRemovesUnicodeWhitespaceOnly) {
  Ext e;
  EXPECT_EQ(Str(e.Member("trim", {S(" \f\n\r\t\vtext  ")})), "text");
  EXPECT_EQ(Str(e.Member("trim", {S("\u0085\u00a0\u1680text\u3000")})), "text");
  std::string keep = "\u180etext\u200b";
  EXPECT_EQ(Str(e.Member("trim", {S(keep)})), keep);
}

TEST(StringsExtTest, CaseJoinReverseQuote) {
  Ext e;
  EXPECT_EQ(Str(e.Member("lowerAscii", {S("TacoCÆt")})), "tacocÆt");
  EXPECT_EQ(Str(e.Member("upperAscii", {S("tacoCαt")})), "TACOCαT");
  EXPECT_EQ(Str(e.Member("join", {e.List({S("x"), S("y")}), S("-")})), "x-y");
  EXPECT_EQ(Str(e.Member("join", {e.List({})})), "");
  EXPECT_EQ(Str(e.Member("reverse", {S("Ta©oCαt")})), "tαCo©aT");
  EXPECT_EQ(Str(e.Call("strings.quote", {S("a\"b\\c\n\a")})),
            "\"a\\\"b\\\\c\\n\\a\"");
}

// --- format
// --------------------------------------------------------------------

std::string Format(Ext& e, std::string_view fmt, std::vector<Value> args) {
  Value r = e.Member("format", {S(fmt), e.List(std::move(args))});
  return r.is_error() ? absl::StrCat("ERROR: ", base::AV(r.error_message()))
                      : std::string(r.string_value());
}

TEST(FormatExtTest, FormatsEachClause) {
  Ext e;
  EXPECT_EQ(Format(e, "%%%s%%", {S("text")}), "%text%");
  EXPECT_EQ(Format(e, "%.3f", {D(1.2345)}), "1.234");
  EXPECT_EQ(Format(e, "%.0f", {D(2.5)}), "2");
  EXPECT_EQ(Format(e, "%f", {I(2)}), "2.000000");
  EXPECT_EQ(Format(e, "%.6e", {D(1052.032911275)}), "1.052033e+03");
  EXPECT_EQ(Format(e, "%e", {D(NAN)}), "NaN");
  EXPECT_EQ(Format(e, "%d", {D(-INFINITY)}), "-Infinity");
  EXPECT_EQ(Format(e, "%b %b", {I(5), Value::Bool(true)}), "101 1");
  EXPECT_EQ(Format(e, "%o", {U(65535)}), "177777");
  EXPECT_EQ(Format(e, "%x %X", {I(30), S("Hi")}), "1e 4869");
  EXPECT_EQ(Format(e, "%x", {I(-255)}), "-ff");
  EXPECT_EQ(Format(e, "%s", {D(56.8)}), "56.8");
  EXPECT_EQ(Format(e, "%s", {Value::Duration(6347, 0)}), "6347s");
  EXPECT_EQ(Format(e, "%s", {Value::Timestamp(1675467080, 0)}),
            "2023-02-03T23:31:20Z");
  EXPECT_EQ(Format(e, "%s", {Value::Type("string")}), "string");
  EXPECT_EQ(Format(e, "%s", {Value::Timestamp(-62135596800, 500000000)}),
            "0001-01-01T00:00:00.5Z");
  EXPECT_EQ(Format(e, "%s", {Value::Duration(-2, 500000000)}), "-1.5s");
}

TEST(FormatExtTest, FormatsListsAndSortedMaps) {
  Ext e;
  EXPECT_EQ(
      Format(
          e, "%s",
          {e.List({S("abc"), D(3.14), Value::Null(), e.List({I(9), I(8)})})}),
      "[abc, 3.14, null, [9, 8]]");
  EXPECT_EQ(Format(e, "%s",
                   {e.Map({S("strKey"), I(6), Value::Bool(true)},
                          {S("x"), Value::Duration(422, 0), I(42)})}),
            "{6: 422s, strKey: x, true: 42}");
}

TEST(FormatExtTest, ReportsBadClausesAndArguments) {
  Ext e;
  EXPECT_EQ(Format(e, "%a", {I(1)}),
            "ERROR: could not parse formatting clause: unrecognized "
            "formatting clause \"a\"");
  EXPECT_EQ(Format(e, "%d %d %d", {I(0), I(1)}), "ERROR: index 2 out of range");
  EXPECT_NE(Format(e, "%b", {S("abc")}).find("binary, was given string"),
            std::string::npos);
  EXPECT_NE(Format(e, "%d", {Value::Null()}).find("was given null_type"),
            std::string::npos);
}

// --- math
// ----------------------------------------------------------------------

TEST(MathExtTest, GreatestAndLeastCompareMixedNumbersExactly) {
  Ext e;
  Value g =
      e.Call("math.greatest", {D(5.4), I(10), U(3), D(-5.0), I(INT64_MAX)});
  ASSERT_EQ(g.kind(), Kind::kInt);
  EXPECT_EQ(g.int_value(), INT64_MAX);
  Value l = e.Call("math.least", {e.List({D(5.4), U(10), U(3), U(1), D(3.5)})});
  ASSERT_EQ(l.kind(), Kind::kUint);
  EXPECT_EQ(l.uint_value(), 1u);
  EXPECT_EQ(e.Call("math.greatest", {I(-3), U(3)}).kind(), Kind::kUint);
  EXPECT_EQ(e.Call("math.least", {I(5)}).int_value(), 5);
  EXPECT_TRUE(e.Call("math.greatest", {e.List({})}).is_error());
  EXPECT_TRUE(e.Call("math.greatest", {e.List({S("a")})}).is_error());
}

TEST(MathExtTest, RoundingAbsSign) {
  Ext e;
  EXPECT_EQ(e.Call("math.round", {D(-1.5)}).double_value(), -2.0);
  EXPECT_EQ(e.Call("math.ceil", {D(-1.2)}).double_value(), -1.0);
  EXPECT_EQ(e.Call("math.trunc", {D(-1.2)}).double_value(), -1.0);
  EXPECT_TRUE(e.Call("math.ceil", {I(1)}).is_error());
  EXPECT_TRUE(e.Call("math.abs", {I(INT64_MIN)}).is_error());
  EXPECT_EQ(e.Call("math.abs", {I(-11)}).int_value(), 11);
  EXPECT_EQ(e.Call("math.sign", {D(-32.0)}).double_value(), -1.0);
  EXPECT_EQ(e.Call("math.sign", {U(0)}).uint_value(), 0u);
  EXPECT_TRUE(Bool(e.Call("math.isNaN", {D(NAN)})));
  EXPECT_FALSE(Bool(e.Call("math.isFinite", {D(INFINITY)})));
  EXPECT_EQ(e.Call("math.sqrt", {I(16)}).double_value(), 4.0);
}

TEST(MathExtTest, BitOperations) {
  Ext e;
  EXPECT_EQ(e.Call("math.bitXor", {I(4), I(-2)}).int_value(), -6);
  EXPECT_EQ(e.Call("math.bitNot", {U(1)}).uint_value(), UINT64_MAX - 1);
  EXPECT_EQ(e.Call("math.bitShiftRight", {I(-1024), I(3)}).int_value(),
            2305843009213693824);
  EXPECT_EQ(e.Call("math.bitShiftLeft", {I(1), I(200)}).int_value(), 0);
  EXPECT_TRUE(e.Call("math.bitShiftLeft", {U(1), I(-1)}).is_error());
  EXPECT_TRUE(e.Call("math.bitAnd", {U(2), S("")}).is_error());
}

// --- encoders
// --------------------------------------------------------------------

TEST(EncodersExtTest, Base64RoundTripsAndAcceptsMissingPadding) {
  Ext e;
  EXPECT_EQ(Str(e.Call("base64.encode", {Value::Bytes("hello")})), "aGVsbG8=");
  EXPECT_EQ(e.Call("base64.decode", {S("aGVsbG8=")}).bytes_value(), "hello");
  EXPECT_EQ(e.Call("base64.decode", {S("aGVsbG8")}).bytes_value(), "hello");
  EXPECT_EQ(e.Call("base64.decode", {S("")}).bytes_value(), "");
  EXPECT_TRUE(e.Call("base64.decode", {S("a!==")}).is_error());
  EXPECT_TRUE(e.Call("base64.decode", {S("a")}).is_error());
}

// --- lists and sets
// -------------------------------------------------------------

TEST(ListsExtTest, SliceFlattenSortDistinct) {
  Ext e;
  Value l = e.List({I(3), I(1), I(2), I(1)});
  EXPECT_EQ(e.Member("slice", {l, I(1), I(3)}).list().size(), 2u);
  EXPECT_TRUE(e.Member("slice", {l, I(3), I(1)}).is_error());
  Value sorted = e.Member("sort", {l});
  ASSERT_EQ(sorted.list().size(), 4u);
  EXPECT_EQ(sorted.list()[0].int_value(), 1);
  EXPECT_EQ(sorted.list()[3].int_value(), 3);
  EXPECT_EQ(e.Member("distinct", {l}).list().size(), 3u);
  Value nested = e.List({I(1), e.List({I(2), e.List({I(3)})})});
  EXPECT_EQ(e.Member("flatten", {nested}).list().size(), 3u);
  EXPECT_EQ(e.Member("flatten", {nested, I(2)}).list().size(), 3u);
  EXPECT_EQ(e.Call("lists.range", {I(4)}).list().size(), 4u);
  EXPECT_TRUE(e.Member("sort", {e.List({I(1), S("a")})}).is_error());
}

TEST(SetsExtTest, ContainsEquivalentIntersectsUseCelEquality) {
  Ext e;
  Value a = e.List({I(1), I(2), I(3)});
  EXPECT_TRUE(Bool(e.Call("sets.contains", {a, e.List({D(1.0), U(2)})})));
  EXPECT_FALSE(Bool(e.Call("sets.contains", {a, e.List({I(4)})})));
  EXPECT_TRUE(
      Bool(e.Call("sets.equivalent", {a, e.List({I(3), I(2), I(1), I(1)})})));
  EXPECT_TRUE(Bool(e.Call("sets.intersects", {a, e.List({I(9), I(3)})})));
  EXPECT_FALSE(Bool(e.Call("sets.intersects", {a, e.List({})})));
}

// --- optionals
// -----------------------------------------------------------------

TEST(OptionalsExtTest, OfNoneValueOr) {
  Ext e;
  Value none = e.Call("optional.none", {});
  EXPECT_FALSE(Bool(e.Member("hasValue", {none})));
  EXPECT_EQ(e.Member("value", {none}).error_message(),
            "optional.none() dereference");
  EXPECT_TRUE(
      Bool(e.Member("hasValue", {e.Call("optional.of", {Value::Null()})})));
  EXPECT_FALSE(Bool(e.Member(
      "hasValue", {e.Call("optional.ofNonZeroValue", {Value::Null()})})));
  EXPECT_EQ(Int(e.Member("orValue", {e.Member("or", {none, none}), I(42)})),
            42);
  Value of42 = e.Call("optional.ofNonZeroValue", {I(42)});
  EXPECT_EQ(Int(e.Member("value", {e.Member("or", {of42, none})})), 42);
}

TEST(OptionalsExtTest, OptionalSelectAndIndex) {
  Ext e;
  Value m = e.Map({S("k"), Value::Bool(true)}, {I(1), I(2)});
  Value found = e.Call("_?._", {m, S("k")});
  ASSERT_EQ(found.kind(), Kind::kOptional);
  EXPECT_EQ(found.optional_value()->int_value(), 1);
  EXPECT_EQ(e.Call("_?._", {m, S("x")}).optional_value(), nullptr);
  EXPECT_EQ(
      e.Call("_[?_]", {m, Value::Bool(true)}).optional_value()->int_value(), 2);
  Value list = e.List({S("foo")});
  EXPECT_EQ(e.Call("_[?_]", {list, I(0)}).optional_value()->string_value(),
            "foo");
  EXPECT_EQ(e.Call("_[?_]", {list, I(1)}).optional_value(), nullptr);
  Value opt_list = e.Call("optional.of", {list});
  EXPECT_EQ(e.Call("_[_]", {opt_list, I(0)}).optional_value()->string_value(),
            "foo");
  Value none = e.Call("optional.none", {});
  EXPECT_EQ(e.Call("_[_]", {none, I(0)}).optional_value(), nullptr);
  EXPECT_EQ(e.Call("_?._", {none, S("a")}).optional_value(), nullptr);
}

// --- network
// -------------------------------------------------------------------

std::string IPText(Ext& e, std::string_view s) {
  Value ip = e.Call("ip", {S(s)});
  if (ip.is_error())
    return absl::StrCat("ERROR: ", base::AV(ip.error_message()));
  return Str(e.Call("string", {ip}));
}

TEST(NetworkExtTest, ParsesAndPrintsAddressesAsNetip) {
  Ext e;
  EXPECT_EQ(IPText(e, "192.168.0.1"), "192.168.0.1");
  EXPECT_EQ(IPText(e, "2001:DB8::68"), "2001:db8::68");
  EXPECT_EQ(IPText(e, "2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  EXPECT_EQ(IPText(e, "::"), "::");
  EXPECT_EQ(IPText(e, "::ffff:c0a8:1"), "192.168.0.1");
  EXPECT_EQ(IPText(e, "1::"), "1::");
  EXPECT_EQ(IPText(e, "64:ff9b::1.2.3.4"), "64:ff9b::102:304");
  for (const char* bad : {"192.168.0.1.0", "192.168.01.1", "2001:db8:::68",
                          "1:2:3:4:5:6:7:8::", "1:", ":1", "fe80::1%en0",
                          "::ffff:192.168.0.1", ""}) {
    EXPECT_EQ(IPText(e, bad).rfind("ERROR", 0), 0u) << bad;
  }
  EXPECT_FALSE(Bool(e.Call("ip.isCanonical", {S("2001:DB8::68")})));
  EXPECT_TRUE(Bool(e.Call("ip.isCanonical", {S("127.0.0.1")})));
}

TEST(NetworkExtTest, AddressPredicates) {
  Ext e;
  auto pred = [&](const char* name, const char* ip) {
    return Bool(e.Member(name, {e.Call("ip", {S(ip)})}));
  };
  EXPECT_TRUE(pred("isUnspecified", "0.0.0.0"));
  EXPECT_TRUE(pred("isLoopback", "::1"));
  EXPECT_TRUE(pred("isGlobalUnicast", "192.168.0.1"));
  EXPECT_FALSE(pred("isGlobalUnicast", "255.255.255.255"));
  EXPECT_FALSE(pred("isGlobalUnicast", "ff00::1"));
  EXPECT_TRUE(pred("isLinkLocalMulticast", "224.0.0.1"));
  EXPECT_FALSE(pred("isLinkLocalMulticast", "224.0.1.1"));
  EXPECT_TRUE(pred("isLinkLocalMulticast", "ff02::1"));
  EXPECT_TRUE(pred("isLinkLocalUnicast", "fe80::1"));
  EXPECT_FALSE(pred("isLinkLocalUnicast", "fd80::1"));
  EXPECT_EQ(Int(e.Member("family", {e.Call("ip", {S("2001:db8::68")})})), 6);
}

TEST(NetworkExtTest, CidrContainmentAndMasking) {
  Ext e;
  Value net = e.Call("cidr", {S("192.168.0.1/24")});
  ASSERT_FALSE(net.is_error()) << net.error_message();
  EXPECT_EQ(Str(e.Call("string", {net})), "192.168.0.1/24");
  EXPECT_EQ(Str(e.Call("string", {e.Member("masked", {net})})),
            "192.168.0.0/24");
  EXPECT_EQ(Str(e.Call("string", {e.Member("ip", {net})})), "192.168.0.1");
  EXPECT_EQ(Int(e.Member("prefixLength", {net})), 24);
  EXPECT_TRUE(Bool(e.Member("containsIP", {net, S("192.168.0.200")})));
  EXPECT_FALSE(Bool(e.Member("containsIP", {net, S("192.168.1.1")})));
  EXPECT_TRUE(Bool(e.Member("containsCIDR", {net, S("192.168.0.0/25")})));
  EXPECT_FALSE(Bool(e.Member("containsCIDR", {net, S("192.168.0.0/23")})));
  Value v6 = e.Call("cidr", {S("2001:db8::/32")});
  EXPECT_FALSE(
      Bool(e.Member("containsIP", {v6, e.Call("ip", {S("192.168.1.1")})})));
  EXPECT_TRUE(Bool(e.Member("containsCIDR", {v6, S("2001:db8::/33")})));
  EXPECT_TRUE(e.Call("cidr", {S("192.168.0.0/")}).is_error());
  EXPECT_TRUE(e.Call("cidr", {S("10.0.0.0/33")}).is_error());
  EXPECT_TRUE(e.Call("cidr", {S("fe80::1%en0/24")}).is_error());
  Value a = e.Call("cidr", {S("127.0.0.1/24")});
  Value b = e.Call("cidr", {S("127.0.0.1/24")});
  EXPECT_TRUE(a.opaque().Equals(b.opaque()));
  EXPECT_FALSE(a.opaque().Equals(net.opaque()));
}

}  // namespace
}  // namespace retro::cel
