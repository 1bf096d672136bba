#include "policy/template.h"

#include "gtest/gtest.h"

namespace retro::policy {
namespace {

TEST(TemplateTest, SplitsLiteralsAndBlocks) {
  ParsedTemplate t =
      ParseTemplate("{{ actor }} read {{ audit.objectRef.name }}!");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t.pieces.size(), 4u);
  EXPECT_TRUE(t.pieces[0].is_block);
  EXPECT_EQ(t.pieces[0].text, "actor");
  EXPECT_EQ(t.pieces[0].offset, 3);
  EXPECT_EQ(t.pieces[1].text, " read ");
  EXPECT_FALSE(t.pieces[1].is_block);
  EXPECT_EQ(t.pieces[2].text, "audit.objectRef.name");
  EXPECT_EQ(t.pieces[2].offset, 20);
  EXPECT_EQ(t.pieces[3].text, "!");
  EXPECT_EQ(t.num_blocks(), 2);
}

TEST(TemplateTest, LiteralOnly) {
  ParsedTemplate t = ParseTemplate("no blocks here");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t.pieces.size(), 1u);
  EXPECT_EQ(t.pieces[0].text, "no blocks here");
  EXPECT_TRUE(ParseTemplate("").pieces.empty());
}

TEST(TemplateTest, BracesAndStringsInsideABlock) {
  ParsedTemplate t =
      ParseTemplate("a {{ {'k': 'v'}.k }} b {{ \"}}\" + 'x' }} c");
  ASSERT_TRUE(t.ok()) << t.errors[0].message;
  ASSERT_EQ(t.num_blocks(), 2);
  EXPECT_EQ(t.pieces[1].text, "{'k': 'v'}.k");
  EXPECT_EQ(t.pieces[3].text, "\"}}\" + 'x'");
}

TEST(TemplateTest, NestedMapClosesOnOuterBraces) {
  ParsedTemplate t = ParseTemplate("{{ {'a': {'b': 1}} }}");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t.pieces.size(), 1u);
  EXPECT_EQ(t.pieces[0].text, "{'a': {'b': 1}}");
}

TEST(TemplateTest, UnclosedBlockIsAnError) {
  ParsedTemplate t = ParseTemplate("{{ actor }} read {{ audit.objectRef.name ");
  ASSERT_EQ(t.errors.size(), 1u);
  EXPECT_EQ(t.errors[0].offset, 17);
  EXPECT_NE(t.errors[0].message.find("never closed"), std::string::npos);
  EXPECT_NE(t.errors[0].message.find("block 2"), std::string::npos);
}

TEST(TemplateTest, UnterminatedStringInBlockIsUnclosed) {
  EXPECT_FALSE(ParseTemplate("{{ 'abc }}").ok());
}

TEST(TemplateTest, EmptyBlockIsAnError) {
  ParsedTemplate t = ParseTemplate("x {{   }} y");
  ASSERT_EQ(t.errors.size(), 1u);
  EXPECT_NE(t.errors[0].message.find("empty"), std::string::npos);
}

TEST(TemplateTest, StrayClosingBracesAreLiteral) {
  ParsedTemplate t = ParseTemplate("a }} b {{ x }}}");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t.pieces.size(), 3u);
  EXPECT_EQ(t.pieces[0].text, "a }} b ");
  EXPECT_EQ(t.pieces[1].text, "x");
  EXPECT_EQ(t.pieces[2].text, "}");
}

TEST(TemplateTest, AdjacentBlocks) {
  ParsedTemplate t = ParseTemplate("{{a}}{{b}}");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t.pieces.size(), 2u);
  EXPECT_EQ(t.pieces[0].text, "a");
  EXPECT_EQ(t.pieces[1].text, "b");
  EXPECT_EQ(t.pieces[1].offset, 7);
}

TEST(TemplateTest, RawAndTripleQuotedStrings) {
  ParsedTemplate t = ParseTemplate(R"({{ r'\}}' }} and {{ '''}}''' }})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.num_blocks(), 2);
  EXPECT_EQ(t.pieces[0].text, R"(r'\}}')");
  EXPECT_EQ(t.pieces[2].text, "'''}}'''");
}

}  // namespace
}  // namespace retro::policy
