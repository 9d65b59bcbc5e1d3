#include "agent/archive/archive_import.h"

#include <map>
#include <memory>
#include <unordered_map>

#include "agent/archive/archive_format.h"
#include "platform/pim/content_line.h"
#include "platform/sha256.h"
#include "platform/secret_stream.h"
#include "platform/tar_archive.h"

namespace holdfast::agent {
namespace {

using platform::Digest;
using platform::TarMember;
using platform::TarReader;
using storage::ItemKind;
using storage::Vault;

constexpr size_t kReadChunkBytes = 256 * 1024;
constexpr uint64_t kMaxManifestBytes = uint64_t{1} << 30;
constexpr int64_t kItemsPerBatch = 5000;
constexpr uint64_t kBytesPerBatch = uint64_t{32} << 20;
constexpr uint64_t kMaxBlobBytesInBatch = uint64_t{16} << 20;

Status Refuse(const std::filesystem::path& archive, std::string why) {
  const std::string prefix = archive.string() + ": ";
  if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
  constexpr std::string_view kNothing = "; nothing was imported";
  if (why.size() >= kNothing.size() && why.compare(why.size() - kNothing.size(), kNothing.size(), kNothing) == 0) {
    why.resize(why.size() - kNothing.size());
  }
  return Status(ErrorCode::kMalformedInput, prefix + why + std::string(kNothing));
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Reads the current member to its end, handing each piece to `sink`.
Status ReadMember(TarReader& tar, const std::function<Status(std::string_view)>& sink) {
  std::string buffer(kReadChunkBytes, '\0');
  while (true) {
    Result<size_t> n = tar.Read(buffer.data(), buffer.size());
    if (!n) return n.error();
    if (*n == 0) return Status::Ok();
    HF_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), *n)));
  }
}

struct Checked {
  Digest sha256{};
  uint64_t size_bytes = 0;
};

// What the first pass learned: the manifest's items by member, in order.
struct VerifiedArchive {
  std::vector<ManifestCollection> collections;
  std::unordered_map<std::string, ManifestItem> items;
};

// Opens the archive for one pass: the file itself, or its decrypted stream.
using ArchiveOpener = std::function<Status(TarReader&)>;

