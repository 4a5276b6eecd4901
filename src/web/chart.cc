// Dashboard chart geometry. See chart.h.
#include "web/chart.h"

#include <algorithm>
#include <cmath>

namespace herald::web {

namespace {

constexpr int kWidth = 720, kHeight = 180, kLeft = 44, kBottom = 22, kTop = 8;

double Round1(double v) { return std::round(v * 10.0) / 10.0; }

}  // namespace

Value ChartValue(const AttemptHistogram& h) {
  const int n = static_cast<int>(std::min(h.succeeded.size(), h.failed.size()));
  int64_t max = 1;
  for (int i = 0; i < n; ++i) max = std::max(max, h.succeeded[i] + h.failed[i]);
  const double bw = static_cast<double>(kWidth - kLeft - 4) / std::max(n, 1);
  const double scale = static_cast<double>(kHeight - kBottom - kTop) / static_cast<double>(max);
  const double base = kHeight - kBottom;
  Dict d;
  d.set("width", kWidth);
  d.set("height", kHeight);
  d.set("left", kLeft);
  d.set("right_x", kWidth - 4);
  d.set("label_y", kHeight - 6);
  d.set("minutes", n);
  List grid;
  for (int k = 0; k <= 2; ++k) {
    double y = base - (kHeight - kBottom - kTop) * k / 2.0;
    Dict g;
    g.set("y", Round1(y));
    g.set("label_y", Round1(y + 4));
    g.set("label", max * k / 2);
    grid.emplace_back(std::move(g));
  }
  d.set("grid", Value(std::move(grid)));
  List bars;
  for (int i = 0; i < n; ++i) {
    if (h.succeeded[i] == 0 && h.failed[i] == 0) continue;
    double hok = h.succeeded[i] * scale, hbad = h.failed[i] * scale;
    Dict b;
    b.set("x", Round1(kLeft + i * bw + 1));
    b.set("w", Round1(std::max(bw - 2, 1.0)));
    b.set("ok", h.succeeded[i]);
    b.set("ok_y", Round1(base - hok));
    b.set("ok_h", Round1(hok));
    b.set("bad", h.failed[i]);
    b.set("bad_y", Round1(base - hok - hbad));
    b.set("bad_h", Round1(hbad));
    bars.emplace_back(std::move(b));
  }
  d.set("bars", Value(std::move(bars)));
  return Value(std::move(d));
}

}  // namespace herald::web
