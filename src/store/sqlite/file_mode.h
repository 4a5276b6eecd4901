// File permissions of the SQLite store: the database holds webhook secrets, token hashes and
// every event payload, so the file and its companions (-wal, -shm, -journal) are readable and
// writable by the owner only.
//
// SQLite creates its -wal, -shm and -journal files with the permissions of the database file,
// so creating the database file 0600 before SQLite opens it is enough for new stores. An
// existing store with wider permissions (made by an older Herald, or by hand) is tightened to
// 0600 when opened, and each change is logged.
#pragma once

#include <sys/types.h>
#include <string>

#include "common/status.h"

namespace herald::sqlite {

// Mode of the store's files.
inline constexpr mode_t kStoreFileMode = 0600;

// Creates the database file `path` empty with kStoreFileMode if it does not exist (an empty file
// is a valid empty SQLite database), then tightens `path` and its existing -wal, -shm and
// -journal files to kStoreFileMode where group or others have any permission. Logs one warning
// line per file tightened. Errors: kUnavailable when the file cannot be created or a mode cannot
// be changed (for example, the file belongs to another user).
Status SecureStoreFiles(const std::string& path);

}  // namespace herald::sqlite
