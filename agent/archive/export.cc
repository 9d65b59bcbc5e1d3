#include "agent/archive/export.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/archive/archive_format.h"
#include "agent/json_text.h"
#include "platform/base64.h"
#include "platform/clock.h"
#include "platform/pim/content_line.h"
#include "platform/pim/icalendar_merge.h"
#include "platform/sha256.h"
#include "platform/staged_files.h"
#include "platform/secret_stream.h"
#include "platform/tar_archive.h"

namespace holdfast::agent {
namespace {

namespace fs = std::filesystem;
using platform::Digest;
using storage::CollectionInfo;
using storage::ItemKind;
using storage::Vault;

constexpr uint64_t kMaxInlineItemBytes = platform::kMaxPimFileBytes;

Result<std::string> ReadVerified(Vault& vault, const CollectionInfo& c, const SnapshotItem& s) {
  if (s.revision.size_bytes > kMaxInlineItemBytes) {
    return Status(ErrorCode::kInvalidArgument, DescribeItem(c, s) + ": too large to export in this format");
  }
  std::string content;
  content.reserve(s.revision.size_bytes);
  HF_RETURN_IF_ERROR(StreamSnapshotItem(vault, c, s, [&](std::string_view bytes) {
    content.append(bytes);
    return Status::Ok();
  }));
  return content;
}

// One name per collection in a flat folder: "<collection>.<ext>", with the
// source put in front when two sources have a collection of the same name.
class FlatNames {
 public:
  std::string For(const CollectionInfo& c, const char* ext) {
    std::string name = SafeFileName(c.name) + "." + ext;
    if (!used_.insert(name).second) {
      name = SafeFileName(c.source + "-" + c.name) + "." + ext;
      for (int n = 2; !used_.insert(name).second; ++n) {
        name = SafeFileName(c.source + "-" + c.name + "-" + std::to_string(n)) + "." + ext;
      }
    }
    return name;
  }

