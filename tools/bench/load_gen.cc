// holdfast-load-gen: many simulated devices against one server (loopback),
// for tools/bench/load_bench.sh and tests/integration/load_test.cc.
//
// Each device creates its collection, then pushes its items in small batches
// and, after every batch, checks as the agent's check does (the inventory,
// paged); each device has one request in flight at a time, all devices at
// once. A 429 or 503 is retried after its Retry-After plus up to as much
// again of random jitter; a transport failure or another 5xx after a short
// backoff. At the end every device reads its inventory and compares it with
// what it pushed: "converged" when equal.
//
// Bounded: --max-seconds ends the run (exit 1) if the devices are not done.
// Prints one JSON object: counts, throughput and latency percentiles of the
// accepted requests (answered anything but 429/503), 429s with and without
// Retry-After, and the devices that did not converge.
//
// --drop-batch is the negative control: device 1 skips its second batch but
// counts it as pushed, as a server that lost it would look; the final check
// must then find that device not converged.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "platform/base64.h"
#include "platform/http_client.h"
#include "platform/sha256.h"

namespace {

using holdfast::platform::HttpClient;
using holdfast::platform::HttpRequest;
using holdfast::platform::HttpResponse;
using nlohmann::json;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string url;
  std::string accounts_file;
  int devices = 100;
  int items = 40;
  int batch = 10;
  uint64_t seed = 1;
  double max_seconds = 120;
  bool drop_batch = false;
};

struct Stats {
  std::vector<int64_t> latency_us;  // accepted requests
  int64_t accepted = 0;
  int64_t rate_limited = 0;          // 429
  int64_t rate_limited_no_retry_after = 0;
  int64_t unavailable = 0;           // 503
  int64_t failed = 0;                // transport failures and other 5xx (retried)
  int64_t unexpected = 0;            // 4xx other than 429: a bug (not retried)
  int64_t items_stored = 0;
};

class Device;

class Fleet {
 public:
  Fleet(const Options& options, HttpClient& http) : options_(options), http_(http), rng_(options.seed) {}
  Stats& stats() { return stats_; }
  std::mt19937_64& rng() { return rng_; }
  HttpClient& http() { return http_; }
  const Options& options() const { return options_; }
  bool TimeUp() const { return NowUs() - start_us_ > static_cast<int64_t>(options_.max_seconds * 1e6); }
  int64_t start_us() const { return start_us_; }

 private:
  const Options& options_;
  HttpClient& http_;
  std::mt19937_64 rng_;
  Stats stats_;
  int64_t start_us_ = NowUs();
};

class Device {
 public:
  Device(Fleet& fleet, int index, std::string account, std::string token)
      : fleet_(fleet), index_(index), account_(std::move(account)), token_(std::move(token)) {
    for (int i = 0; i < fleet.options().items; ++i) {
      const std::string uid = "d" + std::to_string(index) + "-item-" + std::to_string(i);
      const std::string content = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:Person " + std::to_string(i) +
                                  " of " + account_ + "\r\nEND:VCARD\r\n";
      items_.push_back({uid, content, holdfast::platform::ToHex(holdfast::platform::Sha256Of(content))});
    }
  }

  void Start() { PutCollection(); }
  bool done() const { return done_; }
  bool converged() const { return converged_; }
  int index() const { return index_; }
  const std::string& detail() const { return detail_; }

 private:
  struct Item {
    std::string uid;
    std::string content;
    std::string sha256_hex;
  };

  std::string Base() const { return fleet_.options().url + "/v1/accounts/" + account_ + "/collections/book"; }

