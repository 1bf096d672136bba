#include "ratchet.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace retro::conformance {

absl::StatusOr<Ratchet> ReadRatchet(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read ratchet file " + path);
  Ratchet ratchet;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream words(line);
    std::string first;
    if (!(words >> first) || first[0] == '#') continue;
    if (first == "goal" || first == "full") {
      std::vector<std::string>& list =
          first == "goal" ? ratchet.goal : ratchet.full;
      for (std::string name; words >> name;) list.push_back(name);
      continue;
    }
    int count;
    if (!(words >> count) || count < 0) {
      return absl::InvalidArgumentError(path + ":" +
                                        std::to_string(line_number) +
                                        ": expected '<file> <count>'");
    }
    ratchet.min_passed[first] = count;
  }
  return ratchet;
}

absl::Status WriteRatchet(const std::string& path, const Ratchet& ratchet) {
  std::ofstream out(path);
  if (!out) return absl::PermissionDeniedError("cannot write " + path);
  out << "# Conformance ratchet for tests/cel_conformance.cc (see "
         "tests/README.md).\n"
         "# <file> <minimum passing cases>; rewritten by "
         "`cel_conformance --ratchet FILE --update-ratchet`.\n"
         "# goal: files that must reach 100 %; full: those that have, and "
         "must stay there.\n";
  out << "goal";
  for (const auto& name : ratchet.goal) out << ' ' << name;
  out << "\nfull";
  for (const auto& name : ratchet.full) out << ' ' << name;
  out << '\n';
  for (const auto& [name, count] : ratchet.min_passed) {
    out << name << ' ' << count << '\n';
  }
  if (!out) return absl::DataLossError("cannot write " + path);
  return absl::OkStatus();
}

void UpdateRatchet(const std::map<std::string, RatchetCounts>& current,
                   Ratchet* ratchet) {
  for (const auto& [name, counts] : current) {
    ratchet->min_passed[name] = counts.passed;
    bool in_goal = std::find(ratchet->goal.begin(), ratchet->goal.end(),
                             name) != ratchet->goal.end();
    bool in_full = std::find(ratchet->full.begin(), ratchet->full.end(),
                             name) != ratchet->full.end();
    if (in_goal && !in_full && counts.runnable > 0 &&
        counts.passed == counts.runnable) {
      ratchet->full.push_back(name);
    }
  }
  std::sort(ratchet->full.begin(), ratchet->full.end());
}

std::vector<std::string> CheckRatchet(
    const Ratchet& ratchet,
    const std::map<std::string, RatchetCounts>& current) {
  std::vector<std::string> problems;
  for (const auto& [name, counts] : current) {
    auto it = ratchet.min_passed.find(name);
    if (it == ratchet.min_passed.end() || counts.passed >= it->second) continue;
    problems.push_back(name + ": " + std::to_string(counts.passed) +
                       " passed, fewer than the " + std::to_string(it->second) +
                       " recorded");
  }
  return problems;
}

std::vector<std::string> CheckFull(
    const Ratchet& ratchet,
    const std::map<std::string, RatchetCounts>& current) {
  std::vector<std::string> problems;
  for (const auto& name : ratchet.full) {
    auto it = current.find(name);
    if (it == current.end()) continue;
    if (it->second.passed < it->second.runnable) {
      problems.push_back(name + ": " + std::to_string(it->second.passed) +
                         " of " + std::to_string(it->second.runnable) +
                         " passed; this file must pass all of them");
    }
  }
  return problems;
}

}  // namespace retro::conformance
