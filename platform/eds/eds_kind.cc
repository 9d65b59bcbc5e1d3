// Shared by both EDS stores (eds.cmake).
#include "platform/eds/eds_store.h"

#include "holdfast/version.h"

namespace holdfast::platform::eds {

const char* EdsKindName(EdsKind kind) {
  switch (kind) {
    case EdsKind::kAddressBook: return "address-book";
    case EdsKind::kCalendar: return "calendar";
    case EdsKind::kTaskList: return "task-list";
    case EdsKind::kMemoList: return "memo-list";
  }
  return "?";
}

std::string EdsBuildStamp() {
  return std::string(kVersion) + " eds-interface " + std::to_string(kEdsInterfaceVersion) + " gcc " + __VERSION__ +
         " sizes " + std::to_string(sizeof(std::string)) + "/" + std::to_string(sizeof(Status)) + "/" +
         std::to_string(sizeof(Result<std::unique_ptr<EdsStore>>)) + "/" + std::to_string(sizeof(EdsCollection));
}

}  // namespace holdfast::platform::eds
