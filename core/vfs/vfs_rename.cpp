// Vfs renames of files and directories. The remote has no directory rename: a directory is
// renamed object by object (server-side where the remote can), then its old folders removed.
#include <algorithm>
#include <set>
#include <utility>

#include "core/log.hpp"
#include "core/vfs/vfs_impl.hpp"

namespace cvclone::vfs {
namespace {

bool Under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::string Rebase(const std::string& path, const std::string& from, const std::string& to) {
  return to + path.substr(from.size());
}

}  // namespace

Result<ObjectInfo> Vfs::Impl::MoveObject(const std::string& from, const std::string& to) {
  log::Debug("vfs: moving \"{}\" to \"{}\"", from, to);
  const Features& f = remote->GetFeatures();
  if (f.server_side_move) {
    auto moved = remote->Move(ctx, *remote, from, to);
    if (moved || moved.error().code() != ErrorCode::kUnsupported) return moved;
  }
  if (f.server_side_copy) {
    auto copied = remote->Copy(ctx, *remote, from, to);
    if (copied) {
      CVC_RETURN_IF_ERROR(remote->Delete(ctx, from));
      return copied;
    }
    if (copied.error().code() != ErrorCode::kUnsupported) return copied;
  }
  CVC_ASSIGN_OR_RETURN(ObjectInfo info, remote->Stat(ctx, from));
  CVC_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, remote->Open(ctx, from));
  PutOptions opts;
  opts.size = info.size;
  opts.mtime = info.mtime;
  CVC_ASSIGN_OR_RETURN(ObjectInfo stored, remote->Put(ctx, to, *reader, opts));
  CVC_RETURN_IF_ERROR(remote->Delete(ctx, from));
  return stored;
}

Status Vfs::Impl::ListTree(const std::string& dir, std::vector<std::string>& folders,
                           std::vector<ObjectInfo>& objects) {
  folders = {dir};
  for (size_t i = 0; i < folders.size(); ++i) {
    auto listed = remote->List(ctx, folders[i]);
    if (!listed) {
      if (listed.error().code() == ErrorCode::kDirNotFound) continue;  // virtual
      return Unexpected<Error>(Logged(listed.error(), "listing", folders[i]));
    }
    for (ObjectInfo& info : *listed) {
      if (info.is_dir) {
        folders.push_back(info.path);
      } else {
        objects.push_back(std::move(info));
      }
    }
  }
  return Ok();
}

Status Vfs::Impl::RenameFile(std::unique_lock<std::mutex>& lock, const std::string& from,
                             const std::string& to) {
  // What was at `to` is replaced: a cached version of it is dropped.
  if (auto it = items.find(to); it != items.end()) {
    std::shared_ptr<Item> old = it->second;
    WaitNotUploading(lock, *old);
    if (items.count(to) && items[to] == old) {
      items.erase(to);
      old->deleted = true;
      DropItem(*old);
    }
  }
  // An upload running now may end with the item clean and gone: then only the object remains.
  std::shared_ptr<Item> item;
  while (true) {
    auto it = items.find(from);
    if (it == items.end()) break;
    if (!it->second->uploading && it->second->filling == 0) {
      item = it->second;
      break;
    }
    std::shared_ptr<Item> running = it->second;
    WaitQuiet(lock, *running);
  }
  if (item && item->dirty) {
    // Its bytes go to `to` by the upload; the stale object at `from` goes away.
    log::Debug("vfs: renaming cached \"{}\" to \"{}\"", from, to);
    items.erase(from);
    item->path = to;
    item->meta_current = false;
    items[to] = item;
    CVC_RETURN_IF_ERROR(MarkDirty(*item));
    RemoveListed(from);
    {
      lock.unlock();
      Status st = remote->Delete(ctx, from);
      lock.lock();
      if (!st && st.error().code() != ErrorCode::kNotFound) {
        return Unexpected<Error>(Logged(st.error(), "deleting the old name of renamed", from));
      }
    }
    return Ok();
  }
  if (item) item->moving = true;
  lock.unlock();
  auto moved = MoveObject(from, to);
  lock.lock();
  if (item) {
    item->moving = false;
    cv.notify_all();
  }
  if (!moved) return Unexpected<Error>(Logged(moved.error(), "renaming", from + "\" to \"" + to));
  RemoveListed(from);
  ObjectInfo info = *moved;
  info.path = to;
  SetListed(info);
  if (item && items.count(from) && items[from] == item) {
    items.erase(from);
    item->path = to;
    items[to] = item;
  }
  return Ok();
}

