// NetBox's own client against Herald: starts the real `herald serve` (temp SQLite store, admin
// token) and a receiver that answers 404, then runs tests/integration/pynetbox_client.py, which
// drives Herald only through pynetbox (Debian's python3-pynetbox, installed by `make test`):
// webhooks and event rules from creation to deletion, filters, pagination, choices, version,
// status and background tasks. The script's output is shown when it fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "harness.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace herald::testing {
namespace {

// The interpreter Debian's python3-pynetbox installs into (not a virtualenv's python3).
constexpr char kPython[] = "/usr/bin/python3";

// Runs `command` with a shell, capturing stdout and stderr; returns the exit status.
int Shell(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  return pclose(p);
}

TEST(Pynetbox, DrivesWebhooksRulesAndTasksUnchanged) {
  std::string probe;
  ASSERT_EQ(Shell(std::string(kPython) + " -c 'import pynetbox'", &probe), 0)
      << "python3-pynetbox is missing (make test-deps installs it): " << probe;
  Receiver rx;
  rx.Respond(404, "Not Found");
  TempDir dir;
  Server server(dir.path());
  ASSERT_TRUE(server.started()) << server.Stderr();
  std::string out;
  int rc = Shell(std::string("timeout 120 ") + kPython + " " +
                     SourcePath("tests/integration/pynetbox_client.py") + " " + server.base() +
                     " " + server.admin_token() + " " + rx.url("/hook"),
                 &out);
  EXPECT_EQ(rc, 0) << out << "\n--- herald stderr ---\n" << server.Stderr();
  EXPECT_NE(out.find("every check passed"), std::string::npos) << out;
}

}  // namespace
}  // namespace herald::testing