Result<VerifiedArchive> VerifyArchive(const std::filesystem::path& archive, const ArchiveOpener& open,
                                      ImportReport* report) {
  TarReader tar;
  Status opened = open(tar);
  if (!opened.ok()) {
    return opened.code() == ErrorCode::kMalformedInput ? Refuse(archive, opened.message()) : opened;
  }
  std::unordered_map<std::string, Checked> seen;
  std::string sums;
  std::string manifest;
  bool has_manifest = false;
  while (true) {
    TarMember member;
    Result<bool> next = tar.Next(&member);
    if (!next) return Refuse(archive, next.error().message());
    if (!*next) break;
    if (!member.regular_file || !StartsWith(member.path, kArchiveRoot)) {
      return Refuse(archive, "member \"" + member.path + "\" is not part of a Holdfast archive");
    }
    ++report->members_checked;
    if (member.path == kArchiveReadme) {
      Status read = ReadMember(tar, [](std::string_view) { return Status::Ok(); });
      if (!read.ok()) return Refuse(archive, read.message());
    } else if (member.path == kArchiveSums || member.path == kArchiveManifest) {
      if (member.size_bytes > kMaxManifestBytes) return Refuse(archive, member.path + " is implausibly large");
      std::string& text = member.path == kArchiveSums ? sums : manifest;
      if (member.path == kArchiveManifest) has_manifest = true;
      Status read = ReadMember(tar, [&](std::string_view bytes) {
        if (text.size() + bytes.size() > kMaxManifestBytes) {
          return Refuse(archive, member.path + " is implausibly large");
        }
        text.append(bytes);
        return Status::Ok();
      });
      if (!read.ok()) return Refuse(archive, read.message());
    } else if (StartsWith(member.path, kArchiveItemsPrefix)) {
      platform::Sha256 hasher;
      uint64_t size = 0;
      Status read = ReadMember(tar, [&](std::string_view bytes) {
        hasher.Update(bytes);
        size += bytes.size();
        return Status::Ok();
      });
      if (!read.ok()) return Refuse(archive, read.message());
      if (!seen.emplace(member.path, Checked{hasher.Finish(), size}).second) {
        return Refuse(archive, "member \"" + member.path + "\" appears twice");
      }
    } else {
      return Refuse(archive, "member \"" + member.path + "\" is not part of a Holdfast archive");
    }
  }
  if (!has_manifest) {
    return Refuse(archive, seen.empty() && report->members_checked == 0
                               ? "not a Holdfast archive (no member)"
                               : "no " + std::string(kArchiveManifest) + " (truncated, or not a Holdfast archive)");
  }

  VerifiedArchive verified;
  std::string expected_sums;
  bool has_header = false;
  bool has_end = false;
  int line_number = 0;
  size_t pos = 0;
  while (pos < manifest.size()) {
    size_t eol = manifest.find('\n', pos);
    if (eol == std::string::npos) eol = manifest.size();
    std::string_view text(manifest.data() + pos, eol - pos);
    pos = eol + 1;
    ++line_number;
    if (text.empty()) continue;
    if (has_end) return Refuse(archive, "the manifest goes on after its end line");
    Result<ManifestLine> line = ParseManifestLine(text, line_number);
    if (!line) return Refuse(archive, line.error().message());
    if (!has_header && line->type != ManifestLine::Type::kHeader) {
      return Refuse(archive, "the manifest does not start with a Holdfast header");
    }
    switch (line->type) {
      case ManifestLine::Type::kHeader:
        if (has_header) return Refuse(archive, "the manifest has two headers");
        if (line->format_version > kArchiveFormatVersion) {
          return Refuse(archive, "archive format version " + std::to_string(line->format_version) +
                                     " is newer than this Holdfast reads (" +
                                     std::to_string(kArchiveFormatVersion) + "); upgrade Holdfast");
        }
        has_header = true;
        break;
      case ManifestLine::Type::kCollection:
        verified.collections.push_back(line->collection);
        break;
      case ManifestLine::Type::kItem: {
        const ManifestItem& item = line->item;
        auto found = seen.find(item.member);
        if (found == seen.end()) return Refuse(archive, "member \"" + item.member + "\" is missing (truncated?)");
        if (found->second.size_bytes != item.size_bytes || found->second.sha256 != item.sha256) {
          return Refuse(archive, "member \"" + item.member + "\" does not match its SHA-256 in the manifest "
                                 "(damaged or tampered with)");
        }
        if (!verified.items.emplace(item.member, item).second) {
          return Refuse(archive, "the manifest lists \"" + item.member + "\" twice");
        }
        expected_sums += platform::ToHex(item.sha256) + "  " + item.member.substr(kArchiveRoot.size()) + "\n";
        break;
      }
      case ManifestLine::Type::kEnd:
        if (line->items != static_cast<int64_t>(verified.items.size()) ||
            line->collections != static_cast<int64_t>(verified.collections.size())) {
          return Refuse(archive, "the manifest's counts do not match its lines");
        }
        has_end = true;
        break;
    }
  }
  if (!has_end) return Refuse(archive, "the manifest has no end line (truncated)");
  // What the second pass would refuse halfway is refused here, before any
  // write: an item too large for its kind, an item of a kind or collection
  // the manifest does not list.
  std::map<std::pair<std::string, std::string>, ItemKind> listed;
  for (const ManifestCollection& c : verified.collections) {
    if (!listed.emplace(std::make_pair(c.source, c.name), c.kind).second) {
      return Refuse(archive, "the manifest lists collection '" + c.name + "' of source '" + c.source + "' twice");
    }
  }
  for (const auto& [member, item] : verified.items) {
    auto collection = listed.find({item.source, item.collection});
    if (collection == listed.end() || collection->second != item.kind) {
      return Refuse(archive, "member \"" + member + "\" is a " + storage::ItemKindName(item.kind) +
                                 " of a collection the manifest does not list as such");
    }
    if (item.kind != ItemKind::kPhoto && item.size_bytes > platform::kMaxPimFileBytes) {
      return Refuse(archive, "member \"" + member + "\" is " + std::to_string(item.size_bytes) +
                                 " bytes, over the " + std::to_string(platform::kMaxPimFileBytes) + " a " +
                                 storage::ItemKindName(item.kind) + " may have");
    }
  }
  if (verified.items.size() != seen.size()) {
    for (const auto& [member, checked] : seen) {
      if (verified.items.count(member) == 0) {
        return Refuse(archive, "member \"" + member + "\" is not listed in the manifest");
      }
    }
  }
  if (sums != expected_sums) return Refuse(archive, "SHA256SUMS does not agree with the manifest");
  return verified;
}