  // Sends `request`; `next` runs on an accepted answer. Rate limits and
  // failures are retried here.
  void Send(HttpRequest request, std::function<void(const HttpResponse&)> next, int64_t delay_ms = 0) {
    request.headers.push_back("Authorization: Bearer " + token_);
    const int64_t ready_us = NowUs() + delay_ms * 1000;
    auto shared = std::make_shared<HttpRequest>(request);
    fleet_.http().Submit(
        std::move(request),
        [this, shared, next, ready_us](HttpResponse&& response) {
          Stats& stats = fleet_.stats();
          if (fleet_.TimeUp()) {
            detail_ = "time is up";
            done_ = true;
            return;
          }
          shared->headers.pop_back();
          if (response.transport.ok() && (response.status == 429 || response.status == 503)) {
            ++(response.status == 429 ? stats.rate_limited : stats.unavailable);
            if (!response.retry_after_s) ++stats.rate_limited_no_retry_after;
            const int64_t wait_ms = std::max<int64_t>(response.retry_after_s.value_or(1), 0) * 1000;
            std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(wait_ms, 100));
            return Send(*shared, next, wait_ms + jitter(fleet_.rng()));
          }
          if (!response.transport.ok() || response.status >= 500) {
            ++stats.failed;
            std::uniform_int_distribution<int64_t> backoff(100, 500);
            return Send(*shared, next, backoff(fleet_.rng()));
          }
          ++stats.accepted;
          stats.latency_us.push_back(NowUs() - ready_us);
          if (response.status >= 400) {
            ++stats.unexpected;
            detail_ = shared->method + " answered " + std::to_string(response.status) + ": " + response.body;
            done_ = true;
            return;
          }
          next(response);
        },
        delay_ms);
  }

  void PutCollection() {
    Send(HttpRequest{"PUT", Base(), {"Content-Type: application/json"}, R"({"kind": "contact", "name": "Book"})"},
         [this](const HttpResponse&) { PushBatch(0); });
  }

  void PushBatch(size_t first) {
    if (first >= items_.size()) return Check("", true);
    const size_t end = std::min(items_.size(), first + static_cast<size_t>(fleet_.options().batch));
    if (fleet_.options().drop_batch && index_ == 1 && first != 0 && !dropped_) {
      dropped_ = true;  // the negative control: this batch is never sent
      return Check("", false, end);
    }
    json put = json::array();
    for (size_t i = first; i < end; ++i) {
      put.push_back({{"uid", items_[i].uid},
                     {"sha256", items_[i].sha256_hex},
                     {"content_base64", holdfast::platform::Base64Encode(items_[i].content)}});
    }
    Send(HttpRequest{"POST", Base() + "/batch", {"Content-Type: application/json"}, json{{"put", put}}.dump()},
         [this, first, end](const HttpResponse& response) {
           json body = json::parse(response.body, nullptr, false);
           size_t acknowledged = 0;
           if (body.is_object() && body.contains("put") && body["put"].is_array()) {
             for (const json& entry : body["put"]) {
               const std::string status = entry.value("status", "");
               if (status == "stored" || status == "unchanged") ++acknowledged;
             }
           }
           if (acknowledged != end - first) {
             detail_ = "batch at " + std::to_string(first) + ": " + std::to_string(acknowledged) + " of " +
                       std::to_string(end - first) + " acknowledged";
             done_ = true;
             return;
           }
           fleet_.stats().items_stored += static_cast<int64_t>(acknowledged);
           Check("", false, end);
         });
  }

  // One page of the inventory after `after`; then the next batch starting at
  // `next_batch`, or (final) the comparison with everything pushed.
  void Check(const std::string& after, bool final, size_t next_batch = 0) {
    std::string url = Base() + "/inventory?limit=5000";
    if (!after.empty()) url += "&after=" + after;  // uids here are URL-safe
    if (after.empty()) seen_.clear();
    Send(HttpRequest{"GET", url, {}, ""}, [this, final, next_batch](const HttpResponse& response) {
      json body = json::parse(response.body, nullptr, false);
      if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) {
        detail_ = "inventory is not JSON: " + response.body.substr(0, 200);
        done_ = true;
        return;
      }
      for (const json& entry : body["items"]) seen_[entry.value("uid", "")] = entry.value("sha256", "");
      if (body.contains("next") && body["next"].is_string()) return Check(body["next"], final, next_batch);
      if (!final) return PushBatch(next_batch);
      std::map<std::string, std::string> pushed;
      for (const Item& item : items_) pushed[item.uid] = item.sha256_hex;
      converged_ = seen_ == pushed;
      if (!converged_) {
        detail_ = "the server holds " + std::to_string(seen_.size()) + " items, the device pushed " +
                  std::to_string(pushed.size());
      }
      done_ = true;
    });
  }

  Fleet& fleet_;
  int index_;
  std::string account_;
  std::string token_;
  std::vector<Item> items_;
  std::map<std::string, std::string> seen_;
  bool dropped_ = false;
  bool done_ = false;
  bool converged_ = false;
  std::string detail_;
};

