# Usage queries: the UTC wire form of times and the pager that streams rows page by page.

function ConvertTo-AzsQueryTime {
    # The UTC wire form of a DateTime: Utc as is, Local converted, Unspecified taken as local time (as
    # DateTime.ToUniversalTime does). Fractions are kept so the library can reject an unaligned time.
    param([datetime] $Time)
    $Time.ToUniversalTime().ToString($script:QueryTimeFormat, $script:Invariant)
}

function Invoke-AzsUsageQuery {
    # Opens a usage query, pages through it with Write-Progress and streams every row as its page is parsed
    # (one page in memory at a time). A failure after some pages carries the continuation token to resume from.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Query
    )
    $client = Get-AzsBillingClient -Cmdlet $Cmdlet
    $json = $Query | ConvertTo-Json -Compress
    Write-Verbose "Usage query: $json"
    $handle = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.Api]::UsageOpen($client, $json) }
    $activity = "$($Cmdlet.MyInvocation.MyCommand.Name): $($Query.reportedStartTime) to $($Query.reportedEndTime) ($($Query.aggregationGranularity)), subscription $($Query.subscriptionId)"
    $progressId = Get-Random -Minimum 1000 -Maximum 1000000
    $pages = 0
    $rows = 0
    $token = $Query['continuationToken']
    try {
        while ($true) {
            $page = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Extra @{ ContinuationToken = $token; PagesRead = $pages; RowsRead = $rows } -Call {
                [AzsBilling.Native.Api]::UsageNextRows($handle)
            }
            if ($null -eq $page) { break }
            $pages++
            $rows += $page.Length
            $token = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.Api]::UsageContinuationToken($handle) }
            # The shim shapes the rows (AzsBilling.UsageAggregate, see UsageRows.cs): a script loop per row
            # cost more than fetching and parsing the page.
            $Cmdlet.WriteObject($page, $true)
            $page = $null
            Write-Verbose "Page $pages read, $rows rows so far; continuation token: $(if ($token) { $token } else { '(none: last page)' })"
            Write-Progress -Id $progressId -Activity $activity -Status "$pages pages, $rows rows"
        }
    } finally {
        $handle.Dispose()
        Write-Progress -Id $progressId -Activity $activity -Completed
    }
    Write-Verbose "Done: $rows rows in $pages pages."
}
