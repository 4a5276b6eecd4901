// herald: the command line. Parses arguments and calls into the app library.
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/app.h"
#include "app/config.h"
#include "jinja/cli.h"
#include "receiver/receiver.h"
#include "store/copy.h"

namespace {

struct Common {
  std::string config_file;
  std::string store;
};

void AddCommon(CLI::App* cmd, Common& c) {
  cmd->add_option("--config", c.config_file,
                  "TOML configuration file (see config/herald.example.toml)");
  cmd->add_option("--store", c.store,
                  "Store URL: sqlite://var/herald.db (relative) or sqlite:///abs/path.db");
}

// Builds the effective configuration: defaults < file < HERALD_* environment < flags.
bool LoadConfig(const Common& c, herald::Config* config,
                const std::vector<std::pair<herald::Option, std::string>>& flags) {
  if (!c.config_file.empty()) {
    auto st = config->LoadFile(c.config_file);
    if (!st.ok()) {
      std::cerr << "herald: " << st.message() << "\n";
      return false;
    }
  }
  auto st = config->LoadEnvironment();
  if (!st.ok()) {
    std::cerr << "herald: " << st.message() << "\n";
    return false;
  }
  std::vector<std::pair<herald::Option, std::string>> all = flags;
  if (!c.store.empty()) all.emplace_back(herald::Option::store_url, c.store);
  for (const auto& [k, v] : all) {
    auto s = config->Set(k, v, "command line");
    if (!s.ok()) {
      std::cerr << "herald: " << s.message() << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Herald: a NetBox-compatible webhook engine.\n"
      "Event rules match object changes posted to /api/events/ and deliver webhooks rendered from\n"
      "Jinja2 templates, as durable background tasks.\n"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("herald ") + herald::kHeraldVersion);

  // serve
  Common serve_c;
  std::string listen;
  auto* serve = app.add_subcommand(
      "serve",
      "Run the API server (and delivery workers) with the configured store.\n"
      "On first start with an empty store, creates an admin API token and prints it once.");
  AddCommon(serve, serve_c);
  serve->add_option("--listen", listen,
                    "HOST:PORT to listen on (default " +
                        herald::SpecOf(herald::Option::server_listen).default_value + ")");

  // worker
  Common worker_c;
  auto* worker = app.add_subcommand(
      "worker", "Run delivery workers only (no API), sharing the store with `herald serve`");
  AddCommon(worker, worker_c);

  // webhook_receiver
  herald::receiver::ReceiverOptions recv;
  bool no_headers = false;
  auto* receiver = app.add_subcommand(
      "webhook_receiver",
      "Listen on localhost and print every request received (for testing webhooks), like\n"
      "NetBox's `manage.py webhook_receiver`; answers `Webhook received!`");
  receiver->add_option("--port", recv.port, "Port to listen on (default 9000)");
  receiver->add_flag("--no-headers", no_headers, "Do not print request headers");
  receiver->add_option("--status", recv.status, "HTTP status to answer with (default 200)")
      ->check(CLI::Range(100, 599));

  // token
  auto* token =
      app.add_subcommand("token", "Manage API tokens (keys are shown once, stored hashed)");
  token->require_subcommand(1);
  Common tok_c;
  bool read_only = false, ingest_only = false;
  std::string tok_name;
  auto* tcreate = token->add_subcommand(
      "create", "Create a token and print its key alone on stdout (for scripts)");
  AddCommon(tcreate, tok_c);
  auto* ro = tcreate->add_flag("--read-only", read_only, "Token may read but not change anything");
  auto* io =
      tcreate->add_flag("--ingest-only", ingest_only,
                        "Token may only post events (give this one to producers such as NetBox)");
  ro->excludes(io);
  tcreate->add_option("--name", tok_name, "A label for the token");
  auto* tlist = token->add_subcommand("list", "List tokens (never their keys)");
  AddCommon(tlist, tok_c);
  int64_t revoke_id = 0;
  auto* trevoke = token->add_subcommand("revoke", "Revoke a token by id");
  AddCommon(trevoke, tok_c);
  trevoke->add_option("id", revoke_id, "Token id (see `herald token list`)")->required();

  // tasks
  auto* tasks = app.add_subcommand("tasks", "Inspect and manage background tasks (deliveries)");
  tasks->require_subcommand(1);
  Common tasks_c;
  std::string status, task_id;
  int64_t limit = 50;
  bool json = false, all_failed = false;
  auto* tl = tasks->add_subcommand("list", "List tasks, newest first");
  AddCommon(tl, tasks_c);
  tl->add_option("--status", status, "queued, started, scheduled, finished, failed (default: all)");
  tl->add_option("--limit", limit, "How many to show (default 50)");
  tl->add_flag("--json", json, "Print JSON instead of a table");
  auto* ts = tasks->add_subcommand("show", "Show one task with its attempts");
  AddCommon(ts, tasks_c);
  ts->add_option("id", task_id, "Task id")->required();
  auto* tr = tasks->add_subcommand("requeue", "Requeue a failed task (or all failed ones)");
  AddCommon(tr, tasks_c);
  auto* tr_id = tr->add_option("id", task_id, "Task id");
  auto* tr_all = tr->add_flag("--all-failed", all_failed, "Requeue every failed task");
  tr_id->excludes(tr_all);
  auto* td = tasks->add_subcommand("delete", "Delete a task and its attempts");
  AddCommon(td, tasks_c);
  td->add_option("id", task_id, "Task id")->required();

  // store
  auto* storecmd =
      app.add_subcommand("store", "Administer the store: schema upgrades, backups, copies");
  storecmd->require_subcommand(1);
  Common store_c;
  auto* smigrate = storecmd->add_subcommand(
      "migrate",
      "Create the store's schema, or upgrade it to this herald's version (prints from -> to).\n"
      "serve, worker and the other commands refuse an older schema: run this first when\n"
      "upgrading (docs/store.md). Safe to run again.");
  AddCommon(smigrate, store_c);
  std::string backup_to;
  bool backup_force = false;
  auto* sbackup = storecmd->add_subcommand(
      "backup",
      "Write a consistent copy of an SQLite store to FILE while Herald keeps running\n"
      "(for PostgreSQL use pg_dump). Start `herald serve --store sqlite://FILE` to restore.");
  AddCommon(sbackup, store_c);
  sbackup->add_option("--to", backup_to, "The backup file (written as FILE.partial, then renamed)")
      ->required();
  sbackup->add_flag("--force", backup_force, "Replace FILE when it exists");
  herald::StoreCopyArgs copy_args;
  auto* scopy = storecmd->add_subcommand(
      "copy",
      "Copy a whole installation to another store, keeping ids: webhooks, event rules, tokens\n"
      "(hashes), events, tasks with their states, attempts. Stop the nodes writing to the\n"
      "source first. Run it again to resume an interrupted copy.");
  scopy->add_option("--from", copy_args.from, "Source store URL")->required();
  scopy->add_option("--to", copy_args.to, "Target store URL (created when missing)")->required();
  scopy->add_flag("--into-non-empty", copy_args.into_non_empty,
                  "Copy into a store that already holds other data (ids it has are skipped)");
  scopy->add_option("--batch-size", copy_args.batch_events, "Events per batch (default 500)")
      ->check(CLI::Range(int64_t{1}, herald::kMaxCopyBatchEvents));
  // Hidden (no group): for tests of resumption.
  scopy->add_option("--stop-after-batches", copy_args.stop_after_batches)->group("");

  // template
  auto* tmpl = app.add_subcommand("template", "Render templates with Herald's Jinja2 engine");
  tmpl->require_subcommand(1);
  std::string template_file, context_file, cases_file;
  bool strict = false;
  auto* render = tmpl->add_subcommand(
      "render", "Render a template file with a JSON context; prints the output or the error");
  render->add_option("--template", template_file, "Template file")->required();
  render->add_option("--context", context_file, "JSON file holding the context object")->required();
  render->add_flag("--strict", strict, "Use StrictUndefined");
  auto* conf = tmpl->add_subcommand(
      "conformance", "Run a Jinja2 conformance case file; ends with 'N passed, M failed'");
  conf->add_option("file", cases_file, "Case file (tests/data/jinja2_cases.json format)")
      ->required();

  herald::TemplateBenchArgs bench_args;
  Common bench_c;
  auto* bench = tmpl->add_subcommand(
      "bench",
      "Compile a template once as delivery does, render it repeatedly; ends with 'N renders/s'");
  bench->add_option("--template", bench_args.template_path, "Template file")->required();
  bench
      ->add_option("--context", bench_args.context_path,
                   "JSON file: one context object, or an array of them rendered in turn")
      ->required();
  bench->add_option("--seconds", bench_args.seconds, "How long to render (default 3)");
  bench->add_option("-c,--config", bench_c.config_file,
                    "Configuration file whose [templates] limits apply");

  // webhooks
  auto* webhookscmd = app.add_subcommand("webhooks", "Webhook helpers");
  webhookscmd->require_subcommand(1);
  auto* gensecret = webhookscmd->add_subcommand(
      "generate-secret",
      "Print a new Standard Webhooks secret (whsec_ and 32 random bytes in base64) to set as a\n"
      "webhook's secret; docs/signatures.md");

  // signature
  auto* signaturecmd =
      app.add_subcommand("signature", "Check webhook signatures as a receiver would");
  signaturecmd->require_subcommand(1);
  herald::SignatureVerifyArgs verify_args;
  auto* sverify = signaturecmd->add_subcommand(
      "verify",
      "Verify a delivery's signature: the Standard Webhooks headers (webhook-id,\n"
      "webhook-timestamp, webhook-signature) or, without webhook-signature, X-Hook-Signature.\n"
      "Exit 0 when valid, 1 (with the reason) when not; docs/signatures.md");
  sverify->add_option("--secret", verify_args.secret, "The webhook's secret (whsec_... or raw)")
      ->required();
  sverify
      ->add_option("--header", verify_args.headers,
                   "A received header, 'Name: value' (repeat for each)")
      ->required();
  sverify
      ->add_option("--body", verify_args.body_path, "File holding the received body, byte for byte")
      ->required();
  sverify->add_option("--tolerance", verify_args.tolerance_seconds,
                      "Seconds webhook-timestamp may be from now, either way (default 300)");
  // Hidden (no group): the time to judge the timestamp against, for tests.
  sverify->add_option("--now", verify_args.now_seconds)->group("");

  // config
  auto* cfg = app.add_subcommand("config", "Configuration helpers");
  cfg->require_subcommand(1);
  auto* example = cfg->add_subcommand("example", "Print the documented example configuration");

  CLI11_PARSE(app, argc, argv);

  herald::Config config;
  if (*serve) {
    std::vector<std::pair<herald::Option, std::string>> flags;
    if (!listen.empty()) flags.emplace_back(herald::Option::server_listen, listen);
    if (!LoadConfig(serve_c, &config, flags)) return 2;
    return herald::RunServe(config.settings());
  }
  if (*worker) {
    if (!LoadConfig(worker_c, &config, {})) return 2;
    return herald::RunWorker(config.settings());
  }
  if (*receiver) {
    recv.show_headers = !no_headers;
    return herald::receiver::RunWebhookReceiver(recv);
  }
  if (*token) {
    if (!LoadConfig(tok_c, &config, {})) return 2;
    if (*tcreate)
      return herald::RunTokenCreate(config.settings(),
                                    read_only     ? "read-only"
                                    : ingest_only ? "ingest-only"
                                                  : "admin",
                                    tok_name);
    if (*tlist) return herald::RunTokenList(config.settings());
    if (*trevoke) return herald::RunTokenRevoke(config.settings(), revoke_id);
  }
  if (*tasks) {
    if (!LoadConfig(tasks_c, &config, {})) return 2;
    if (*tl) return herald::RunTasksList(config.settings(), status, limit, json);
    if (*ts) return herald::RunTasksShow(config.settings(), task_id);
    if (*tr) {
      if (!all_failed && task_id.empty()) {
        std::cerr << "herald: give a task id or --all-failed\n";
        return 2;
      }
      return herald::RunTasksRequeue(config.settings(), task_id, all_failed);
    }
    if (*td) return herald::RunTasksDelete(config.settings(), task_id);
  }
  if (*storecmd) {
    if (*scopy) return herald::RunStoreCopy(copy_args);
    if (!LoadConfig(store_c, &config, {})) return 2;
    if (*smigrate) return herald::RunStoreMigrate(config.settings());
    if (*sbackup) return herald::RunStoreBackup(config.settings(), backup_to, backup_force);
  }
  if (*tmpl) {
    if (*render)
      return herald::jinja::RunTemplateRender(template_file, context_file, strict, std::cout,
                                              std::cerr);
    if (*conf) return herald::jinja::RunTemplateConformance(cases_file, std::cout);
    if (*bench) {
      if (!LoadConfig(bench_c, &config, {})) return 2;
      return herald::RunTemplateBench(config.settings(), bench_args, std::cout, std::cerr);
    }
  }
  if (*webhookscmd && *gensecret) return herald::RunGenerateSecret(std::cout, std::cerr);
  if (*signaturecmd && *sverify)
    return herald::RunSignatureVerify(verify_args, std::cout, std::cerr);
  if (*cfg && *example) {
    std::cout << herald::Config::ExampleToml();
    return 0;
  }
  return 0;
}