 private:
  std::set<std::string> used_;
};

Status ExportVdir(Vault& vault, const ExportOptions& options, ExportReport* report) {
  platform::StagedFolder folder;
  HF_RETURN_IF_ERROR(folder.Open(options.to, options.force));
  HF_RETURN_IF_ERROR(ForEachSnapshotCollection(
      vault, options.filter, [&](const CollectionInfo& c, SnapshotItems& items) {
        ++report->collections;
        return items.Visit([&](const SnapshotItem& s) {
          const std::string relative = DistinctFileName(c.source) + "/" + s.path;
          Result<platform::UniqueFd> fd = folder.CreateFile(relative);
          if (!fd) return fd.error();
          const fs::path shown = options.to / relative;
          HF_RETURN_IF_ERROR(StreamSnapshotItem(vault, c, s, [&](std::string_view bytes) {
            return platform::WriteFd(fd->get(), bytes, shown);
          }));
          if (fd->Close() != 0) return ErrnoStatus("close " + shown.string(), errno);
          ++report->items;
          ++report->files;
          report->content_bytes += static_cast<int64_t>(s.revision.size_bytes);
          return Status::Ok();
        });
      }));
  return folder.Commit();
}

Status ExportVcf(Vault& vault, const ExportOptions& options, ExportReport* report) {
  platform::StagedFolder folder;
  HF_RETURN_IF_ERROR(folder.Open(options.to, options.force));
  FlatNames names;
  SnapshotFilter filter = options.filter;
  filter.kind = ItemKind::kContact;
  HF_RETURN_IF_ERROR(ForEachSnapshotCollection(vault, filter, [&](const CollectionInfo& c, SnapshotItems& items) {
    ++report->collections;
    const std::string name = names.For(c, "vcf");
    Result<platform::UniqueFd> fd = folder.CreateFile(name);
    if (!fd) return fd.error();
    const fs::path shown = options.to / name;
    HF_RETURN_IF_ERROR(items.Visit([&](const SnapshotItem& s) {
      Result<std::string> card = ReadVerified(vault, c, s);
      if (!card) return card.error();
      if (!card->empty() && card->back() != '\n') card->append("\r\n");
      HF_RETURN_IF_ERROR(platform::WriteFd(fd->get(), *card, shown));
      ++report->items;
      report->content_bytes += static_cast<int64_t>(s.revision.size_bytes);
      return Status::Ok();
    }));
    if (fd->Close() != 0) return ErrnoStatus("close " + shown.string(), errno);
    ++report->files;
    return Status::Ok();
  }));
  return folder.Commit();
}

// One VCALENDAR per collection: its items' time zones once (read in a first
// pass), then every component, streamed in a second pass.
Status ExportIcs(Vault& vault, const ExportOptions& options, ExportReport* report) {
  platform::StagedFolder folder;
  HF_RETURN_IF_ERROR(folder.Open(options.to, options.force));
  FlatNames names;
  HF_RETURN_IF_ERROR(ForEachSnapshotCollection(
      vault, options.filter, [&](const CollectionInfo& c, SnapshotItems& items) {
    if (c.kind == ItemKind::kContact || c.kind == ItemKind::kPhoto) return Status::Ok();
    ++report->collections;
    const std::string name = names.For(c, "ics");
    const fs::path shown = options.to / name;
    std::string zones;
    std::set<std::string> tzids;
    HF_RETURN_IF_ERROR(items.Visit([&](const SnapshotItem& s) {
      Result<std::string> calendar = ReadVerified(vault, c, s);
      if (!calendar) return calendar.error();
      Result<platform::CalendarParts> parts = platform::SplitCalendar(*calendar, DescribeItem(c, s));
      if (!parts) return parts.error();
      for (const platform::CalendarParts::Block& block : parts->blocks) {
        if (!platform::EqualsIgnoreCase(block.name, "VTIMEZONE")) continue;
        if (!block.tzid.empty() && !tzids.insert(std::string(block.tzid)).second) continue;
        zones.append(block.bytes);
        if (zones.back() != '\n') zones.append("\r\n");
      }
      return Status::Ok();
    }));
    Result<platform::UniqueFd> fd = folder.CreateFile(name);
    if (!fd) return fd.error();
    HF_RETURN_IF_ERROR(platform::WriteFd(
        fd->get(), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Holdfast//Holdfast export//EN\r\n", shown));
    HF_RETURN_IF_ERROR(platform::WriteFd(fd->get(), zones, shown));
    HF_RETURN_IF_ERROR(items.Visit([&](const SnapshotItem& s) {
      Result<std::string> calendar = ReadVerified(vault, c, s);
      if (!calendar) return calendar.error();
      Result<platform::CalendarParts> parts = platform::SplitCalendar(*calendar, DescribeItem(c, s));
      if (!parts) return parts.error();
      for (const platform::CalendarParts::Block& block : parts->blocks) {
        if (platform::EqualsIgnoreCase(block.name, "VTIMEZONE")) continue;
        HF_RETURN_IF_ERROR(platform::WriteFd(fd->get(), block.bytes, shown));
        if (block.bytes.back() != '\n') HF_RETURN_IF_ERROR(platform::WriteFd(fd->get(), "\r\n", shown));
      }
      ++report->items;
      report->content_bytes += static_cast<int64_t>(s.revision.size_bytes);
      return Status::Ok();
    }));
    HF_RETURN_IF_ERROR(platform::WriteFd(fd->get(), "END:VCALENDAR\r\n", shown));
    if (fd->Close() != 0) return ErrnoStatus("close " + shown.string(), errno);
    ++report->files;
    return Status::Ok();
  }));
  return folder.Commit();
}

Status ExportJson(Vault& vault, const ExportOptions& options, ExportReport* report) {
  platform::AtomicFile file;
  HF_RETURN_IF_ERROR(file.Open(options.to, options.force));
  HF_RETURN_IF_ERROR(ForEachSnapshotCollection(
      vault, options.filter, [&](const CollectionInfo& c, SnapshotItems& items) {
    ++report->collections;
    return items.Visit([&](const SnapshotItem& s) {
      // Names and uids are bytes: what is not UTF-8 goes as "<key>_hex".
      nlohmann::json line = {{"kind", storage::ItemKindName(c.kind)},
                             {"sha256", platform::ToHex(s.revision.sha256)},
                             {"size", s.revision.size_bytes},
                             {"captured_at", platform::FormatUtc(s.revision.captured_at_ms)},
                             {"first_seen", platform::FormatUtc(s.item.first_seen_ms)}};
      PutJsonText(&line, "source", c.source);
      PutJsonText(&line, "collection", c.name);
      PutJsonText(&line, "summary", s.item.summary);
      PutJsonText(&line, "path", s.path);
      PutJsonText(&line, "uid", s.item.uid);
      std::string text;
      const bool inline_text = c.kind != ItemKind::kPhoto && s.revision.size_bytes <= kMaxInlineItemBytes;
      if (inline_text) {
        Result<std::string> content = ReadVerified(vault, c, s);
        if (!content) return content.error();
        if (platform::IsValidUtf8(*content)) {
          line["content"] = std::move(*content);
          text = line.dump() + "\n";
        } else {
          text = line.dump();
          text.pop_back();
          text += ",\"content_base64\":\"";
          platform::Base64Encoder base64(&text);
          base64.Add(*content);
          base64.Finish();
          text += "\"}\n";
        }
        HF_RETURN_IF_ERROR(file.Append(text));
      } else {
        // Large content streams out in pieces: no whole photo or video in memory.
        text = line.dump();
        text.pop_back();
        text += ",\"content_base64\":\"";
        HF_RETURN_IF_ERROR(file.Append(text));
        std::string piece;
        platform::Base64Encoder base64(&piece);
        HF_RETURN_IF_ERROR(StreamSnapshotItem(vault, c, s, [&](std::string_view bytes) {
          base64.Add(bytes);
          Status status = file.Append(piece);
          piece.clear();
          return status;
        }));
        base64.Finish();
        piece += "\"}\n";
        HF_RETURN_IF_ERROR(file.Append(piece));
      }
      ++report->items;
      ++report->files;
      report->content_bytes += static_cast<int64_t>(s.revision.size_bytes);
      return Status::Ok();
    });
  }));
  return file.Commit();
}

// Copies a scratch file into the archive as one member.
Status AppendScratch(std::FILE* scratch, std::string_view member, platform::TarWriter& tar, int64_t now_ms) {
  std::fflush(scratch);
  const long size = std::ftell(scratch);
  if (size < 0) return Status(ErrorCode::kIoError, "scratch file for " + std::string(member));
  std::rewind(scratch);
  HF_RETURN_IF_ERROR(tar.BeginFile(member, static_cast<uint64_t>(size), now_ms));
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, scratch)) > 0) {
    HF_RETURN_IF_ERROR(tar.Write(std::string_view(buffer, n)));
  }
  if (std::ferror(scratch)) return Status(ErrorCode::kIoError, "reading the scratch file for " + std::string(member));
  return Status::Ok();
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Status ExportArchive(Vault& vault, const ExportOptions& options, ExportReport* report) {
  platform::AtomicFile file;
  HF_RETURN_IF_ERROR(file.Open(options.to, options.force));
  platform::TarWriter tar;
  std::unique_ptr<platform::EncryptingWriter> encrypted;
  if (options.passphrase.empty()) {
    HF_RETURN_IF_ERROR(tar.Open(file.fd(), options.to.string(), options.zstd));
  } else {
    // The tar stream is encrypted as it is written: no plain byte reaches the disk.
    Result<std::unique_ptr<platform::EncryptingWriter>> writer = platform::EncryptingWriter::Create(
        options.passphrase, [&](std::string_view bytes) { return platform::WriteFd(file.fd(), bytes, options.to); });
    if (!writer) return writer.error();
    encrypted = std::move(*writer);
    HF_RETURN_IF_ERROR(tar.Open([&](std::string_view bytes) { return encrypted->Write(bytes); }, options.to.string(),
                                options.zstd));
  }
  const std::string readme = ArchiveReadmeText();
  HF_RETURN_IF_ERROR(tar.BeginFile(kArchiveReadme, readme.size(), options.now_ms));
  HF_RETURN_IF_ERROR(tar.Write(readme));
  // SHA256SUMS and the manifest grow in scratch files while the items stream.
  std::unique_ptr<std::FILE, FileCloser> sums(std::tmpfile());
  std::unique_ptr<std::FILE, FileCloser> manifest(std::tmpfile());
  if (!sums || !manifest) return ErrnoStatus("scratch file for the archive's manifest", errno);
  auto put = [](std::FILE* f, const std::string& text) {
    return std::fwrite(text.data(), 1, text.size(), f) == text.size()
               ? Status::Ok()
               : ErrnoStatus("scratch file for the archive's manifest", errno);
  };
  HF_RETURN_IF_ERROR(put(manifest.get(), ManifestHeaderLine(vault.device_id(), options.now_ms, options.filter.as_of_ms)));
  HF_RETURN_IF_ERROR(ForEachSnapshotCollection(
      vault, options.filter, [&](const CollectionInfo& c, SnapshotItems& items) {
    ++report->collections;
    HF_RETURN_IF_ERROR(put(manifest.get(), ManifestCollectionLine({c.source, c.name, c.kind})));
    return items.Visit([&](const SnapshotItem& s) {
      ManifestItem item;
      item.member = std::string(kArchiveItemsPrefix) + DistinctFileName(c.source) + "/" + s.path;
      item.sha256 = s.revision.sha256;
      item.size_bytes = s.revision.size_bytes;
      item.source = c.source;
      item.collection = c.name;
      item.kind = c.kind;
      item.uid = s.item.uid;
      item.summary = s.item.summary;
      item.source_path = s.item.source_path;
      item.captured_at_ms = s.revision.captured_at_ms;
      HF_RETURN_IF_ERROR(tar.BeginFile(item.member, item.size_bytes, s.revision.captured_at_ms));
      HF_RETURN_IF_ERROR(StreamSnapshotItem(vault, c, s, [&](std::string_view bytes) { return tar.Write(bytes); }));
      HF_RETURN_IF_ERROR(put(manifest.get(), ManifestItemLine(item)));
      HF_RETURN_IF_ERROR(put(sums.get(), platform::ToHex(item.sha256) + "  " +
                                             item.member.substr(kArchiveRoot.size()) + "\n"));
      ++report->items;
      ++report->files;
      report->content_bytes += static_cast<int64_t>(s.revision.size_bytes);
      return Status::Ok();
    });
  }));
  HF_RETURN_IF_ERROR(put(manifest.get(), ManifestEndLine(report->collections, report->items)));
  HF_RETURN_IF_ERROR(AppendScratch(sums.get(), kArchiveSums, tar, options.now_ms));
  HF_RETURN_IF_ERROR(AppendScratch(manifest.get(), kArchiveManifest, tar, options.now_ms));
  HF_RETURN_IF_ERROR(tar.Close());
  if (encrypted) HF_RETURN_IF_ERROR(encrypted->Finish());
  return file.Commit();
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "vdir") return ExportFormat::kVdir;
  if (name == "vcf") return ExportFormat::kVcf;
  if (name == "ics") return ExportFormat::kIcs;
  if (name == "json") return ExportFormat::kJson;
  if (name == "archive") return ExportFormat::kArchive;
  return std::nullopt;
}

Result<ExportReport> Export(Vault& vault, const ExportOptions& options) {
  if (options.zstd && options.format != ExportFormat::kArchive) {
    return Status(ErrorCode::kInvalidArgument, "--zstd applies to --format archive only");
  }
  if (!options.passphrase.empty() && options.format != ExportFormat::kArchive) {
    return Status(ErrorCode::kInvalidArgument, "--encrypt applies to --format archive only");
  }
  if (options.to.empty()) return Status(ErrorCode::kInvalidArgument, "--to needs a path");
  // A filter that matches nothing is a mistake to report, not an empty export.
  int64_t matching = 0;
  Result<std::vector<CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  for (const CollectionInfo& c : *collections) {
    const SnapshotFilter& f = options.filter;
    if ((!f.collection || c.name == *f.collection) && (!f.kind || c.kind == *f.kind) &&
        (!f.source || c.source == *f.source)) {
      ++matching;
    }
  }
  if (matching == 0) {
    return Status(ErrorCode::kInvalidArgument, "no collection in the vault matches --collection/--kind; "
                                               "`holdfast status` lists what the vault holds");
  }
  ExportReport report;
  Status status;
  switch (options.format) {
    case ExportFormat::kVdir: status = ExportVdir(vault, options, &report); break;
    case ExportFormat::kVcf: status = ExportVcf(vault, options, &report); break;
    case ExportFormat::kIcs: status = ExportIcs(vault, options, &report); break;
    case ExportFormat::kJson: status = ExportJson(vault, options, &report); break;
    case ExportFormat::kArchive: status = ExportArchive(vault, options, &report); break;
  }
  if (!status.ok()) return status.WithContext("export to " + options.to.string());
  return report;
}

}  // namespace holdfast::agent
