// The usage and subscription calls for the cmdlets' non-terminating errors: each returns its failure in a
// CallResult instead of throwing it. PowerShell adds every exception a script catches to the calling cmdlet's
// -ErrorVariable, so a failure caught in script would stand in a caller's $failed before the one ErrorRecord
// the cmdlet writes (a Usagesummary-style loop reads $failed[0]).

using System;

namespace AzsBilling.Native
{
    /// <summary>The answer of a call, or the library failure it ended with.</summary>
    public sealed class CallResult
    {
        internal CallResult(object? value, AzsBillingException? error)
        {
            Value = value;
            Error = error;
        }

        /// <summary>What the call returned (null on failure, and for a call that answered null).</summary>
        public object? Value { get; }

        /// <summary>The library's failure, or null when the call succeeded.</summary>
        public AzsBillingException? Error { get; }
    }

    public static class QueryApi
    {
        /// <summary><see cref="Api.UsageOpen"/>.</summary>
        public static CallResult UsageOpen(ClientHandle client, string queryJson) => Capture(() => Api.UsageOpen(client, queryJson));

        /// <summary><see cref="Api.UsageNextRows"/>: the page's rows, or a null Value after the last page.</summary>
        public static CallResult UsageNextRows(UsageQueryHandle query) => Capture(() => Api.UsageNextRows(query));

        /// <summary><see cref="Api.UserSubscriptions"/>.</summary>
        public static CallResult UserSubscriptions(ClientHandle client, string providerSubscriptionId, string? filter) =>
            Capture(() => Api.UserSubscriptions(client, providerSubscriptionId, filter));

        /// <summary><see cref="Api.UserSubscription"/>.</summary>
        public static CallResult UserSubscription(ClientHandle client, string providerSubscriptionId, string subscriptionId) =>
            Capture(() => Api.UserSubscription(client, providerSubscriptionId, subscriptionId));

        /// <summary><see cref="WarehouseApi.UsageExport"/>: the report JSON.</summary>
        public static CallResult UsageExport(ClientHandle client, string queryJson, string optionsJson) =>
            Capture(() => WarehouseApi.UsageExport(client, queryJson, optionsJson));

        private static CallResult Capture(Func<object?> call)
        {
            try
            {
                return new CallResult(call(), null);
            }
            catch (AzsBillingException e)
            {
                return new CallResult(null, e);
            }
        }
    }
}
