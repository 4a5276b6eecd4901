// Copying a whole installation from one store to another (`herald store copy`): webhooks, event
// rules, tokens (their hashes), then events with their tasks (states kept) and attempts, every
// id kept. It uses only the Store interface (List*/Get* to read, ImportBatch to write), so any
// two backends pair up: SQLite to PostgreSQL, PostgreSQL to SQLite, or SQLite to SQLite.
//
// Events go in id order, in batches; each batch (events, their tasks, their attempts) is one
// ImportBatch, so it is in the target whole or not at all. An interrupted copy is resumed by
// running it again: a target that holds only what an earlier copy from the same source wrote
// (the same config records by id, and its newest event is the source's event of that id) is
// continued after its newest event. Any other non-empty target is refused unless
// `into_non_empty`, which copies everything and skips the ids the target already has.
// UI sessions and worker registrations are not copied (users sign in again). The copy is a
// snapshot of what it reads: stop the nodes that write to the source first.
#pragma once

#include <cstdint>
#include <functional>

#include "store/store.h"

namespace herald {

// Events per batch by default, and the bounds of CopyOptions::batch_events.
inline constexpr int64_t kDefaultCopyBatchEvents = 500;
inline constexpr int64_t kMaxCopyBatchEvents = 100000;
// Tasks read per ListTasks call while gathering one event's tasks.
inline constexpr int64_t kCopyTaskPage = 1000;

struct CopyReport {
  bool resumed = false;       // the target held an interrupted copy; continued after it
  bool stopped = false;       // stopped by CopyOptions::stop_after_batches
  int64_t batches = 0;        // event batches imported by this run
  int64_t events = 0;         // events read from the source by this run
  int64_t last_event_id = 0;  // the newest event copied so far (0: none)
  ImportCounts config;        // webhooks, rules and tokens
  ImportCounts history;       // events, tasks and attempts
};

struct CopyOptions {
  int64_t batch_events = kDefaultCopyBatchEvents;  // 1..kMaxCopyBatchEvents
  bool into_non_empty = false;
  // For tests of resumption: stop (report.stopped) after this many event batches; 0: never.
  int64_t stop_after_batches = 0;
  // Called after each imported event batch with the report so far (progress output).
  std::function<void(const CopyReport&)> on_batch;
};

// Copies `from` into `to` as described above. Errors: kConflict when `to` is not empty (and not
// an interrupted copy of `from`) without into_non_empty, saying what it holds;
// kInvalidArgument for a batch size out of range or `from` and `to` being the same store; any
// error of reading `from` or of `to`'s ImportBatch (kUnsupported when the target backend has
// none). Batches imported before an error stay: run the copy again to resume.
Result<CopyReport> CopyStore(Store& from, Store& to, const CopyOptions& options);

}  // namespace herald
