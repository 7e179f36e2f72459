// Vfs renames of files and directories. The remote has no directory rename: a directory is
// renamed object by object (server-side where the remote can), then its old folders removed.
#include <algorithm>

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
    if (!it->second->uploading) {
      item = it->second;
      break;
    }
    std::shared_ptr<Item> running = it->second;
    WaitNotUploading(lock, *running);
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
  lock.unlock();
  auto moved = MoveObject(from, to);
  lock.lock();
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
  frozen.insert(from);
  std::vector<std::shared_ptr<Item>> running;
  for (auto& [path, item] : items) {
    if (Under(path, from) && item->uploading) running.push_back(item);
  }
  for (const auto& item : running) WaitNotUploading(lock, *item);
  Status st = RenameDirFrozen(lock, from, to);
  frozen.erase(from);
  cv.notify_all();
  return st;
}

Status Vfs::Impl::RenameDirFrozen(std::unique_lock<std::mutex>& lock, const std::string& from,
                                  const std::string& to) {
  log::Debug("vfs: renaming directory \"{}\" to \"{}\"", from, to);
  std::vector<ObjectInfo> objects;
  std::vector<std::string> folders;
  lock.unlock();
  Status listed = ListTree(from, folders, objects);
  if (!listed) {
    lock.lock();
    return listed;
  }
  for (const std::string& dir : folders) {
    Status st = remote->Mkdir(ctx, Rebase(dir, from, to));
    if (!st) {
      lock.lock();
      return Unexpected<Error>(Logged(st.error(), "making directory", Rebase(dir, from, to)));
    }
  }
  lock.lock();
  // Dirty files under `from` take their new names (their uploads store them there); their old
  // versions on the remote are deleted, not moved.
  std::vector<std::shared_ptr<Item>> moving;
  for (auto& [path, item] : items) {
    if (Under(path, from)) moving.push_back(item);
  }
  for (const auto& item : moving) WaitNotUploading(lock, *item);
  std::set<std::string> stale;  // old versions of dirty files: deleted, not moved
  for (const auto& item : moving) {
    if (item->deleted || !Under(item->path, from)) continue;
    if (item->dirty) stale.insert(item->path);
    items.erase(item->path);
    item->path = Rebase(item->path, from, to);
    item->meta_current = false;
    items[item->path] = item;
    if (item->dirty) CVC_RETURN_IF_ERROR(MarkDirty(*item));
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
  lock.unlock();
  for (const ObjectInfo& info : objects) {
    if (stale.count(info.path)) {
      log::Debug("vfs: deleting \"{}\": its renamed cache file replaces it", info.path);
      Status st = remote->Delete(ctx, info.path);
      if (!st && st.error().code() != ErrorCode::kNotFound) {
        lock.lock();
        return Unexpected<Error>(Logged(st.error(), "deleting the old name of renamed", info.path));
      }
      continue;
    }
    auto moved = MoveObject(info.path, Rebase(info.path, from, to));
    if (!moved && moved.error().code() != ErrorCode::kNotFound) {
      lock.lock();
      return Unexpected<Error>(Logged(moved.error(), "renaming", info.path));
    }
  }
  std::sort(folders.begin(), folders.end(), std::greater<>());  // children first
  for (const std::string& dir : folders) {
    Status st = remote->Rmdir(ctx, dir);
    if (!st && st.error().code() != ErrorCode::kDirNotFound) {
      log::Error("vfs: removing old directory \"{}\" after renaming it: {}", dir,
                 st.error().message());
    }
  }
  lock.lock();
  for (auto it = dirs.begin(); it != dirs.end();) {
    if (it->first == from || Under(it->first, from) || it->first == to || Under(it->first, to)) {
      it = dirs.erase(it);
    } else {
      ++it;
    }
  }
  RemoveListed(from);
  ObjectInfo info;
  info.path = to;
  info.is_dir = true;
  SetListed(info);
  return Ok();
}

}  // namespace cvclone::vfs
