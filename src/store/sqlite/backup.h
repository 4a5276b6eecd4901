// Online backup of an SQLite store file (`herald store backup`).
//
// `VACUUM INTO` copies the database as of one read transaction, so the copy is consistent while
// `herald serve` and workers keep writing (WAL lets the reader run beside the writer). The copy
// is written to `<to>.partial`, created owner-only (file_mode.h), synced, then renamed over
// `<to>`: a crash leaves either no backup or a whole one, never a torn file under the final name.
#pragma once

#include <string>

#include "common/status.h"

namespace herald::sqlite {

// Copies the store file `db_path` to `to` as described above. Errors: kNotFound when `db_path`
// does not exist; kInvalidArgument when it is not a Herald store (no schema version) or `to` is
// the store itself; kConflict when `to` exists and not `force` (with `force`, `to` and its
// -wal/-shm/-journal companions are replaced); kUnavailable for I/O errors (the partial file is
// removed, `to` untouched).
Status BackupFile(const std::string& db_path, const std::string& to, bool force);

}  // namespace herald::sqlite