Status Vfs::Impl::RenameDir(std::unique_lock<std::mutex>& lock, const std::string& from,
                            const std::string& to) {
  // Nothing under either name is uploaded meanwhile: an undo then finds under `to` only what it
  // moved there.
  frozen.insert(from);
  frozen.insert(to);
  std::vector<std::shared_ptr<Item>> running;
  for (auto& [path, item] : items) {
    if (Under(path, from) && item->uploading) running.push_back(item);
  }
  for (const auto& item : running) WaitNotUploading(lock, *item);
  Status st = RenameDirFrozen(lock, from, to);
  frozen.erase(from);
  frozen.erase(to);
  cv.notify_all();
  work_cv.notify_all();  // their uploads may be due
  return st;
}

// A directory rename that fails midway is undone: rename(2) happens whole or not at all, and a
// program told EIO expects everything still under the old name. Rolling forward instead would
// need the failing move to succeed, which is what just failed.
Status Vfs::Impl::RenameDirFrozen(std::unique_lock<std::mutex>& lock, const std::string& from,
                                  const std::string& to) {
  log::Debug("vfs: renaming directory \"{}\" to \"{}\"", from, to);
  std::vector<ObjectInfo> objects;
  std::vector<std::string> folders;
  lock.unlock();
  Status st = ListTree(from, folders, objects);
  std::vector<std::string> made;  // new folders, parents first
  if (st) st = MakeFolders(folders, from, to, made);
  if (!st) {
    RemoveFolders(made, "");
    lock.lock();
    return st;
  }
  lock.lock();
  std::set<std::string> stale;  // old versions of dirty files: deleted, not moved
  st = RebaseItems(lock, from, to, &stale);
  // Their objects are under neither name for a while: no range is fetched until they settle.
  std::vector<std::shared_ptr<Item>> settling;
  for (auto& [path, item] : items) {
    if (Under(path, to)) settling.push_back(item);
  }
  for (const auto& item : settling) item->moving = true;
  const auto settled = [&] {
    for (const auto& item : settling) item->moving = false;
    cv.notify_all();
  };
  std::vector<std::pair<std::string, std::string>> moved;  // (old, new) object paths
  lock.unlock();
  if (st) st = MoveObjects(objects, from, to, stale, moved);
  if (!st) {
    UndoMoves(moved, from, to);
    RemoveFolders(made, "");
    lock.lock();
    settled();
    (void)RebaseItems(lock, to, from, nullptr);
    ForgetListings(from, to);
    return st;
  }
  RemoveFolders(folders, "after renaming it");
  lock.lock();
  settled();
  ForgetListings(from, to);
  RemoveListed(from);
  ObjectInfo info;
  info.path = to;
  info.is_dir = true;
  SetListed(info);
  return Ok();
}

Status Vfs::Impl::MakeFolders(const std::vector<std::string>& folders, const std::string& from,
                              const std::string& to, std::vector<std::string>& made) {
  for (const std::string& dir : folders) {
    const std::string target = Rebase(dir, from, to);
    Status st = remote->Mkdir(ctx, target);
    if (!st) return Unexpected<Error>(Logged(st.error(), "making directory", target));
    made.push_back(target);
  }
  return Ok();
}

