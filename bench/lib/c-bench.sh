# Sourced by the benchmarks. compile_c_bench SOURCE OUTPUT compiles a bench/c program against the release
# library (run from the project's root, after cargo build --release), with an rpath to it.
compile_c_bench() {
  cc -O2 -Wall -Wextra -Werror -I"$PWD/include" "$1" -L"$PWD/target/release" -lazs_billing -lcjson \
    -Wl,-rpath,"$PWD/target/release" -o "$2"
}