double Percentile(std::vector<int64_t> sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[at]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"holdfast-load-gen: many simulated devices pushing and checking at once (loopback)"};
  Options options;
  app.add_option("--url", options.url, "the server's base URL, e.g. http://127.0.0.1:8443")->required();
  app.add_option("--accounts", options.accounts_file, "\"NAME TOKEN\" lines (holdfast-server add-account --count)")
      ->required();
  app.add_option("--devices", options.devices, "devices (the first N accounts)")->check(CLI::Range(1, 100000));
  app.add_option("--items", options.items, "items each device pushes")->check(CLI::Range(1, 100000));
  app.add_option("--batch", options.batch, "items per batch")->check(CLI::Range(1, 1000));
  app.add_option("--seed", options.seed, "seed of the jitter");
  app.add_option("--max-seconds", options.max_seconds, "give up (exit 1) after this long")->check(CLI::PositiveNumber);
  app.add_flag("--drop-batch", options.drop_batch, "negative control: device 1 skips a batch, counting it as pushed");
  CLI11_PARSE(app, argc, argv);

  if (!holdfast::platform::InitHttpLibrary().ok()) {
    std::cerr << "holdfast-load-gen: libcurl cannot be set up\n";
    return 2;
  }
  std::ifstream accounts(options.accounts_file);
  std::vector<std::pair<std::string, std::string>> credentials;
  for (std::string name, token; accounts >> name >> token;) credentials.emplace_back(name, token);
  if (static_cast<int>(credentials.size()) < options.devices) {
    std::cerr << "holdfast-load-gen: " << options.accounts_file << " has " << credentials.size() << " accounts, "
              << options.devices << " devices asked\n";
    return 2;
  }
  holdfast::platform::HttpOptions http_options;
  http_options.max_in_flight = options.devices;  // one request per device, all at once
  http_options.transfer_timeout_ms = static_cast<int64_t>(options.max_seconds * 1000);
  auto http = HttpClient::Create(http_options);
  if (!http) {
    std::cerr << "holdfast-load-gen: " << http.error().ToString() << "\n";
    return 2;
  }
  Fleet fleet(options, **http);
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < options.devices; ++i) {
    devices.push_back(std::make_unique<Device>(fleet, i + 1, credentials[i].first, credentials[i].second));
  }
  for (auto& device : devices) device->Start();
  if (auto status = (*http)->RunUntilIdle(); !status.ok()) {
    std::cerr << "holdfast-load-gen: " << status.ToString() << "\n";
    return 2;
  }
  const double seconds = static_cast<double>(NowUs() - fleet.start_us()) / 1e6;
  Stats& stats = fleet.stats();
  std::sort(stats.latency_us.begin(), stats.latency_us.end());
  json not_converged = json::array();
  int converged = 0;
  for (const auto& device : devices) {
    if (device->converged()) {
      ++converged;
    } else if (not_converged.size() < 20) {
      not_converged.push_back({{"device", device->index()}, {"detail", device->detail()}});
    }
  }
  json report = {{"devices", options.devices},
                 {"items_per_device", options.items},
                 {"batch", options.batch},
                 {"seconds", seconds},
                 {"accepted", stats.accepted},
                 {"accepted_per_s", static_cast<double>(stats.accepted) / seconds},
                 {"items_stored", stats.items_stored},
                 {"items_per_s", static_cast<double>(stats.items_stored) / seconds},
                 {"latency_ms",
                  {{"p50", Percentile(stats.latency_us, 0.50)},
                   {"p95", Percentile(stats.latency_us, 0.95)},
                   {"p99", Percentile(stats.latency_us, 0.99)},
                   {"max", stats.latency_us.empty() ? 0.0 : static_cast<double>(stats.latency_us.back()) / 1000.0}}},
                 {"rate_limited_429", stats.rate_limited},
                 {"rate_limited_without_retry_after", stats.rate_limited_no_retry_after},
                 {"unavailable_503", stats.unavailable},
                 {"failed_retried", stats.failed},
                 {"unexpected", stats.unexpected},
                 {"converged", converged},
                 {"not_converged", not_converged},
                 {"time_up", fleet.TimeUp()}};
  std::cout << report.dump(1) << std::endl;
  return converged == options.devices && !fleet.TimeUp() ? 0 : 1;
}
