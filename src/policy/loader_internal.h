// Internal to the loader: a reader over one YAML document that knows where
// the document sits in its file and collects problems.
#ifndef RETRO_POLICY_LOADER_INTERNAL_H_
#define RETRO_POLICY_LOADER_INTERNAL_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "policy/document.h"
#include "policy/problem.h"
#include "policy/source_text.h"
#include "yaml-cpp/yaml.h"

namespace retro::policy::internal {

class DocReader {
 public:
  DocReader(const SourceText& source, int base_pos,
            std::vector<Problem>* problems)
      : source_(source), base_pos_(base_pos), problems_(problems) {}

  const SourceText& source() const { return source_; }

  // Byte offset of a node in the file.
  int Pos(const YAML::Node& node) const;
  void Error(int pos, std::string path, std::string message);
  void Warn(int pos, std::string path, std::string message);
  void Error(const YAML::Node& node, std::string path, std::string message) {
    Error(Pos(node), std::move(path), std::move(message));
  }
  int errors() const { return errors_; }

  // The child `key` of a mapping (an undefined node when absent).
  static YAML::Node Child(const YAML::Node& map, std::string_view key);

  // Reports keys of `map` not in `allowed` (with a "did you mean"), as errors
  // when `strict`, else as warnings.
  void CheckKeys(const YAML::Node& map, const std::string& path,
                 std::initializer_list<std::string_view> allowed, bool strict);

  // Reads map[key] as a scalar. Absent: an error when `required` (located at
  // the mapping), else an absent Scalar. Not a scalar: an error.
  Scalar ReadScalar(const YAML::Node& map, std::string_view key,
                    const std::string& parent_path, bool required,
                    std::string_view what = "");
  // A scalar node as a Scalar (error when it is a list or mapping).
  Scalar AsScalar(const YAML::Node& node, std::string path,
                  std::string_view what);

  // True when `node` is a mapping; otherwise reports "<path> must be a
  // mapping" (with `hint`) and returns false.
  bool ExpectMap(const YAML::Node& node, const std::string& path,
                 std::string_view hint = "");
  bool ExpectSeq(const YAML::Node& node, const std::string& path,
                 std::string_view hint = "");

  // Rules of an ActivityPolicy list or a Policy (`native` allows require and
  // fields). Checks names (DNS-1123, unique in the list).
  std::vector<RuleDoc> ReadRules(const YAML::Node& seq, const std::string& path,
                                 bool native);
  std::vector<TestDoc> ReadTests(const YAML::Node& seq,
                                 const std::string& path);
  void ReadSourceSpec(const YAML::Node& spec, SourceDoc* doc);

 private:
  RuleDoc ReadRule(const YAML::Node& node, const std::string& path,
                   bool native);
  void ReadExpect(const YAML::Node& node, const std::string& path,
                  TestDoc* test);

  const SourceText& source_;
  int base_pos_;
  std::vector<Problem>* problems_;
  int errors_ = 0;
};

// "did you mean 'x'?" for the closest of `candidates` within a small edit
// distance of `name`; empty when none is close.
std::string DidYouMean(std::string_view name,
                       const std::vector<std::string_view>& candidates);

}  // namespace retro::policy::internal

#endif  // RETRO_POLICY_LOADER_INTERNAL_H_
