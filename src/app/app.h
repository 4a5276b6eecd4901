// Composition root: configuration -> store -> API/server/workers, and the CLI commands'
// implementations. apps/herald/main.cc only parses the command line, loads the Config and calls
// these with its settings. The version (kHeraldVersion) comes from herald_version.h, generated
// from CMake's project().
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "herald_version.h"
#include "jinja/jinja.h"

namespace herald {

// `herald serve`: runs until SIGINT/SIGTERM. Returns the process exit code.
int RunServe(const Settings& settings);

// `herald worker`: delivery workers only (no API), until SIGINT/SIGTERM.
int RunWorker(const Settings& settings);

// `herald token create|list|revoke`.
int RunTokenCreate(const Settings& settings, const std::string& scope, const std::string& name);
int RunTokenList(const Settings& settings);
int RunTokenRevoke(const Settings& settings, int64_t id);

// `herald tasks list|show|requeue|delete`.
int RunTasksList(const Settings& settings, const std::string& status, int64_t limit, bool json);
int RunTasksShow(const Settings& settings, const std::string& id);
int RunTasksRequeue(const Settings& settings, const std::string& id, bool all_failed);
int RunTasksDelete(const Settings& settings, const std::string& id);

// `herald store migrate`: creates the schema of the configured store, or upgrades it to this
// binary's version; prints "from -> to". Idempotent.
int RunStoreMigrate(const Settings& settings);

// `herald store backup --to FILE [--force]`: an online, consistent copy of an SQLite store.
// Exit 2 for a PostgreSQL store (use pg_dump) or another unsupported URL.
int RunStoreBackup(const Settings& settings, const std::string& to, bool force);

// `herald store copy --from URL --to URL [--into-non-empty]` (store/copy.h). `batch_events`
// and the hidden `stop_after_batches` (tests of resumption) are CopyOptions'.
struct StoreCopyArgs {
  std::string from, to;
  bool into_non_empty = false;
  int64_t batch_events = 0;        // 0: the default
  int64_t stop_after_batches = 0;  // 0: never
};
int RunStoreCopy(const StoreCopyArgs& args);

// The template engine's options from the [templates] settings (limits, the `env` filter's
// patterns): what delivery, the UI and `herald template bench` compile with.
jinja::Options TemplateOptions(const Settings& settings);

// `herald template bench --template F --context F [--seconds S]`: compiles the template once as
// delivery compiles a body template (delivery::Renderer::CompileBody), then renders it for
// `seconds` (or until `max_renders`), rotating through the contexts (the context file holds one
// JSON object or an array of them). Prints a short summary; the last line is "N renders/s".
// Exit 1 (message on `err`) for an unreadable file, invalid JSON, a context that is not an object,
// a compile error or a render error; 2 for seconds <= 0.
struct TemplateBenchArgs {
  std::string template_path, context_path;
  double seconds = 3;
  int64_t max_renders = 100'000'000;
};
int RunTemplateBench(const Settings& settings, const TemplateBenchArgs& args, std::ostream& out,
                     std::ostream& err);

// `herald signature verify --secret S --header 'Name: value' ... --body FILE`: checks a
// delivery's signature as a receiver would (delivery::VerifySignature): the Standard Webhooks
// headers when webhook-signature is given, else X-Hook-Signature. Prints "signature valid
// (<scheme> scheme)" and exits 0, or prints why on `err` and exits 1; 2 for a malformed --header,
// an unreadable body file or a negative tolerance. `now_seconds` (hidden option, for tests)
// replaces the clock.
struct SignatureVerifyArgs {
  std::string secret;
  std::vector<std::string> headers;
  std::string body_path;
  int64_t tolerance_seconds = 300;
  int64_t now_seconds = 0;  // 0: the system clock
};
int RunSignatureVerify(const SignatureVerifyArgs& args, std::ostream& out, std::ostream& err);

// `herald webhooks generate-secret`: prints a new "whsec_" secret (delivery::GenerateSecret).
// Exit 1 when the system gives no randomness.
int RunGenerateSecret(std::ostream& out, std::ostream& err);

}  // namespace herald
