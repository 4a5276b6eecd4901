// Stop signals (SIGINT, SIGTERM), taken synchronously: the one shutdown path of `herald serve`,
// `herald worker` and `herald webhook_receiver`. The signals are blocked in every thread and a
// waiting thread receives them with sigwait, so a graceful stop runs as ordinary code; no signal
// handler is installed and no work ever runs inside one.
#pragma once

namespace herald {

// Blocks SIGINT and SIGTERM in the calling thread. Call it before any thread starts: threads
// inherit the mask, so no thread has these signals delivered asynchronously.
void BlockStopSignals();

// Waits until SIGINT or SIGTERM arrives (both must be blocked, see BlockStopSignals) and returns
// it. From then on a second one ends the process at once with exit code 128 + signal (logged as
// a warning), for an operator who will not wait for the graceful stop.
int WaitForStopSignal();

// "SIGINT" or "SIGTERM".
const char* StopSignalName(int signal);

}  // namespace herald