void Vfs::Impl::RemoveFolders(std::vector<std::string> folders, const std::string& why) {
  std::sort(folders.begin(), folders.end(), std::greater<>());  // children first
  for (const std::string& dir : folders) {
    Status st = remote->Rmdir(ctx, dir);
    if (!st && st.error().code() != ErrorCode::kDirNotFound && !why.empty()) {
      log::Error("vfs: removing old directory \"{}\" {}: {}", dir, why, st.error().message());
    }
  }
}

Status Vfs::Impl::RebaseItems(std::unique_lock<std::mutex>& lock, const std::string& from,
                              const std::string& to, std::set<std::string>* stale) {
  // Dirty files take their new names (their uploads store them there); their old versions on
  // the remote are deleted, not moved.
  std::vector<std::shared_ptr<Item>> moving;
  for (auto& [path, item] : items) {
    if (Under(path, from)) moving.push_back(item);
  }
  for (const auto& item : moving) WaitQuiet(lock, *item);
  Status first = Ok();
  for (const auto& item : moving) {
    if (item->deleted || !Under(item->path, from)) continue;
    if (item->dirty && stale != nullptr) stale->insert(item->path);
    items.erase(item->path);
    item->path = Rebase(item->path, from, to);
    item->meta_current = false;
    items[item->path] = item;
    if (item->dirty) {
      Status st = MarkDirty(*item);
      if (!st && first) first = st;
    }
  }
  std::set<std::string> virtuals;
  for (const std::string& v : virtual_dirs) {
    if (v == from || Under(v, from)) virtuals.insert(v);
  }
  for (const std::string& v : virtuals) {
    virtual_dirs.erase(v);
    virtual_dirs.insert(Rebase(v, from, to));
  }
  if (!remote->GetFeatures().empty_dirs) virtual_dirs.insert(to);
  return first;
}

Status Vfs::Impl::MoveObjects(const std::vector<ObjectInfo>& objects, const std::string& from,
                              const std::string& to, const std::set<std::string>& stale,
                              std::vector<std::pair<std::string, std::string>>& moved) {
  for (const ObjectInfo& info : objects) {
    if (stale.count(info.path)) {
      log::Debug("vfs: deleting \"{}\": its renamed cache file replaces it", info.path);
      Status st = remote->Delete(ctx, info.path);
      if (!st && st.error().code() != ErrorCode::kNotFound) {
        return Unexpected<Error>(Logged(st.error(), "deleting the old name of renamed", info.path));
      }
      continue;
    }
    const std::string target = Rebase(info.path, from, to);
    auto done = MoveObject(info.path, target);
    if (!done && done.error().code() != ErrorCode::kNotFound) {
      return Unexpected<Error>(Logged(done.error(), "renaming", info.path));
    }
    if (done) moved.emplace_back(info.path, target);
  }
  return Ok();
}

void Vfs::Impl::UndoMoves(const std::vector<std::pair<std::string, std::string>>& moved,
                          const std::string& from, const std::string& to) {
  if (moved.empty()) return;
  log::Notice("vfs: renaming directory \"{}\" to \"{}\" failed midway: moving {} file(s) back",
              from, to, moved.size());
  size_t left = 0;
  for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
    auto back = MoveObject(it->second, it->first);
    if (!back) {
      left++;
      log::Error("vfs: cannot move \"{}\" back to \"{}\": {}", it->second, it->first,
                 back.error().message());
    }
  }
  if (left > 0) {
    log::Error("vfs: {} file(s) stay under \"{}\" while the rest is under \"{}\"; move them "
               "back by hand",
               left, to, from);
  }
}

void Vfs::Impl::ForgetListings(const std::string& from, const std::string& to) {
  for (auto it = dirs.begin(); it != dirs.end();) {
    if (it->first == from || Under(it->first, from) || it->first == to || Under(it->first, to)) {
      it = dirs.erase(it);
    } else {
      ++it;
    }
  }
  RemoveListed(to);
}

}  // namespace cvclone::vfs
