# Sourced by the benchmarks. start_emulator ARGS... starts target/release/azs-emulator ARGS with its state in
# "$work" (the caller makes and removes it), sets emulator_pid for the caller's trap to kill, and exports
# AZSB_OPTIONS, TOKEN, ADMIN, CA and PROVIDER (bench/lib/emulator-env.mjs).
start_emulator() {
  rm -f "$work/ready.json"
  target/release/azs-emulator "$@" --state-dir "$work/state" --ready-file "$work/ready.json" > /dev/null &
  emulator_pid=$!
  for _ in $(seq 100); do [ -s "$work/ready.json" ] && break; sleep 0.1; done
  [ -s "$work/ready.json" ] || { echo "the emulator did not start (target/release/azs-emulator $*)" >&2; return 1; }
  eval "$(node bench/lib/emulator-env.mjs "$work/ready.json")"
}
