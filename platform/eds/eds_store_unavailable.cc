// Built when libebook-1.2 and libecal-2.0 were not found (eds.cmake).
#include "platform/eds/eds_store.h"

namespace holdfast::platform::eds {

bool EdsSupportBuiltIn() { return false; }

Result<std::unique_ptr<EdsStore>> EdsStore::Connect(std::string) {
  return Status(ErrorCode::kInvalidArgument,
                "this holdfast was built without Evolution Data Server support (libebook-1.2 and "
                "libecal-2.0 were not found): install libebook1.2-dev and libecal2.0-dev and rebuild");
}

}  // namespace holdfast::platform::eds
