// glob.cc — shell-style glob matching with the classic single-backtrack
// algorithm (O(len(pattern) * len(text)) worst case, no recursion).
#include "core/glob.h"

namespace idb {
namespace {

char Fold(char c, bool ci) { return (ci && c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Validates the class starting at p[i] == '['; returns the index after ']' or 0.
size_t ClassEnd(std::string_view p, size_t i) {
  size_t j = i + 1;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
  const size_t first = j;
  while (j < p.size() && (p[j] != ']' || j == first)) {
    if (p[j] == '\\') ++j;
    ++j;
  }
  if (j >= p.size()) return 0;
  return j + 1;
}

// Does class p[i..end) match c?
bool ClassMatches(std::string_view p, size_t i, size_t end, char c, bool ci) {
  size_t j = i + 1;
  bool negate = false;
  if (p[j] == '!' || p[j] == '^') negate = true, ++j;
  bool hit = false;
  const char fc = Fold(c, ci);
  const size_t stop = end - 1;  // the ']'
  while (j < stop) {
    char lo = p[j];
    if (lo == '\\' && j + 1 < stop) lo = p[++j];
    if (j + 2 < stop && p[j + 1] == '-') {
      char hi = p[j + 2];
      if (hi == '\\' && j + 3 < stop) hi = p[++j + 2];
      if (Fold(lo, ci) <= fc && fc <= Fold(hi, ci)) hit = true;
      if (ci && lo <= c && c <= hi) hit = true;
      j += 3;
    } else {
      if (Fold(lo, ci) == fc) hit = true;
      ++j;
    }
  }
  return hit != negate;
}

}  // namespace

bool Glob::HasWildcards(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
      continue;
    }
    if (pattern[i] == '*' || pattern[i] == '?' || pattern[i] == '[') return true;
  }
  return false;
}

Result<Glob> Glob::Compile(std::string_view pattern, bool case_insensitive) {
  if (pattern.empty()) return InvalidArgument("bad glob: empty pattern");
  if (pattern.size() > 4096) return InvalidArgument("bad glob: longer than 4096 characters");
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 >= pattern.size()) return InvalidArgument("bad glob '" + std::string(pattern) + "': trailing backslash");
      ++i;
    } else if (pattern[i] == '[') {
      size_t end = ClassEnd(pattern, i);
      if (end == 0) return InvalidArgument("bad glob '" + std::string(pattern) + "': unterminated '['");
      i = end - 1;
    } else if (pattern[i] == ']') {
      return InvalidArgument("bad glob '" + std::string(pattern) + "': unmatched ']'");
    }
  }
  Glob g;
  g.pattern_ = std::string(pattern);
  g.case_insensitive_ = case_insensitive;
  for (char c : pattern) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') break;
    g.prefix_.push_back(Fold(c, case_insensitive));
  }
  return g;
}

bool Glob::Matches(std::string_view t) const {
  std::string_view p = pattern_;
  const bool ci = case_insensitive_;
  if (t.size() < prefix_.size()) return false;
  for (size_t i = 0; i < prefix_.size(); ++i) {
    if (Fold(t[i], ci) != prefix_[i]) return false;
  }
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size()) {
      const char pc = p[pi];
      if (pc == '*') {
        star_p = ++pi;
        star_t = ti;
        continue;
      }
      if (pc == '?') {
        ++pi, ++ti;
        continue;
      }
      if (pc == '[') {
        size_t end = ClassEnd(p, pi);
        if (ClassMatches(p, pi, end, t[ti], ci)) {
          pi = end, ++ti;
          continue;
        }
      } else {
        char lit = pc;
        size_t step = 1;
        if (pc == '\\') lit = p[pi + 1], step = 2;
        if (Fold(lit, ci) == Fold(t[ti], ci)) {
          pi += step, ++ti;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace idb
