// The dashboard: task counts, the deliveries-per-minute chart of the last kChartMinutes
// minutes, and the latest failed tasks. See pages.h.
#include "common/time.h"
#include "web/chart.h"
#include "web/page_values.h"
#include "web/pages.h"

namespace herald::web {

void DashboardPage::Show(Ctx& c) {
  c.nav = "dashboard";
  auto counts = store.CountByStatus();
  if (!counts.ok()) return c.Error(500, counts.status().message());
  TimeUs now = NowUs();
  TimeUs since = (now / 60'000'000 - (kChartMinutes - 1)) * 60'000'000;
  auto hist = store.AttemptsPerMinute(since, kChartMinutes);
  Value chart;
  int64_t ok_total = 0, failed_total = 0;
  bool truncated = false;
  if (hist.ok()) {
    chart = ChartValue(*hist);
    for (auto n : hist->succeeded) ok_total += n;
    for (auto n : hist->failed) failed_total += n;
    truncated = hist->truncated;
  }
  TaskFilter f;
  f.status = TaskStatus::kFailed;
  f.limit = kDashboardFailures;
  D vars;
  AddQueueSummary(vars, *counts, now);
  vars("chart", chart)("chart_ok", ok_total)("chart_failed", failed_total)(
      "chart_truncated", truncated)("failures", TaskRows(store, f));
  c.Page("dashboard.html", std::move(vars));
}

}  // namespace herald::web
