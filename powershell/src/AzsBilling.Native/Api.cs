// Thin static methods the module's script calls, one per C function: JSON strings in and out, handles as
// SafeHandles, and every failure as an AzsBillingException. No business logic lives here or in the script.

using System;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Runtime.InteropServices;

namespace AzsBilling.Native
{
    public static class Api
    {
        /// <summary>The library's version ("0.1.0").</summary>
        public static string Version
        {
            get
            {
                NativeLoader.EnsureLoaded();
                return Marshal.PtrToStringUTF8(NativeMethods.azsb_version()) ?? "";
            }
        }

        /// <summary>The library's ABI version (1).</summary>
        public static uint AbiVersion
        {
            get
            {
                NativeLoader.EnsureLoaded();
                return NativeMethods.azsb_abi_version();
            }
        }

        /// <summary>The library's name of a status number ("AZSB_STATUS_SERVICE"; "AZSB_STATUS_UNKNOWN" for a
        /// number that is not one): what AzsbStatus here must agree with.</summary>
        public static string StatusName(uint status)
        {
            NativeLoader.EnsureLoaded();
            return Marshal.PtrToStringUTF8(NativeMethods.azsb_status_name(status)) ?? "";
        }

        /// <summary>
        /// Creates a client from options JSON (see azsb_client_new). The device code sign-in message, when a
        /// device code credential needs one, is written as a warning of <paramref name="cmdlet"/> while that
        /// command runs (the library calls back on the calling thread), else as a warning line of
        /// <paramref name="ui"/> (a later command refreshing the sign-in), else to stderr.
        /// </summary>
        public static ClientHandle ClientNew(string optionsJson, PSCmdlet? cmdlet = null, PSHostUserInterface? ui = null)
        {
            NativeLoader.EnsureLoaded();
            DeviceCodeCallback callback = (_, message) => ShowDeviceCodeMessage(cmdlet, ui, message);
            AzsbStatus status = NativeMethods.azsb_client_new(optionsJson, callback, IntPtr.Zero, out ClientHandle client, out IntPtr error);
            Check(status, error);
            client.Callback = callback;
            GC.KeepAlive(callback);
            return client;
        }

        /// <summary>{"name","resource_manager","login_endpoint","audience","identity_system","endpoint_type"}.</summary>
        public static string ClientEnvironment(ClientHandle client)
        {
            Check(NativeMethods.azsb_client_environment(client, out IntPtr json, out IntPtr error), error);
            return TakeString(json) ?? "{}";
        }

        /// <summary>
        /// Who the client acts as, JSON {"account","account_type","tenant_id"} from its token's claims (signs in
        /// first when it holds no token yet). Never the token.
        /// </summary>
        public static string ClientAccount(ClientHandle client)
        {
            Check(NativeMethods.azsb_client_account(client, out IntPtr json, out IntPtr error), error);
            return TakeString(json) ?? "{}";
        }

        /// <summary>
        /// The client's credential, JSON {"type","holds_refresh_token"}: whether its sign-in leaves a refresh
        /// token (a device code sign-in). Nothing is sent; never a secret.
        /// </summary>
        public static string ClientCredential(ClientHandle client) =>
            Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_client_credential(client, out json, out error));

