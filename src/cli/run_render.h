// How `retro run` shows runs to a person: the run (get, the watch summary),
// the progress line, the list, the diff (counts, the transition matrix,
// samples with old and new summaries) and the errors. Input is the server's
// JSON (docs/api/runs.md); output goes to stdout unless said otherwise.
//
// Thread-safety: pure printing; call from one thread.
#ifndef RETRO_CLI_RUN_RENDER_H_
#define RETRO_CLI_RUN_RENDER_H_

#include <cstdio>
#include <string>

#include "simdjson.h"

namespace retro::cli {

// Field readers that give "" / 0 / nullopt-like defaults for null or absent.
std::string JStr(simdjson::dom::element e, const char* key);
uint64_t JU64(simdjson::dom::element e, const char* key);
double JDouble(simdjson::dom::element e, const char* key);
bool JBool(simdjson::dom::element e, const char* key);

// "3s", "2m05s", "1h02m"; "?" for a negative or non-finite value.
std::string FormatDuration(double seconds);

// One line: "[#####.....]  41.0%  41000/100000  20500/s  ETA 3s  running
// added 10 changed 2000 … errors 1000". `width` is the bar's.
std::string ProgressLine(simdjson::dom::element run, int width);

// A run, readably, over several lines.
void PrintRun(simdjson::dom::element run, std::FILE* out);
// One line per run under a header.
void PrintRunList(simdjson::dom::array runs, std::FILE* out);
void PrintDiff(simdjson::dom::element diff, std::FILE* out);
void PrintErrors(simdjson::dom::element report, std::FILE* out);

}  // namespace retro::cli

#endif  // RETRO_CLI_RUN_RENDER_H_
