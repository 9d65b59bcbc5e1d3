// Tar archives through libarchive: what TarWriter writes TarReader reads back
// byte for byte (plain and zstd), GNU tar reads it without a warning, and
// damaged or foreign files are reported, not read as empty archives.
#include "platform/tar_archive.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "platform/staged_files.h"
#include "tests/support/temp_dir.h"

namespace holdfast::platform {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::ReadFileBytes;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFileBytes;

constexpr int64_t kMtimeMs = 1700000000123;  // 2023-11-14T22:13:20.123Z

struct Member {
  std::string path;
  std::string bytes;
};

std::string Pattern(size_t size, int seed) {
  std::string bytes(size, '\0');
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    bytes[i] = static_cast<char>(x >> 24);
  }
  return bytes;
}

const std::string kLongName = "photos/" + std::string(60, 'd') + "/" + std::string(80, 'n') + ".jpg";

std::vector<Member> SampleMembers() {
  return {
      {"manifest.json", "{\"items\": 3}\n"},
      {"Kyōto 京都/a.jpg", Pattern(3 << 20, 1)},  // 3 MiB, written in pieces below
      {"empty.txt", ""},
      {"contacts/all.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada\r\nEND:VCARD\r\n"},
      {kLongName, Pattern(513, 2)},
  };
}

// Writes `members` to `path` through an AtomicFile, as export does.
void WriteArchive(const fs::path& path, const std::vector<Member>& members, bool zstd) {
  AtomicFile file;
  REQUIRE(file.Open(path, /*replace=*/true).ok());
  TarWriter writer;
  Status status = writer.Open(file.fd(), path.string(), zstd);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  for (const Member& member : members) {
    status = writer.BeginFile(member.path, member.bytes.size(), kMtimeMs);
    REQUIRE_MESSAGE(status.ok(), status.ToString());
    // In uneven pieces, the way a blob is streamed.
    std::string_view rest = member.bytes;
    while (!rest.empty()) {
      const size_t piece = std::min<size_t>(rest.size(), 100000);
      status = writer.Write(rest.substr(0, piece));
      REQUIRE_MESSAGE(status.ok(), status.ToString());
      rest.remove_prefix(piece);
    }
  }
  status = writer.Close();
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  REQUIRE(file.Commit().ok());
}

// Every member of the archive at `path`, read with a small buffer so that
// members span many reads. The first error, if any, ends the reading.
struct ReadBack {
  std::vector<Member> members;
  Status error;
};

ReadBack ReadArchive(const fs::path& path) {
  ReadBack out;
  TarReader reader;
  out.error = reader.Open(path.string());
  if (!out.error.ok()) return out;
  for (;;) {
    TarMember member;
    Result<bool> next = reader.Next(&member);
    if (!next) {
      out.error = next.error();
      return out;
    }
    if (!*next) return out;
    CHECK(member.regular_file);
    Member read{member.path, {}};
    char buffer[7000];
    for (;;) {
      Result<size_t> n = reader.Read(buffer, sizeof buffer);
      if (!n) {
        out.error = n.error();
        return out;
      }
      if (*n == 0) break;
      read.bytes.append(buffer, *n);
    }
    CHECK(member.size_bytes == read.bytes.size());
    out.members.push_back(std::move(read));
  }
}

void CheckSameMembers(const std::vector<Member>& got, const std::vector<Member>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(want[i].path);
    CHECK(got[i].path == want[i].path);
    CHECK(got[i].bytes.size() == want[i].bytes.size());
    CHECK(got[i].bytes == want[i].bytes);
  }
}

std::string GnuTarListing(const std::vector<Member>& members) {
  std::string listing;
  for (const Member& member : members) listing += member.path + "\n";
  return listing;
}

TEST_CASE("a plain tar written by TarWriter reads back member by member, byte for byte") {
  TempDir dir;
  const std::vector<Member> members = SampleMembers();
  WriteArchive(dir / "export.tar", members, /*zstd=*/false);
  ReadBack back = ReadArchive(dir / "export.tar");
  REQUIRE_MESSAGE(back.error.ok(), back.error.ToString());
  CheckSameMembers(back.members, members);
  // Nothing but the archive is left in the folder (no temp file).
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) entries += entry.path().filename() == "export.tar";
  CHECK(entries == 1);
}

TEST_CASE("a zstd tar written by TarWriter reads back byte for byte and is compressed") {
  TempDir dir;
  std::vector<Member> members = SampleMembers();
  // A compressible member, so that compression is visible in the file size.
  members.push_back({"notes/repeated.txt", std::string(2 << 20, 'z')});
  WriteArchive(dir / "export.tar.zst", members, /*zstd=*/true);
  const std::string bytes = ReadFileBytes(dir / "export.tar.zst");
  REQUIRE(bytes.size() >= 4);
  CHECK(bytes.substr(0, 4) == std::string("\x28\xb5\x2f\xfd", 4));  // the zstd frame magic
  CHECK(bytes.size() < (3 << 20) + (2 << 20));
  ReadBack back = ReadArchive(dir / "export.tar.zst");
  REQUIRE_MESSAGE(back.error.ok(), back.error.ToString());
  CheckSameMembers(back.members, members);
}

