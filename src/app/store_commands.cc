// `herald store migrate | backup | copy`: the store administration commands. Everything
// backend-specific is behind store/store.h (OpenStore, BackupStore) and store/copy.h.
#include <iostream>

#include "app/app.h"
#include "store/copy.h"
#include "store/store.h"

namespace herald {

namespace {

int Fail(const std::string& what, const Status& st) {
  std::cerr << "herald: " << what << ": " << st.message() << "\n";
  // A request this build cannot do or a wrong URL is a usage error (2); the rest failed (1).
  return st.code() == Code::kUnsupported || st.code() == Code::kConfig ? 2 : 1;
}

}  // namespace

int RunStoreMigrate(const Settings& settings) {
  const std::string& url = settings.store.url;
  auto store = OpenStore(url, {SchemaPolicy::kMigrate});
  if (!store.ok()) return Fail("cannot migrate store " + url, store.status());
  const SchemaVersions v = (*store)->Schema();
  const char* what = v.found == v.current ? "already current"
                     : v.found == 0       ? "created"
                                          : "upgraded";
  std::cout << (*store)->Describe() << ": schema version " << v.found << " -> " << v.current << " ("
            << what << ")\n";
  (*store)->Close();
  return 0;
}

int RunStoreBackup(const Settings& settings, const std::string& to, bool force) {
  const std::string& url = settings.store.url;
  Status st = BackupStore(url, to, force);
  if (!st.ok()) return Fail("cannot back up store " + url, st);
  std::cout << "backed up " << url << " to " << to << "\n";
  return 0;
}

int RunStoreCopy(const StoreCopyArgs& args) {
  auto from = OpenStore(args.from, {SchemaPolicy::kRequireCurrent});  // never created here
  if (!from.ok()) return Fail("cannot open the source store " + args.from, from.status());
  auto to = OpenStore(args.to);
  if (!to.ok()) return Fail("cannot open the target store " + args.to, to.status());
  CopyOptions options;
  if (args.batch_events > 0) options.batch_events = args.batch_events;
  options.into_non_empty = args.into_non_empty;
  options.stop_after_batches = args.stop_after_batches;
  options.on_batch = [](const CopyReport& r) {
    std::cerr << "copied events up to id " << r.last_event_id << " (" << r.batches
              << " batch(es))\n";
  };
  auto report = CopyStore(**from, **to, options);
  (*from)->Close();
  (*to)->Close();
  if (!report.ok()) return Fail("cannot copy " + args.from + " to " + args.to, report.status());
  const CopyReport& r = *report;
  std::cout << (r.resumed ? "resumed copy of " : "copied ") << (*from)->Describe() << " to "
            << (*to)->Describe() << ": config " << r.config.imported << " record(s) written, "
            << r.config.skipped << " already there; " << r.events << " event(s) in " << r.batches
            << " batch(es), " << r.history.imported << " record(s) written, " << r.history.skipped
            << " already there\n";
  if (r.stopped) {
    std::cout << "stopped after " << r.batches << " batch(es) as asked; run again to resume\n";
    return 3;
  }
  return 0;
}

}  // namespace herald
