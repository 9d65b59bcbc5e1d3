#include "platform/desktop_notification.h"

#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace holdfast::platform {
namespace {

struct BusUnref {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};

Status BusError(const char* step, int rc, const sd_bus_error* error) {
  std::string text = std::string("desktop notification: ") + step + ": ";
  text += (error != nullptr && error->message != nullptr) ? error->message : std::strerror(-rc);
  // No bus, or nobody owns the Notifications name: not there, not broken.
  const bool absent = rc == -ENOENT || rc == -ECONNREFUSED || rc == -ENOMEDIUM || rc == -ENXIO ||
                      (error != nullptr && error->name != nullptr &&
                       (std::strcmp(error->name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
                        std::strcmp(error->name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0));
  return Status(absent ? ErrorCode::kNotFound : ErrorCode::kIoError, text);
}

}  // namespace

Result<uint32_t> ShowDesktopNotification(const std::string& summary, const std::string& body, bool critical,
                                         int64_t timeout_ms) {
  sd_bus* raw = nullptr;
  int rc = sd_bus_open_user(&raw);
  if (rc < 0) return BusError("no session bus", rc, nullptr);
  std::unique_ptr<sd_bus, BusUnref> bus(raw);
  sd_bus_set_method_call_timeout(bus.get(), static_cast<uint64_t>(timeout_ms) * 1000);

  sd_bus_message* m = nullptr;
  rc = sd_bus_message_new_method_call(bus.get(), &m, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                                      "org.freedesktop.Notifications", "Notify");
  if (rc < 0) return BusError("message", rc, nullptr);
  std::unique_ptr<sd_bus_message, MessageUnref> call(m);
  // Notify(app_name s, replaces_id u, app_icon s, summary s, body s,
  //        actions as, hints a{sv}, expire_timeout i)
  rc = sd_bus_message_append(call.get(), "susss", "Holdfast", 0u, "dialog-warning", summary.c_str(), body.c_str());
  if (rc >= 0) rc = sd_bus_message_append_strv(call.get(), nullptr);
  if (rc >= 0) rc = sd_bus_message_append(call.get(), "a{sv}", 1, "urgency", "y", static_cast<uint8_t>(critical ? 2 : 1));
  if (rc >= 0) rc = sd_bus_message_append(call.get(), "i", -1);
  if (rc < 0) return BusError("message", rc, nullptr);

  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply_raw = nullptr;
  rc = sd_bus_call(bus.get(), call.get(), 0, &error, &reply_raw);
  std::unique_ptr<sd_bus_message, MessageUnref> reply(reply_raw);
  if (rc < 0) {
    Status status = BusError("Notify", rc, &error);
    sd_bus_error_free(&error);
    return status;
  }
  uint32_t id = 0;
  rc = sd_bus_message_read(reply.get(), "u", &id);
  if (rc < 0) return BusError("reply", rc, nullptr);
  return id;
}

}  // namespace holdfast::platform
