#include "store/sqlite/file_mode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace herald::sqlite {

namespace {

std::string Errno() { return std::strerror(errno); }

// Tightens one existing file; a missing file is fine.
Status Tighten(const std::string& file) {
  struct stat st;
  if (stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status(Code::kUnavailable, "cannot inspect " + file + ": " + Errno());
  }
  const mode_t perms = st.st_mode & 07777;
  if ((perms & ~kStoreFileMode) == 0) return Status::Ok();
  if (chmod(file.c_str(), kStoreFileMode) != 0) {
    return Status(Code::kUnavailable, "cannot restrict " + file + " to mode 0600: " + Errno());
  }
  char old_mode[8];
  snprintf(old_mode, sizeof old_mode, "%04o", static_cast<unsigned>(perms));
  log::Warning("store file was readable by others; restricted to the owner",
               {{"file", file}, {"old_mode", old_mode}, {"mode", "0600"}});
  return Status::Ok();
}

}  // namespace

Status SecureStoreFiles(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kStoreFileMode);
  if (fd >= 0) {
    close(fd);
  } else if (errno != EEXIST) {
    return Status(Code::kUnavailable, "cannot create " + path + ": " + Errno());
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    HERALD_RETURN_IF_ERROR(Tighten(path + suffix));
  }
  return Status::Ok();
}

}  // namespace herald::sqlite
