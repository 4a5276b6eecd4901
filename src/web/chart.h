// The dashboard's deliveries-per-minute chart, as plain numbers for the template to draw.
//
// The server computes the geometry (one stacked bar per minute, ok below failed, three grid
// lines); templates/chart.html turns it into SVG under autoescape like every other value, so no
// HTML is ever built outside the templates. Pure function; thread-safe.
#pragma once

#include "store/store.h"
#include "value/value.h"

namespace herald::web {

// {width, height, left, bottom_y, right_x, label_y, minutes,
//  grid: [{y, label_y, label}], bars: [{x, w, ok_y, ok_h, ok, bad_y, bad_h, bad}]}
// Coordinates are floats rounded to 0.1; counts are ints.
Value ChartValue(const AttemptHistogram& h);

}  // namespace herald::web