        /// <summary>
        /// The working subscription, JSON {"subscription_id","tenant_id"}, chosen by the library from the
        /// subscriptions the caller sees (<see cref="ClientSubscriptions"/>'s JSON, "[]" when unknown) and the
        /// one requested (or null). A requested one the caller does not see is an AzsbStatus.NotFound failure.
        /// </summary>
        public static string WorkingSubscription(string subscriptionsJson, string? requestedSubscriptionId) =>
            Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_working_subscription(
                subscriptionsJson, string.IsNullOrEmpty(requestedSubscriptionId) ? null : requestedSubscriptionId, out json, out error));

        /// <summary>One tenant subscription under a provider subscription, a JSON object; AzsbStatus.NotFound when unknown.</summary>
        public static string UserSubscription(ClientHandle client, string providerSubscriptionId, string subscriptionId) =>
            Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_user_subscription_get(
                client, providerSubscriptionId, subscriptionId, out json, out error));

        /// <summary>The subscriptions the caller sees on the endpoint, a JSON array.</summary>
        public static string ClientSubscriptions(ClientHandle client)
        {
            Check(NativeMethods.azsb_client_subscriptions(client, out IntPtr json, out IntPtr error), error);
            return TakeString(json) ?? "[]";
        }

        /// <summary>The Default Provider Subscription id of an admin endpoint.</summary>
        public static string DefaultProviderSubscription(ClientHandle client)
        {
            Check(NativeMethods.azsb_default_provider_subscription(client, out IntPtr id, out IntPtr error), error);
            return TakeString(id) ?? "";
        }

        /// <summary>Opens a usage query (checked locally; nothing is fetched yet).</summary>
        public static UsageQueryHandle UsageOpen(ClientHandle client, string queryJson)
        {
            Check(NativeMethods.azsb_usage_open(client, queryJson, out UsageQueryHandle query, out IntPtr error), error);
            query.Callback = client.Callback;
            return query;
        }

        /// <summary>
        /// The next page as AzsBilling.UsageAggregate objects, or null after the last page. The page is read
        /// straight from the library's memory (no .NET string of it is made) and freed before returning.
        /// </summary>
        public static UsageAggregate[]? UsageNextRows(UsageQueryHandle query)
        {
            Check(NativeMethods.azsb_usage_next_page(query, out IntPtr page, out IntPtr error), error);
            if (page == IntPtr.Zero)
            {
                return null;
            }
            try
            {
                return UsageRows.FromNativePage(page);
            }
            finally
            {
                NativeMethods.azsb_string_free(page);
            }
        }

        /// <summary>The continuation token after the last page fetched, or null.</summary>
        public static string? UsageContinuationToken(UsageQueryHandle query)
        {
            Check(NativeMethods.azsb_usage_continuation_token(query, out IntPtr token, out IntPtr error), error);
            return TakeString(token);
        }

        /// <summary>A meter as JSON {"id","name","unit","category","description"}, or null when unknown.</summary>
        public static string? MeterLookup(string meterId)
        {
            NativeLoader.EnsureLoaded();
            Check(NativeMethods.azsb_meter_lookup(meterId, out IntPtr json, out IntPtr error), error);
            return TakeString(json);
        }

        /// <summary>The meter catalogue as a JSON array.</summary>
        public static string Meters()
        {
            NativeLoader.EnsureLoaded();
            Check(NativeMethods.azsb_meters(out IntPtr json, out IntPtr error), error);
            return TakeString(json) ?? "[]";
        }

        /// <summary>Tenant subscriptions under a provider subscription, a JSON array; filter is an OData $filter or null.</summary>
        public static string UserSubscriptions(ClientHandle client, string providerSubscriptionId, string? filter)
        {
            Check(NativeMethods.azsb_user_subscriptions(
                client, providerSubscriptionId, string.IsNullOrEmpty(filter) ? null : filter, out IntPtr json, out IntPtr error), error);
            return TakeString(json) ?? "[]";
        }

        private static void ShowDeviceCodeMessage(PSCmdlet? cmdlet, PSHostUserInterface? ui, IntPtr message)
        {
            // An exception must never unwind into the native caller: it would end the process.
            try
            {
                string text = Marshal.PtrToStringUTF8(message) ?? "";
                try
                {
                    if (cmdlet != null)
                    {
                        cmdlet.WriteWarning(text);
                        return;
                    }
                }
                catch (Exception)
                {
                    // That command has finished (a later command needed a new sign-in): use the host.
                }
                try
                {
                    if (ui != null)
                    {
                        ui.WriteWarningLine(text);
                        return;
                    }
                }
                catch (Exception)
                {
                    // The host cannot write from here; fall back to stderr.
                }
                Console.Error.WriteLine(text);
            }
            catch (Exception)
            {
                // Nothing sensible left to do.
            }
        }

        internal delegate AzsbStatus JsonOutFunction(out IntPtr json, out IntPtr error);

        /// <summary>Runs a call that answers with a library-owned string; throws its error; frees the string.</summary>
        internal static string Call(JsonOutFunction function)
        {
            NativeLoader.EnsureLoaded();
            Check(function(out IntPtr json, out IntPtr error), error);
            return TakeString(json) ?? "null";
        }

        /// <summary>Reads a string the library returned and frees it.</summary>
        internal static string? TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return null;
            }
            try
            {
                return Marshal.PtrToStringUTF8(p);
            }
            finally
            {
                NativeMethods.azsb_string_free(p);
            }
        }

        /// <summary>Throws the error a failed call returned (and frees it).</summary>
        internal static void Check(AzsbStatus status, IntPtr error)
        {
            if (status == AzsbStatus.Ok)
            {
                if (error != IntPtr.Zero)
                {
                    NativeMethods.azsb_error_free(error);
                }
                return;
            }
            try
            {
                string statusName = StatusName((uint)status);
                if (error == IntPtr.Zero)
                {
                    throw new AzsBillingException(status, statusName, $"The azs_billing library failed with {statusName}.", 0, null, null, null);
                }
                string message = Marshal.PtrToStringUTF8(NativeMethods.azsb_error_message(error)) ?? "";
                if (message.Length == 0)
                {
                    message = $"The azs_billing library failed with {statusName}.";
                }
                throw new AzsBillingException(
                    status,
                    statusName,
                    message,
                    NativeMethods.azsb_error_http_status(error),
                    Marshal.PtrToStringUTF8(NativeMethods.azsb_error_code(error)),
                    Marshal.PtrToStringUTF8(NativeMethods.azsb_error_request_id(error)),
                    Marshal.PtrToStringUTF8(NativeMethods.azsb_error_correlation_id(error)));
            }
            finally
            {
                if (error != IntPtr.Zero)
                {
                    NativeMethods.azsb_error_free(error);
                }
            }
        }
    }
}
