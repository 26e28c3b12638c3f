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
        Panic = 7099,
    }

    /// <summary>azsb_device_code_callback.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void DeviceCodeCallback(IntPtr userdata, IntPtr message);

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
        internal static extern AzsbStatus azsb_client_subscriptions(ClientHandle client, out IntPtr json, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern AzsbStatus azsb_default_provider_subscription(
            ClientHandle client, out IntPtr subscription, out IntPtr error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void azsb_string_free(IntPtr s);

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
    }
}
