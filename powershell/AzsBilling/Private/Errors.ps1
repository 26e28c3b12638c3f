# ErrorRecords for library failures and for what the script itself refuses, and the one wrapper every
# library call goes through.

function Get-AzsBillingException {
    # The library's exception inside whatever PowerShell wrapped it in (MethodInvocationException), or $null.
    param([System.Exception] $Exception)
    $e = $Exception
    while ($null -ne $e) {
        if ($e -is [AzsBilling.Native.AzsBillingException]) { return $e }
        $e = $e.InnerException
    }
    return $null
}

function New-AzsBillingErrorRecord {
    # An ErrorRecord for a library failure: a category from the status and HTTP status, the id
    # 'AzsBilling.<service code or status>', a message carrying the service code and request id, and a target
    # object with HttpStatus, Code, RequestId and CorrelationId (plus anything the caller adds in -Extra).
    param(
        [Parameter(Mandatory)] [AzsBilling.Native.AzsBillingException] $Exception,
        [hashtable] $Extra = @{}
    )
    $category = switch ($Exception.Status) {
        'InvalidArgument' { 'InvalidArgument' }
        'NullPointer' { 'InvalidArgument' }
        'InvalidUtf8' { 'InvalidArgument' }
        'Authentication' { 'AuthenticationError' }
        'Transport' { 'ConnectionError' }
        'File' { 'ReadError' }
        'NotFound' { 'ObjectNotFound' }
        'PepError' { 'InvalidOperation' }
        'Service' {
            switch ($Exception.HttpStatus) {
                400 { 'InvalidArgument' }
                401 { 'AuthenticationError' }
                403 { 'PermissionDenied' }
                404 { 'ObjectNotFound' }
                408 { 'OperationTimeout' }
                409 { 'ResourceExists' }
                429 { 'LimitsExceeded' }
                503 { 'ResourceUnavailable' }
                504 { 'OperationTimeout' }
                default { 'InvalidOperation' }
            }
        }
        default { 'InvalidOperation' }
    }
    $id = if ($Exception.Code) { $Exception.Code } else { $Exception.Status.ToString() }
    $message = $Exception.Message
    if ($Exception.Code -and -not $message.Contains($Exception.Code)) { $message += " (code $($Exception.Code))" }
    if ($Exception.RequestId -and -not $message.Contains($Exception.RequestId)) { $message += " (request id $($Exception.RequestId))" }
    $target = [ordered]@{
        Status        = $Exception.Status.ToString()
        HttpStatus    = $Exception.HttpStatus
        Code          = $Exception.Code
        RequestId     = $Exception.RequestId
        CorrelationId = $Exception.CorrelationId
    }
    foreach ($key in $Extra.Keys) { $target[$key] = $Extra[$key] }
    $record = [System.Management.Automation.ErrorRecord]::new(
        $Exception, "AzsBilling.$id", [System.Management.Automation.ErrorCategory]$category, [pscustomobject]$target)
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($message)
    $record.ErrorDetails.RecommendedAction = switch ($category) {
        'AuthenticationError' { 'Check the credential, -Tenant and the endpoint, then run Connect-AzsBillingEnvironment again.' }
        'PermissionDenied' { 'The signed-in principal needs Owner, Contributor or Reader on the subscription.' }
        'LimitsExceeded' { 'The service is throttling: retry later, or raise -MaxRetries on Connect-AzsBillingEnvironment.' }
        'ResourceUnavailable' { 'The service is busy: retry later, or raise -MaxRetries on Connect-AzsBillingEnvironment.' }
        'ConnectionError' { 'Check the endpoint address, the network and -CaBundlePath (the stamp''s CA).' }
        default { $null }
    }
    if ($Exception.Code -eq 'SubscriberIdIsNotDirectTenant') {
        $record.ErrorDetails.RecommendedAction = 'The subscription is a delegated provider''s (reseller''s) tenant, not a direct tenant of this provider subscription (IsDirectTenant is False in Get-AzsUserSubscription): its usage is reported to its delegated provider. Skip it, or query with that provider''s subscription as -SubscriptionId.'
    }
    return $record
}

