#include "reprocess/progress.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status.h"

namespace retro::reprocess {
namespace {

constexpr uint8_t kVersion = 1;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutLp(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

// A bounded reader over an encoded value; every Get fails (and stays
// failed) on truncated input.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool empty() const { return in_.empty(); }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) break;
      uint8_t b = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  std::string_view Lp() {
    uint64_t n = Varint();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  std::string Str() { return std::string(Lp()); }
  uint8_t Byte() {
    if (in_.empty()) {
      ok_ = false;
      return 0;
    }
    uint8_t b = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return b;
  }

 private:
  std::string_view in_;
  bool ok_ = true;
};

void PutCounters(std::string* out, const Counters& c) {
  for (uint64_t v : {c.processed, c.matched, c.unmatched, c.dropped, c.errors,
                     c.added, c.changed, c.unchanged, c.removed}) {
    PutVarint(out, v);
  }
}

Counters GetCounters(Reader* r) {
  Counters c;
  for (uint64_t* v :
       {&c.processed, &c.matched, &c.unmatched, &c.dropped, &c.errors, &c.added,
        &c.changed, &c.unchanged, &c.removed}) {
    *v = r->Varint();
  }
  return c;
}

template <typename V, typename PutV>
void PutSortedMap(std::string* out, const base::StringMap<V>& m, PutV put) {
  std::vector<const std::pair<const std::string, V>*> items;
  items.reserve(m.size());
  for (const auto& kv : m) items.push_back(&kv);
  std::sort(items.begin(), items.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  PutVarint(out, items.size());
  for (const auto* kv : items) {
    PutLp(out, kv->first);
    put(out, kv->second);
  }
}

void PutU64(std::string* out, uint64_t v) { PutVarint(out, v); }

void PutSample(std::string* out, const Sample& s) {
  PutLp(out, s.category);
  PutLp(out, s.policy);
  PutLp(out, s.origin_type);
  PutLp(out, s.origin_id);
  PutLp(out, s.tenant);
  int64_t ns = absl::ToUnixNanos(s.time);
  PutVarint(out, (static_cast<uint64_t>(ns) << 1) ^
                     static_cast<uint64_t>(ns >> 63));  // zigzag
  PutLp(out, s.old_record);
  PutLp(out, s.new_record);
  PutLp(out, s.reason);
}

Sample GetSample(Reader* r) {
  Sample s;
  s.category = r->Str();
  s.policy = r->Str();
  s.origin_type = r->Str();
  s.origin_id = r->Str();
  s.tenant = r->Str();
  uint64_t z = r->Varint();
  int64_t ns = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  s.time = absl::FromUnixNanos(ns);
  s.old_record = r->Str();
  s.new_record = r->Str();
  s.reason = r->Str();
  return s;
}

void PutIssues(std::string* out, const std::vector<EventIssue>& v) {
  PutVarint(out, v.size());
  for (const EventIssue& i : v) {
    PutLp(out, i.origin_type);
    PutLp(out, i.origin_id);
    PutLp(out, i.policy);
    PutLp(out, i.reason);
  }
}

void GetIssues(Reader* r, std::vector<EventIssue>* v) {
  uint64_t n = r->Varint();
  for (uint64_t i = 0; i < n && r->ok(); ++i) {
    EventIssue e;
    e.origin_type = r->Str();
    e.origin_id = r->Str();
    e.policy = r->Str();
    e.reason = r->Str();
    v->push_back(std::move(e));
  }
}

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("malformed run checkpoint (", base::AV(what), ")"));
}

int CategoryIndex(std::string_view name) {
  for (int i = 0; i < kNumCategories; ++i) {
    if (CategoryName(static_cast<Category>(i)) == name) return i;
  }
  return -1;
}

}  // namespace

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kAdded:
      return "added";
    case Category::kChanged:
      return "changed";
    case Category::kUnchanged:
      return "unchanged";
    case Category::kRemoved:
      return "removed";
    case Category::kUnmatched:
      return "unmatched";
    case Category::kDropped:
      return "dropped";
    case Category::kError:
      return "error";
  }
  return "error";
}

std::string SliceProgress::Encode() const {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutLp(&out, cursor);
  out.push_back(done ? 1 : 0);
  PutVarint(&out, scanned);
  PutVarint(&out, skipped);
  PutCounters(&out, counters);
  PutSortedMap(&out, tenants, PutCounters);
  PutSortedMap(&out, transitions, PutU64);
  PutSortedMap(&out, error_reasons, PutU64);
  PutSortedMap(&out, drop_reasons, PutU64);
  PutVarint(&out, chunks);
  return out;
}

absl::Status SliceProgress::Decode(std::string_view in) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kVersion) {
    return Malformed("version");
  }
  Reader r(in.substr(1));
  cursor = r.Str();
  done = r.Byte() != 0;
  scanned = r.Varint();
  skipped = r.Varint();
  counters = GetCounters(&r);
  tenants.clear();
  transitions.clear();
  error_reasons.clear();
  drop_reasons.clear();
  uint64_t n = r.Varint();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string k = r.Str();
    tenants[k] = GetCounters(&r);
  }
  for (base::StringMap<uint64_t>* m :
       {&transitions, &error_reasons, &drop_reasons}) {
    n = r.Varint();
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string k = r.Str();
      (*m)[k] = r.Varint();
    }
  }
  chunks = r.Varint();
  if (!r.ok() || !r.empty()) return Malformed("slice");
  return absl::OkStatus();
}

