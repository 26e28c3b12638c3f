// P/Invoke declarations for include/azs_billing.h (the contract). Strings in are UTF-8 (LPUTF8Str); strings
// out are IntPtr, read with Marshal.PtrToStringUTF8 and freed with azsb_string_free (never by the marshaler,
// which would use the wrong allocator). Handles are SafeHandles whose ReleaseHandle calls the _free function.

using System;
using System.Runtime.InteropServices;

namespace AzsBilling.Native
{
    /// <summary>azsb_status: the result of every fallible call.</summary>
    public enum AzsbStatus : uint
    {
        Ok = 0,
        InvalidArgument = 7001,
        NullPointer = 7002,
        InvalidUtf8 = 7003,
        Service = 7010,
        Authentication = 7011,
        Transport = 7012,
        UnexpectedResponse = 7013,
        File = 7014,
        NotFound = 7015,
        PepError = 7016,
        Store = 7017,
        Cancelled = 7018,
        Panic = 7099,
    }

    /// <summary>azsb_device_code_callback.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void DeviceCodeCallback(IntPtr userdata, IntPtr message);

    /// <summary>azsb_log_level.</summary>
    public enum AzsbLogLevel : uint
    {
        Error = 1,
        Warn = 2,
        Info = 3,
        Debug = 4,
        Trace = 5,
    }

    /// <summary>azsb_log_params: every pointer is valid only during the callback.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct AzsbLogParams
    {
        internal uint Level;
        internal IntPtr Target;
        internal UIntPtr TargetLength;
        internal IntPtr Message;
        internal UIntPtr MessageLength;
    }

    /// <summary>azsb_log_callback.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void LogCallback(IntPtr userdata, IntPtr parameters);

    /// <summary>azsb_sync_progress_callback.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void SyncProgressCallback(IntPtr userdata, IntPtr progressJson);

    internal static class NativeMethods
    {
        /// <summary>The name every import uses; the resolver (NativeLoader) maps it to the file it loaded.</summary>
        internal const string Library = "azs_billing";

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_client_new(
            [MarshalAs(UnmanagedType.LPUTF8Str)] string optionsJson,
            DeviceCodeCallback? deviceCodeCallback,
            IntPtr userdata,
            out ClientHandle client,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_client_environment(ClientHandle client, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_client_account(ClientHandle client, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_client_credential(ClientHandle client, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_client_free(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_error_status(IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr azsb_error_message(IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ushort azsb_error_http_status(IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr azsb_error_code(IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr azsb_error_request_id(IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr azsb_error_correlation_id(IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_error_free(IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr azsb_status_name(uint status);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_meter_lookup(
            [MarshalAs(UnmanagedType.LPUTF8Str)] string meterId, out IntPtr meterJson, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_meters(out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_user_subscriptions(
            ClientHandle client,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string providerSubscriptionId,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string? filter,
            out IntPtr json,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_user_subscription_get(
            ClientHandle client,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string providerSubscriptionId,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string subscriptionId,
            out IntPtr json,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_client_subscriptions(ClientHandle client, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_working_subscription(
            [MarshalAs(UnmanagedType.LPUTF8Str)] string subscriptionsJson,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string? requestedSubscriptionId,
            out IntPtr json,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_default_provider_subscription(
            ClientHandle client, out IntPtr subscription, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_string_free(IntPtr s);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_set_log_callback(uint level, LogCallback? callback, IntPtr userdata);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr azsb_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint azsb_abi_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_usage_open(
            ClientHandle client,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string queryJson,
            out UsageQueryHandle query,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_usage_next_page(UsageQueryHandle query, out IntPtr pageJson, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_usage_continuation_token(UsageQueryHandle query, out IntPtr token, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_usage_free(IntPtr query);

        // Registration (src/ffi/registration.rs). The Azure-side functions share one shape: a client, a JSON
        // object of arguments, a JSON answer.
        internal delegate AzsbStatus ClientJsonFunction(ClientHandle client, string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_registration_token_decode([MarshalAs(UnmanagedType.LPUTF8Str)] string token, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_activation_key_decode([MarshalAs(UnmanagedType.LPUTF8Str)] string key, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_registration_settings_resolve([MarshalAs(UnmanagedType.LPUTF8Str)] string settings, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_registration_token_parameters(
            [MarshalAs(UnmanagedType.LPUTF8Str)] string stampVersion, [MarshalAs(UnmanagedType.LPUTF8Str)] string settings, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_registration_create(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_registration_get(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_registration_list(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_registration_find(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_registration_remove(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_activation_key(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_role_assignment_ensure(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_customer_subscription_put(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_customer_subscription_get(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_customer_subscription_list(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_azure_customer_subscription_remove(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_registration_status([MarshalAs(UnmanagedType.LPUTF8Str)] string args, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_registration_needs_key_pair(
            [MarshalAs(UnmanagedType.LPUTF8Str)] string stampVersion, uint numberOfNodes, [MarshalAs(UnmanagedType.U1)] out bool needs, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_stamp_activation_get(ClientHandle client, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_pep_command_defaults([MarshalAs(UnmanagedType.LPUTF8Str)] string command, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_pep_invoke(
            [MarshalAs(UnmanagedType.LPUTF8Str)] string options,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string command,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string parameters,
            out IntPtr json,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_client_refresh_token(ClientHandle client, out IntPtr token, out IntPtr error);

        // The usage warehouse (src/ffi/warehouse.rs).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_open([MarshalAs(UnmanagedType.LPUTF8Str)] string url, out StoreHandle store, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_open_existing([MarshalAs(UnmanagedType.LPUTF8Str)] string url, out StoreHandle store, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_open_default(out StoreHandle store, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_default_url(out IntPtr url, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_url(StoreHandle store, out IntPtr url, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_store_free(IntPtr store);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_sync_state(StoreHandle store, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_aggregate(
            StoreHandle store, [MarshalAs(UnmanagedType.LPUTF8Str)] string queryJson, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_rows_open(
            StoreHandle store, [MarshalAs(UnmanagedType.LPUTF8Str)] string queryJson, out StoreRowsHandle rows, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_rows_next(StoreRowsHandle rows, UIntPtr maxRows, out IntPtr pageJson, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_store_rows_free(IntPtr rows);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_store_export(
            StoreHandle store,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string queryJson,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string optionsJson,
            out IntPtr reportJson,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_usage_export(
            ClientHandle client,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string queryJson,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string optionsJson,
            out IntPtr reportJson,
            out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern CancelHandle azsb_cancel_new();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_cancel_request(CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_cancel_free(IntPtr cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_usage_sync(
            ClientHandle client,
            StoreHandle store,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string optionsJson,
            SyncProgressCallback? progress,
            IntPtr userdata,
            CancelHandle cancel,
            out IntPtr reportJson,
            out IntPtr error);
    }
}
