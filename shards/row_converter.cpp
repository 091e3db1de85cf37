#include "shards/row_converter.hpp"

#include "shards/partition.hpp"
#include "shards/typed_value.hpp"
#include "shards/vshard_store.hpp"

namespace tagd {

std::string parse_key(key_kind keys, std::string_view text, uint32_t vshards, uint32_t& vshard,
                      std::string& stored) {
  if (text.empty())
    return "empty key";
  if (keys == key_kind::string) {
    stored.assign(text);
    vshard = vshard_of(text, vshards);
    return {};
  }
  unsigned __int128 value = 0;
  bool ok = text.size() <= 20;
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (!ok || value > UINT64_MAX)
    return "key '" + std::string(text) + "' is not an unsigned 64-bit integer";
  uint64_t key = static_cast<uint64_t>(value);
  stored = encode_key(key);
  vshard = vshard_of(key, vshards);
  return {};
}

row_converter::row_converter(key_kind keys, std::vector<tag_def> tags,
                             std::vector<value_dictionary*> dictionaries, std::string set_separator,
                             uint32_t vshards)
    : keys_(keys), tags_(std::move(tags)), dictionaries_(std::move(dictionaries)),
      set_separator_(std::move(set_separator)), vshards_(vshards) {}

std::string row_converter::convert(std::string_view key,
                                   const std::vector<std::optional<std::string_view>>& fields,
                                   converted_row& out) const {
  out.values.clear();
  std::string bad = parse_key(keys_, key, vshards_, out.vshard, out.stored_key);
  if (!bad.empty())
    return bad;
  for (uint32_t t = 0; t < tags_.size() && bad.empty(); ++t) {
    if (!fields[t])
      continue;
    std::string_view text = *fields[t];
    const tag_def& tag = tags_[t];
    auto take = [&](const auto& parsed) {
      if (parsed)
        out.values.emplace_back(t, static_cast<int64_t>(*parsed));
      else
        bad = "column '" + tag.column + "': " + parsed.error().message();
    };
    switch (tag.kind) {
    case tag_kind::bool_:
      take(parse_bool(text));
      break;
    case tag_kind::enum_:
      out.values.emplace_back(t, dictionaries_[t]->intern(text));
      break;
    case tag_kind::set:
      for (size_t start = 0; start <= text.size();) {
        size_t end = text.find(set_separator_, start);
        if (end == std::string_view::npos)
          end = text.size();
        if (end > start)
          out.values.emplace_back(t, dictionaries_[t]->intern(text.substr(start, end - start)));
        start = end + set_separator_.size();
      }
      break;
    case tag_kind::int_:
      take(parse_int(text));
      break;
    case tag_kind::decimal:
      take(parse_decimal(text, tag.precision, tag.scale));
      break;
    case tag_kind::time:
      take(parse_time(text, tag.unit));
      break;
    case tag_kind::composite:
      break;
    }
  }
  return bad;
}

} // namespace tagd
