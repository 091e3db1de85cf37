#pragma once
// Stable counting sort for items whose key is a small dense integer (an ordinal, a value slot):
// O(n + bound) instead of a comparison sort's O(n log n), which was the largest cost of
// writing a loaded version.

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

namespace tagd {

// Sorts `items` by key(item) ∈ [0, bound), keeping the order of items with equal keys.
template <class T, class Key>
void counting_sort(std::vector<T>& items, size_t bound, Key key) {
  std::vector<size_t> starts(bound + 1, 0);
  for (const T& item : items)
    ++starts[static_cast<size_t>(key(item)) + 1];
  std::partial_sum(starts.begin(), starts.end(), starts.begin());
  std::vector<T> sorted(items.size());
  for (const T& item : items)
    sorted[starts[static_cast<size_t>(key(item))]++] = item;
  items.swap(sorted);
}

} // namespace tagd
