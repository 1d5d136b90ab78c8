// The CLI's rendering of progress events: one redrawn line per item on stderr when it is a
// terminal ("app.bin @0x10000 [#########           ] 45%  812.3 KiB/s  ETA 3s"), nothing otherwise.
#pragma once

#include "util/progress.hpp"

namespace espfab::cli {

// An empty callback when stderr is not a TTY or `quiet` is set (JSON output).
ProgressCallback make_progress_bar(bool quiet);

}  // namespace espfab::cli
