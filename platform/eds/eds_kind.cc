// Shared by both EDS stores (eds.cmake).
#include "platform/eds/eds_store.h"

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

}  // namespace holdfast::platform::eds