class Importer {
 public:
  Importer(Vault& vault, const std::filesystem::path& archive, const ArchiveOpener& open, ImportReport* report)
      : vault_(vault), archive_(archive), open_(open), report_(report) {}

  Status Run(const VerifiedArchive& verified) {
    // Every collection's kind is checked against the vault before the first
    // one is created: a refusal leaves the vault as it was.
    for (const ManifestCollection& c : verified.collections) HF_RETURN_IF_ERROR(CheckKind(c.source, c.name, c.kind));
    for (const ManifestCollection& c : verified.collections) {
      Result<int64_t> id = CollectionId(c.source, c.name, c.kind);
      if (!id) return id.error();
    }
    report_->collections = static_cast<int64_t>(verified.collections.size());
    TarReader tar;
    HF_RETURN_IF_ERROR(open_(tar));
    while (true) {
      TarMember member;
      Result<bool> next = tar.Next(&member);
      if (!next) return next.error();
      if (!*next) break;
      auto item = verified.items.find(member.path);
      if (item == verified.items.end()) continue;  // README, SHA256SUMS, manifest
      HF_RETURN_IF_ERROR(ImportItem(tar, item->second));
    }
    return Commit();
  }

 private:
  Result<int64_t> CollectionId(const std::string& source, const std::string& name, ItemKind kind) {
    auto key = std::make_pair(source, name);
    auto it = ids_.find(key);
    if (it != ids_.end()) return it->second;
    HF_RETURN_IF_ERROR(CheckKind(source, name, kind));
    Result<int64_t> id = vault_.EnsureCollection(kind, name, source);
    if (!id) return id.error();
    ids_[key] = *id;
    return *id;
  }

  // kAlreadyExists when the vault holds (source, name) with another kind.
  Status CheckKind(const std::string& source, const std::string& name, ItemKind kind) {
    auto key = std::make_pair(source, name);
    if (!existing_loaded_) {
      Result<std::vector<storage::CollectionInfo>> all = vault_.ListCollections();
      if (!all) return all.error();
      for (const storage::CollectionInfo& c : *all) kinds_[{c.source, c.name}] = c.kind;
      existing_loaded_ = true;
    }
    auto known = kinds_.find(key);
    if (known != kinds_.end() && known->second != kind) {
      return Status(ErrorCode::kAlreadyExists, "collection '" + name + "' of source '" + source +
                                                   "' holds " + storage::ItemKindName(known->second) +
                                                   " items in the vault but " + storage::ItemKindName(kind) +
                                                   " items in the archive");
    }
    return Status::Ok();
  }

  Status Open() {
    if (batch_) return Status::Ok();
    Result<storage::WriteBatch> batch = vault_.BeginBatch();
    if (!batch) return batch.error();
    batch_.emplace(std::move(*batch));
    batch_items_ = 0;
    batch_bytes_ = 0;
    return Status::Ok();
  }
  Status Commit() {
    if (!batch_) return Status::Ok();
    Status status = batch_->Commit();
    batch_.reset();
    return status;
  }

  // Whether the archive's content should go into the vault; counts the rest.
  Result<bool> Wanted(int64_t collection_id, const ManifestItem& item) {
    Result<std::optional<storage::ItemRecord>> found = vault_.FindItem(collection_id, item.uid);
    if (!found) return found.error();
    if (!found->has_value()) return true;
    const storage::ItemRecord& held = **found;
    if (!held.deleted && held.sha256 == item.sha256) {
      ++report_->items_unchanged;
      return false;
    }
    if (held.last_seen_ms >= item.captured_at_ms) {
      ++report_->items_kept;
      return false;
    }
    return true;
  }

