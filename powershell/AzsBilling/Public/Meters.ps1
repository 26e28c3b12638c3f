function Get-AzsUsageMeter {
    <#
    .SYNOPSIS
    Gets Azure Stack Hub usage meters: id, name, unit, category and description.

    .DESCRIPTION
    Without -MeterId, lists the whole meter catalogue compiled into the library. With -MeterId, looks each id
    up in any spelling (upper or lower case, with or without hyphens, as the service reports network meters);
    an unknown id writes a non-terminating ObjectNotFound error and the others are still returned. Needs no
    connection. MeterId binds from the pipeline by property name, so usage rows can be piped in.

    .PARAMETER MeterId
    One or more meter ids to look up.

    .EXAMPLE
    Get-AzsUsageMeter | Where-Object Category -eq 'Compute'

    The compute meters.

    .EXAMPLE
    Get-AzsUsageMeter -MeterId F271A8A388C44D93956A063E1D2FA80B

    A network meter as the service reports it, without hyphens.

    .OUTPUTS
    AzsBilling.UsageMeter
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.UsageMeter')]
    param(
        [Parameter(Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string[]] $MeterId
    )
    begin {
        function ConvertTo-AzsUsageMeter($Meter) {
            [pscustomobject]@{
                PSTypeName  = 'AzsBilling.UsageMeter'
                MeterId     = $Meter.id
                Name        = $Meter.name
                Unit        = $Meter.unit
                Category    = $Meter.category
                Description = $Meter.description
            }
        }
    }
    process {
        if (-not $PSBoundParameters.ContainsKey('MeterId')) {
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::Meters() }
            foreach ($meter in (ConvertFrom-Json -InputObject $json -NoEnumerate)) { ConvertTo-AzsUsageMeter $meter }
            return
        }
        foreach ($id in $MeterId) {
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::MeterLookup($id) }
            if ($null -eq $json) {
                $PSCmdlet.WriteError((New-AzsBillingSimpleError -ErrorId 'MeterNotFound' -Category ObjectNotFound `
                            -ExceptionType ([System.Management.Automation.ItemNotFoundException]) -TargetObject $id `
                            -Message "The meter '$id' is not in the Azure Stack Hub meter catalogue."))
                continue
            }
            ConvertTo-AzsUsageMeter ($json | ConvertFrom-Json)
        }
    }
}