std::string ProgressChunk::Encode() const {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutVarint(&out, samples.size());
  for (const Sample& s : samples) PutSample(&out, s);
  PutIssues(&out, errors);
  PutIssues(&out, drops);
  return out;
}

absl::Status ProgressChunk::Decode(std::string_view in) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kVersion) {
    return Malformed("version");
  }
  Reader r(in.substr(1));
  uint64_t n = r.Varint();
  for (uint64_t i = 0; i < n && r.ok(); ++i) samples.push_back(GetSample(&r));
  GetIssues(&r, &errors);
  GetIssues(&r, &drops);
  if (!r.ok() || !r.empty()) return Malformed("chunk");
  return absl::OkStatus();
}

std::string SliceCheckpointName(size_t slice) {
  return absl::StrFormat("slice/%04d", slice);
}

std::string ChunkCheckpointName(size_t slice, uint64_t chunk) {
  return absl::StrFormat("slice/%04d/x/%08d", slice, chunk);
}

std::string ErrorCheckpointName(std::string_view type, std::string_view id) {
  std::string name(kErrorPrefix);
  name.append(type).push_back('\x1f');
  name.append(id);
  return name;
}

absl::Status LoadSlices(
    const std::vector<std::pair<std::string, std::string>>& checkpoints,
    std::vector<SliceProgress>* slices) {
  for (const auto& [name, value] : checkpoints) {
    std::string_view rest = name;
    if (rest.substr(0, kSlicePrefix.size()) != kSlicePrefix) continue;
    rest.remove_prefix(kSlicePrefix.size());
    size_t slash = rest.find('/');
    size_t index = 0;
    if (!absl::SimpleAtoi(base::AV(rest.substr(0, slash)), &index) ||
        index >= slices->size()) {
      return absl::DataLossError(
          absl::StrCat("run checkpoint ", name, " names no slice of the plan"));
    }
    SliceProgress& s = (*slices)[index];
    if (slash == std::string_view::npos) {
      RETRO_RETURN_IF_ERROR(s.Decode(value));
      continue;
    }
    ProgressChunk chunk;
    RETRO_RETURN_IF_ERROR(chunk.Decode(value));
    for (Sample& x : chunk.samples) {
      int c = CategoryIndex(x.category);
      if (c >= 0) ++s.samples_in[c];
      s.samples.push_back(std::move(x));
    }
    for (EventIssue& e : chunk.errors) s.errors.push_back(std::move(e));
    for (EventIssue& e : chunk.drops) s.drops.push_back(std::move(e));
  }
  return absl::OkStatus();
}

Totals SumSlices(const std::vector<const SliceProgress*>& slices) {
  Totals t;
  for (const SliceProgress* s : slices) {
    t.scanned += s->scanned;
    t.skipped += s->skipped;
    t.counters.Add(s->counters);
  }
  return t;
}

Diff MergeDiff(const std::vector<const SliceProgress*>& slices,
               size_t samples_per_category) {
  Diff d;
  std::map<std::string, Counters> tenants;
  base::StringMap<uint64_t> transitions;
  int taken[kNumCategories] = {};
  for (const SliceProgress* s : slices) {
    d.counters.Add(s->counters);
    for (const auto& [t, c] : s->tenants) tenants[t].Add(c);
    for (const auto& [k, n] : s->transitions) transitions[k] += n;
    for (const Sample& x : s->samples) {
      int c = CategoryIndex(x.category);
      if (c < 0 || static_cast<size_t>(taken[c]) >= samples_per_category) {
        continue;
      }
      ++taken[c];
      d.samples.push_back(x);
    }
  }
  std::stable_sort(
      d.samples.begin(), d.samples.end(), [](const Sample& a, const Sample& b) {
        return CategoryIndex(a.category) < CategoryIndex(b.category);
      });
  for (auto& [t, c] : tenants) d.tenants.push_back({t, c});
  for (const auto& [k, n] : transitions) {
    Transition t;
    size_t a = k.find('\x1f');
    size_t b = k.find('\x1f', a + 1);
    t.policy = k.substr(0, a);
    t.from_rule = k.substr(a + 1, b - a - 1);
    t.to_rule = k.substr(b + 1);
    t.count = n;
    d.transitions.push_back(std::move(t));
  }
  std::sort(d.transitions.begin(), d.transitions.end(),
            [](const Transition& a, const Transition& b) {
              return std::tie(b.count, a.policy, a.from_rule, a.to_rule) <
                     std::tie(a.count, b.policy, b.from_rule, b.to_rule);
            });
  return d;
}

ErrorReport MergeErrors(const std::vector<const SliceProgress*>& slices,
                        size_t limit) {
  ErrorReport r;
  base::StringMap<uint64_t> errors, drops;
  for (const SliceProgress* s : slices) {
    for (const auto& [k, n] : s->error_reasons) errors[k] += n;
    for (const auto& [k, n] : s->drop_reasons) drops[k] += n;
    for (const EventIssue& e : s->errors) {
      if (r.errors.size() < limit) r.errors.push_back(e);
    }
    for (const EventIssue& e : s->drops) {
      if (r.drops.size() < limit) r.drops.push_back(e);
    }
  }
  auto sorted = [](const base::StringMap<uint64_t>& m) {
    std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return std::tie(b.second, a.first) < std::tie(a.second, b.first);
    });
    return v;
  };
  r.error_reasons = sorted(errors);
  r.drop_reasons = sorted(drops);
  return r;
}

}  // namespace retro::reprocess
