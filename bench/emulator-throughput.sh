#!/usr/bin/env bash
# Rows per second that azs-emulator serves on one core for a 1M-row provider query, beside the baseline of
# the client merely parsing the same pages (measured in the same run, on another core).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p azs-emulator -p azs-bench --locked
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  export AZS_EMULATOR_CPU=0
  exec taskset -c 1 target/release/emulator-throughput
fi
exec target/release/emulator-throughput