TEST_CASE("an archive with no member reads back as empty") {
  TempDir dir;
  for (bool zstd : {false, true}) {
    CAPTURE(zstd);
    WriteArchive(dir / "empty.tar", {}, zstd);
    ReadBack back = ReadArchive(dir / "empty.tar");
    CHECK_MESSAGE(back.error.ok(), back.error.ToString());
    CHECK(back.members.empty());
  }
}

TEST_CASE("GNU tar lists and extracts a plain archive from TarWriter without a warning") {
  TempDir dir;
  const std::vector<Member> members = SampleMembers();
  WriteArchive(dir / "export.tar", members, /*zstd=*/false);
  ProcessResult listed = RunProcess({"/usr/bin/tar", "--quoting-style=literal", "-tf", (dir / "export.tar").string()});
  CHECK(listed.exit_code == 0);
  CHECK(listed.err == "");
  CHECK(listed.out == GnuTarListing(members));

  ProcessResult verbose = RunProcess(
      {"/usr/bin/tar", "--utc", "--full-time", "--quoting-style=literal", "-tvf", (dir / "export.tar").string()});
  CHECK(verbose.exit_code == 0);
  CHECK(verbose.err == "");
  CHECK(verbose.out.find("2023-11-14 22:13:20 manifest.json") != std::string::npos);
  CHECK(verbose.out.find("-rw-r--r--") == 0);

  fs::create_directory(dir / "out");
  ProcessResult extracted =
      RunProcess({"/usr/bin/tar", "-xf", (dir / "export.tar").string(), "-C", (dir / "out").string()});
  CHECK(extracted.exit_code == 0);
  CHECK(extracted.err == "");
  for (const Member& member : members) {
    CAPTURE(member.path);
    CHECK(ReadFileBytes(dir / "out" / member.path) == member.bytes);
  }
}

TEST_CASE("GNU tar lists a zstd archive from TarWriter without a warning") {
  TempDir dir;
  const std::vector<Member> members = SampleMembers();
  WriteArchive(dir / "export.tar.zst", members, /*zstd=*/true);
  ProcessResult listed =
      RunProcess({"/usr/bin/tar", "--zstd", "--quoting-style=literal", "-tf", (dir / "export.tar.zst").string()});
  CHECK(listed.exit_code == 0);
  CHECK(listed.err == "");
  CHECK(listed.out == GnuTarListing(members));
}

TEST_CASE("TarReader reports a truncated archive as malformed, plain or zstd") {
  TempDir dir;
  const std::vector<Member> members = SampleMembers();
  for (bool zstd : {false, true}) {
    CAPTURE(zstd);
    WriteArchive(dir / "whole.tar", members, zstd);
    const std::string whole = ReadFileBytes(dir / "whole.tar");
    // Cut in the middle of the 3 MiB member, and cut inside the first header.
    for (size_t keep : {whole.size() / 2, size_t{300}}) {
      CAPTURE(keep);
      WriteFileBytes(dir / "cut.tar", whole.substr(0, keep));
      ReadBack back = ReadArchive(dir / "cut.tar");
      REQUIRE_FALSE(back.error.ok());
      CHECK(back.error.code() == ErrorCode::kMalformedInput);
      CHECK(back.error.message().find((dir / "cut.tar").string()) != std::string::npos);
    }
  }
}

TEST_CASE("TarReader refuses a file that is not an archive as malformed") {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 100; ++i) text += "BEGIN:VCARD\r\nFN:Not an archive " + std::to_string(i) + "\r\nEND:VCARD\r\n";
  WriteFileBytes(dir / "contacts.vcf", text);
  TarReader reader;
  Status status = reader.Open((dir / "contacts.vcf").string());
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kMalformedInput);
  CHECK(status.message().find((dir / "contacts.vcf").string()) != std::string::npos);
}

TEST_CASE("TarReader reports a missing file as kNotFound") {
  TempDir dir;
  TarReader reader;
  Status status = reader.Open((dir / "no-such.tar").string());
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kNotFound);
  CHECK(status.message().find("no-such.tar") != std::string::npos);
}

TEST_CASE("TarWriter refuses a member given more or fewer bytes than its size") {
  TempDir dir;
  UniqueFd fd(open((dir / "bad.tar").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(fd.get() >= 0);
  TarWriter writer;
  REQUIRE(writer.Open(fd.get(), "bad.tar", /*zstd=*/false).ok());
  REQUIRE(writer.BeginFile("a.txt", 3, kMtimeMs).ok());
  CHECK(writer.Write("abcd").code() == ErrorCode::kInternal);
  REQUIRE(writer.Write("ab").ok());
  CHECK(writer.BeginFile("b.txt", 1, kMtimeMs).code() == ErrorCode::kInternal);
  CHECK(writer.Close().code() == ErrorCode::kInternal);
  REQUIRE(writer.Write("c").ok());
  CHECK(writer.Close().ok());
}

}  // namespace
}  // namespace holdfast::platform
