#!/usr/bin/env bash
# Builds the AzsBilling PowerShell module into target/powershell/AzsBilling/ (untracked):
#   AzsBilling.psd1, .psm1, .Format.ps1xml,
#   Private/, Public/ (the commands)          from powershell/AzsBilling/
#   bin/AzsBilling.Native.dll                   the shim, `dotnet build -c Release` of powershell/src/AzsBilling.Native
#   runtimes/<rid>/native/libazs_billing.so     the native library from target/debug (target/release with --release)
# Usage: powershell/build.sh [--release] [--cargo]
#   --cargo: run `cargo build --workspace` first (the default uses the library already built: building one
#            package alone would unify features differently and rebuild the whole dependency tree).
# Prints the staged module folder. Needs the .NET SDK 8+ and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
profile=debug
cargo=0
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    --cargo) cargo=1 ;;
    *) echo "usage: $0 [--release] [--cargo]" >&2; exit 2 ;;
  esac
done

case "$(uname -s)" in
  Linux) os=linux; lib=libazs_billing.so ;;
  Darwin) os=osx; lib=libazs_billing.dylib ;;
  MINGW*|MSYS*|CYGWIN*) os=win; lib=azs_billing.dll ;;
  *) echo "unsupported OS $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
rid=$os-$arch

if [ "$cargo" = 1 ]; then
  release_flag=()
  [ "$profile" = release ] && release_flag=(--release)
  cargo build --workspace "${release_flag[@]}" >&2
fi
native=$root/target/$profile/$lib
[ -f "$native" ] || { echo "$native is missing: run cargo build --workspace first (or pass --cargo)" >&2; exit 1; }

dotnet build "$root/powershell/src/AzsBilling.Native/AzsBilling.Native.csproj" -c Release --nologo -v quiet \
  -o "$root/target/powershell/shim" >&2

stage=$root/target/powershell/AzsBilling
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/runtimes/$rid/native"
cp "$root"/powershell/AzsBilling/AzsBilling.psd1 "$root"/powershell/AzsBilling/AzsBilling.psm1 \
   "$root"/powershell/AzsBilling/AzsBilling.Format.ps1xml "$stage/"
cp -R "$root"/powershell/AzsBilling/Private "$root"/powershell/AzsBilling/Public "$stage/"
cp "$root/target/powershell/shim/AzsBilling.Native.dll" "$stage/bin/"
cp "$native" "$stage/runtimes/$rid/native/"
echo "$stage"