# What Invoke-AzsBillingNative -NonTerminating returns after it wrote the error (test with Test-AzsBillingFailed).
$script:NativeCallFailed = [object]::new()

function Invoke-AzsBillingNative {
    # Runs a library call; a library failure becomes a terminating ErrorRecord of the calling cmdlet. With
    # -AllowNotFound a missing resource gives $null instead: callers cannot tell it apart themselves, since
    # their try/catch does not see $Cmdlet.ThrowTerminatingError.
    # -NonTerminating (the usage and subscription queries, as the Azs.* cmdlets do): the call is an
    # [AzsBilling.Native.QueryApi] method, which returns its failure instead of throwing it (a caught exception
    # would also land in the caller's -ErrorVariable). A failure of the service or the network is written with
    # WriteError, so -ErrorAction decides (SilentlyContinue lets `$r = ...` assign, Stop still terminates), and
    # the call returns $script:NativeCallFailed so the caller ends just that query. A refusal of the arguments
    # before anything was sent stays terminating: every later query of the same command would be refused alike.
    # -Reword maps the library's exception to the one reported (Connect words messages in its parameters).
    # The library's log records made during the call go to $Cmdlet's verbose and debug streams.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [scriptblock] $Call,
        [hashtable] $Extra = @{},
        [switch] $AllowNotFound,
        # With -AllowNotFound: receives the library's message for the missing resource (it may say more
        # than "not found", e.g. that a directory id was given for a subscription id).
        [ref] $NotFoundMessage,
        [switch] $NonTerminating,
        [scriptblock] $Reword
    )
    $e = $null
    $nativeLogScope = [AzsBilling.Native.Log]::Enter($Cmdlet)
    try {
        if ($NonTerminating) {
            $answer = & $Call
            if ($null -eq $answer.Error) {
                if ($null -eq $answer.Value) { return $null }
                # Unenumerated, so an empty page stays a page.
                return , $answer.Value
            }
            $e = $answer.Error
        } else {
            try {
                & $Call
            } catch {
                $e = Get-AzsBillingException $_.Exception
                if ($null -eq $e) { throw }
            }
            if ($null -eq $e) { return }
        }
    } finally {
        $nativeLogScope.Dispose()
    }
    if ($AllowNotFound -and ($e.Status -eq [AzsBilling.Native.AzsbStatus]::NotFound -or $e.HttpStatus -eq 404)) {
        if ($null -ne $NotFoundMessage) { $NotFoundMessage.Value = $e.Message }
        return $null
    }
    if ($Reword) { $e = & $Reword $e }
    $record = New-AzsBillingErrorRecord -Exception $e -Extra $Extra
    $local = $e.HttpStatus -eq 0 -and $e.Status -in @(
        [AzsBilling.Native.AzsbStatus]::InvalidArgument, [AzsBilling.Native.AzsbStatus]::NullPointer, [AzsBilling.Native.AzsbStatus]::InvalidUtf8)
    if (-not $NonTerminating -or $local) { $Cmdlet.ThrowTerminatingError($record) }
    $Cmdlet.WriteError($record)
    return $script:NativeCallFailed
}

function Test-AzsBillingFailed {
    # True for what Invoke-AzsBillingNative -NonTerminating returns after writing an error.
    param([AllowNull()] [object] $Value)
    [object]::ReferenceEquals($Value, $script:NativeCallFailed)
}

function New-AzsBillingSimpleError {
    param(
        [Parameter(Mandatory)] [string] $Message,
        [Parameter(Mandatory)] [string] $ErrorId,
        [Parameter(Mandatory)] [System.Management.Automation.ErrorCategory] $Category,
        [object] $TargetObject,
        [type] $ExceptionType = [System.InvalidOperationException]
    )
    [System.Management.Automation.ErrorRecord]::new(
        $ExceptionType::new($Message), "AzsBilling.$ErrorId", $Category, $TargetObject)
}