  Status ImportItem(TarReader& tar, const ManifestItem& item) {
    Result<int64_t> collection_id = CollectionId(item.source, item.collection, item.kind);
    if (!collection_id) return collection_id.error();
    // A large photo or video streams into the blob store in transactions of
    // its own, between batches, so that no batch grows without bound.
    const bool large = item.size_bytes > kMaxBlobBytesInBatch;
    HF_RETURN_IF_ERROR(large ? Commit() : Open());
    Result<bool> wanted = Wanted(*collection_id, item);
    if (!wanted) return wanted.error();
    if (!*wanted) return Status::Ok();
    const bool existed = vault_.FindItem(*collection_id, item.uid)->has_value();
    const std::string where = archive_.string() + ": member \"" + item.member + "\"";
    Result<storage::PutOutcome> put = Status(ErrorCode::kInternal, "unset");
    if (item.kind == ItemKind::kPhoto) {
      // Read again from the archive: it may have changed since the first pass.
      Result<storage::BlobRef> blob = vault_.blobs().PutBlob([&](char* buffer, size_t capacity) {
        return tar.Read(buffer, capacity);
      });
      if (!blob) return blob.error().WithContext(where);
      if (blob->sha256 != item.sha256) {
        return Status(ErrorCode::kMalformedInput, where + ": changed since it was checked; import stopped");
      }
      HF_RETURN_IF_ERROR(Open());
      put = vault_.PutItemBlob(*collection_id, item.uid, *blob, item.summary, item.captured_at_ms,
                               item.source_path);
    } else {
      if (item.size_bytes > platform::kMaxPimFileBytes) {
        return Status(ErrorCode::kMalformedInput, where + ": too large for a " +
                                                      storage::ItemKindName(item.kind));
      }
      std::string content;
      HF_RETURN_IF_ERROR(ReadMember(tar, [&](std::string_view bytes) {
        content.append(bytes);
        return Status::Ok();
      }));
      if (platform::Sha256Of(content) != item.sha256) {
        return Status(ErrorCode::kMalformedInput, where + ": changed since it was checked; import stopped");
      }
      put = vault_.PutItemHashed(*collection_id, item.uid, content, item.sha256, item.summary,
                                 item.captured_at_ms, item.source_path);
    }
    if (!put) return put.error();
    ++(existed ? report_->items_updated : report_->items_new);
    report_->bytes += static_cast<int64_t>(item.size_bytes);
    batch_bytes_ += item.size_bytes;
    if (++batch_items_ >= kItemsPerBatch || batch_bytes_ >= kBytesPerBatch) return Commit();
    return Status::Ok();
  }

  Vault& vault_;
  const std::filesystem::path& archive_;
  const ArchiveOpener& open_;
  ImportReport* report_;
  std::optional<storage::WriteBatch> batch_;
  int64_t batch_items_ = 0;
  uint64_t batch_bytes_ = 0;
  bool existing_loaded_ = false;
  std::map<std::pair<std::string, std::string>, ItemKind> kinds_;
  std::map<std::pair<std::string, std::string>, int64_t> ids_;
};

}  // namespace

Result<ImportReport> ImportArchive(const std::filesystem::path& archive, const std::string& passphrase,
                                   const std::function<Result<Vault*>()>& open_vault) {
  ImportReport report;
  ArchiveOpener open = [&](TarReader& tar) { return tar.Open(archive.string()); };
  // An encrypted archive (docs/formats.md) is decrypted as it streams, once
  // per pass; the key is derived once. Every member is then checked as for a
  // plain archive.
  std::unique_ptr<platform::DecryptingReader> key;
  Result<bool> encrypted = platform::IsEncryptedFile(archive.string());
  if (encrypted && *encrypted) {
    if (passphrase.empty()) {
      return Status(ErrorCode::kInvalidArgument,
                    archive.string() + ": the archive is encrypted; give its passphrase with --passphrase-file");
    }
    Result<std::unique_ptr<platform::DecryptingReader>> opened = platform::DecryptingReader::Open(archive.string(), passphrase);
    if (!opened) {
      return opened.error().code() == ErrorCode::kMalformedInput ? Refuse(archive, opened.error().message())
                                                                 : opened.error();
    }
    key = std::move(*opened);
    open = [&](TarReader& tar) -> Status {
      Result<std::unique_ptr<platform::DecryptingReader>> stream = key->Reopen();
      if (!stream) return stream.error();
      std::shared_ptr<platform::DecryptingReader> shared(std::move(*stream));
      return tar.Open([shared](char* buffer, size_t capacity) { return shared->Read(buffer, capacity); },
                      archive.string());
    };
  } else if (!passphrase.empty() && encrypted) {
    return Status(ErrorCode::kInvalidArgument, archive.string() + ": a passphrase was given but the archive is not encrypted");
  }
  Result<VerifiedArchive> verified = VerifyArchive(archive, open, &report);
  if (!verified) return verified.error();
  Result<Vault*> vault = open_vault();
  if (!vault) return vault.error();
  Importer importer(**vault, archive, open, &report);
  HF_RETURN_IF_ERROR(importer.Run(*verified));
  return report;
}

Result<ImportReport> ImportArchive(const std::filesystem::path& archive,
                                   const std::function<Result<Vault*>()>& open_vault) {
  return ImportArchive(archive, std::string(), open_vault);
}

}  // namespace holdfast::agent
