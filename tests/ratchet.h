// The conformance ratchet: a committed text file recording, per conformance
// file, the fewest cases allowed to pass, so a change that breaks a passing
// case fails the test. It also lists the files that must pass completely.
//
//   # comment
//   goal basic comparisons ...   files that join "full" once at 100 %
//   full basic ...               files that must pass every runnable case
//   basic 43                     <file> <minimum passed>
#ifndef RETRO_TESTS_RATCHET_H_
#define RETRO_TESTS_RATCHET_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace retro::conformance {

struct RatchetCounts {
  int passed = 0;
  int runnable = 0;
};

struct Ratchet {
  std::map<std::string, int> min_passed;
  std::vector<std::string> goal;
  std::vector<std::string> full;
};

absl::StatusOr<Ratchet> ReadRatchet(const std::string& path);
absl::Status WriteRatchet(const std::string& path, const Ratchet& ratchet);

// Records the current counts of the files that ran, and moves goal files that
// now pass everything into `full`.
void UpdateRatchet(const std::map<std::string, RatchetCounts>& current,
                   Ratchet* ratchet);

// One message per file (among those that ran) whose count fell below the
// ratchet.
std::vector<std::string> CheckRatchet(
    const Ratchet& ratchet,
    const std::map<std::string, RatchetCounts>& current);

// One message per `full` file (among those that ran) that does not pass all
// its runnable cases.
std::vector<std::string> CheckFull(
    const Ratchet& ratchet,
    const std::map<std::string, RatchetCounts>& current);

}  // namespace retro::conformance

#endif  // RETRO_TESTS_RATCHET_H_
