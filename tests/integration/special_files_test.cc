// Sources that hold what is not a regular file or folder (FIFOs, sockets):
// the agent ends with a clear error or a reported skip, never a hang, and
// records no deletion.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "agent/exit_codes.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFileBytes;

// A hang shows as a failure naming the command, well before ctest's limit.
constexpr int kTimeoutS = 60;

const std::string kTwoCards =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bob\r\nFN:Bob\r\nEND:VCARD\r\n";

struct Agent {
  TempDir dir;
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();

  ProcessResult Run(std::vector<std::string> args) const {
    args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", vault, "--config", config});
    return RunProcess(args, {}, kTimeoutS);
  }
  nlohmann::json Status() const {
    ProcessResult status = Run({"status", "--json"});
    REQUIRE_MESSAGE(status.exit_code == kExitOk, status.err);
    return nlohmann::json::parse(status.out);
  }
};

void MakeFifo(const fs::path& path) { REQUIRE(mkfifo(path.c_str(), 0600) == 0); }

// A bound Unix socket leaves a socket file behind; the descriptor is closed at once.
void MakeSocketFile(const fs::path& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string name = path.string();
  REQUIRE(name.size() < sizeof address.sun_path);
  std::copy(name.begin(), name.end(), address.sun_path);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  close(fd);
}

TEST_CASE("a single-file source replaced by a FIFO fails capture and restore-device at once, losing nothing") {
  Agent agent;
  const fs::path file = agent.dir / "contacts.vcf";
  WriteFileBytes(file, kTwoCards);
  REQUIRE(agent.Run({"init"}).exit_code == kExitOk);
  REQUIRE(agent.Run({"source", "add", "--kind", "contacts", file.string()}).exit_code == kExitOk);
  ProcessResult first = agent.Run({"capture"});
  REQUIRE_MESSAGE(first.exit_code == kExitOk, first.err);

  fs::remove(file);
  MakeFifo(file);
  ProcessResult capture = agent.Run({"capture"});
  CHECK(capture.exit_code != kExitOk);
  CHECK(capture.exit_code != testing::kTimedOutExitCode);
  CHECK_MESSAGE((capture.out + capture.err).find("FIFO") != std::string::npos, (capture.out + capture.err));
  nlohmann::json status = agent.Status();
  CHECK(status["kinds"]["contact"]["items"] == 2);
  CHECK(status["kinds"]["contact"]["deleted_items"] == 0);

  ProcessResult restore = agent.Run({"restore-device", "--overwrite"});
  CHECK(restore.exit_code != kExitOk);
  CHECK(restore.exit_code != testing::kTimedOutExitCode);
  CHECK_MESSAGE((restore.out + restore.err).find("FIFO") != std::string::npos, (restore.out + restore.err));
  struct stat st {};
  REQUIRE(lstat(file.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));  // left as it is
}

TEST_CASE("FIFOs and sockets inside source folders are reported as skipped and the rest is captured") {
  Agent agent;
  const fs::path contacts = agent.dir / "contacts";
  const fs::path book = contacts / "personal";
  const fs::path photos = agent.dir / "DCIM";
  fs::create_directories(book);
  fs::create_directories(photos / "Camera");
  WriteFileBytes(book / "ann.vcf", kTwoCards.substr(0, kTwoCards.find("BEGIN:VCARD", 1)));
  MakeFifo(book / "pipe.vcf");
  MakeSocketFile(book / "sock.vcf");
  WriteFileBytes(photos / "Camera" / "IMG_0001.jpg", std::string(5000, 'j'));
  MakeFifo(photos / "Camera" / "VID_0002.mp4");
  REQUIRE(agent.Run({"init"}).exit_code == kExitOk);
  REQUIRE(agent.Run({"source", "add", "--kind", "contacts", contacts.string()}).exit_code == kExitOk);
  REQUIRE(agent.Run({"source", "add", "--kind", "photos", photos.string()}).exit_code == kExitOk);

  ProcessResult capture = agent.Run({"capture"});
  CHECK(capture.exit_code != testing::kTimedOutExitCode);
  nlohmann::json status = agent.Status();
  CHECK(status["kinds"]["contact"]["items"] == 1);
  CHECK(status["kinds"]["photo"]["items"] == 1);
  std::string skipped;
  for (const nlohmann::json& problem : status["capture_problems"]) skipped += problem.dump() + "\n";
  CHECK_MESSAGE(skipped.find("pipe.vcf") != std::string::npos, skipped);
  CHECK_MESSAGE(skipped.find("sock.vcf") != std::string::npos, skipped);
  CHECK_MESSAGE(skipped.find("VID_0002.mp4") != std::string::npos, skipped);
  CHECK_MESSAGE(skipped.find("FIFO") != std::string::npos, skipped);

  // The photo is replaced by a FIFO: skipped and reported, not recorded as deleted.
  fs::remove(photos / "Camera" / "IMG_0001.jpg");
  MakeFifo(photos / "Camera" / "IMG_0001.jpg");
  ProcessResult again = agent.Run({"capture"});
  CHECK(again.exit_code != testing::kTimedOutExitCode);
  status = agent.Status();
  CHECK(status["kinds"]["photo"]["items"] == 1);
  CHECK(status["kinds"]["photo"]["deleted_items"] == 0);

  // restore-device meets the FIFO where the photo belongs: it is left as it
  // is, reported, and the command ends.
  ProcessResult restore = agent.Run({"restore-device", "--overwrite"});
  CHECK(restore.exit_code != testing::kTimedOutExitCode);
  const std::string said = restore.out + restore.err;
  CHECK_MESSAGE(said.find("IMG_0001.jpg") != std::string::npos, said);
  struct stat st {};
  REQUIRE(lstat((photos / "Camera" / "IMG_0001.jpg").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
}

}  // namespace
}  // namespace holdfast
