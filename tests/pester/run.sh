#!/usr/bin/env bash
# Runs the Pester tests of the AzsBilling PowerShell module against a spawned azs-emulator:
# builds the Rust workspace (a no-op after scripts/test's build), stages the module with powershell/build.sh,
# installs pwsh and Pester (scripts/install-powershell), then runs Invoke-Pester. Exits non-zero on any
# failure and ends with "pester: N passed, N failed".
# Needs: cargo, the .NET SDK 8+ (dotnet), network access to NuGet the first time. AZSB_SKIP_CARGO=1 skips cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if [ "${AZSB_SKIP_CARGO:-0}" != 1 ]; then
  # The same command as scripts/test, so the library is not rebuilt with a different feature set.
  cargo build --workspace --all-targets --locked >&2
fi
module=$(powershell/build.sh)
pwsh=$(scripts/install-powershell)
pester=$root/.tools/pester/pester/5.7.1/tools/Pester.psd1

export AZSB_MODULE=$module/AzsBilling.psd1
export AZS_EMULATOR_BIN=$root/target/debug/azs-emulator
export AZSB_PWSH=$pwsh
export AZSB_PESTER=$pester
export AZSB_RESULTS=$root/target/powershell/pester-results.xml

"$pwsh" -NoProfile -NonInteractive -Command '
  $ErrorActionPreference = "Stop"
  $ProgressPreference = "SilentlyContinue"
  Import-Module $env:AZSB_PESTER
  $config = New-PesterConfiguration
  $config.Run.Path = "tests/pester"
  $config.Run.PassThru = $true
  $config.Output.Verbosity = "Detailed"
  $config.TestResult.Enabled = $true
  $config.TestResult.OutputFormat = "NUnitXml"
  $config.TestResult.OutputPath = $env:AZSB_RESULTS
  $result = Invoke-Pester -Configuration $config
  $failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
  "pester: $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
  if ($result.Result -ne "Passed" -or $failed -gt 0) { exit 1 }
  exit 0
'
