// Helpers shared by the policy module's tests.
#ifndef RETRO_POLICY_TEST_UTIL_H_
#define RETRO_POLICY_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace retro::policy::testing {

// The shared folder (fixtures); RETRO_SHARED overrides the build's default.
inline std::string SharedDir() {
  const char* env = std::getenv("RETRO_SHARED");
  if (env != nullptr && *env != '\0') return env;
  return RETRO_SHARED_DEFAULT;
}

inline std::string Fixture(const std::string& relative) {
  return SharedDir() + "/fixtures/" + relative;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace retro::policy::testing

#endif  // RETRO_POLICY_TEST_UTIL_H_
