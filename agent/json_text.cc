#include "agent/json_text.h"

#include "platform/pim/content_line.h"
#include "platform/sha256.h"

namespace holdfast::agent {

using nlohmann::json;

void PutJsonText(json* j, const std::string& key, const std::string& bytes) {
  if (platform::IsValidUtf8(bytes)) {
    (*j)[key] = bytes;
  } else {
    (*j)[key + "_hex"] = platform::HexOf(bytes);
  }
}

bool GetJsonText(const json& j, const std::string& key, std::string* bytes) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  if (it != j.end()) {
    if (!it->is_string()) return false;
    *bytes = it->get<std::string>();
    return true;
  }
  it = j.find(key + "_hex");
  if (it == j.end() || !it->is_string()) return false;
  const std::string& hex = it->get_ref<const std::string&>();
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  *bytes = std::move(out);
  return true;
}

bool HasJsonText(const json& j, const std::string& key) {
  return j.is_object() && (j.contains(key) || j.contains(key + "_hex"));
}

}  // namespace holdfast::agent
