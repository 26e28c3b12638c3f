// One SafeHandle per native handle type: the runtime frees each exactly once (Dispose, or the finalizer for a
// handle a script dropped), and a call on a disposed handle throws ObjectDisposedException instead of
// touching freed memory.

using System;
using Microsoft.Win32.SafeHandles;

namespace AzsBilling.Native
{
    /// <summary>An azsb_client. Keeps the device code callback alive as long as the client.</summary>
    public sealed class ClientHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public ClientHandle() : base(ownsHandle: true) { }

        /// <summary>The delegate the library holds a pointer to; collected only with this handle.</summary>
        internal DeviceCodeCallback? Callback { get; set; }

        protected override bool ReleaseHandle()
        {
            NativeMethods.azsb_client_free(handle);
            return true;
        }
    }

    /// <summary>An azsb_usage_query (one thread at a time).</summary>
    public sealed class UsageQueryHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public UsageQueryHandle() : base(ownsHandle: true) { }

        /// <summary>
        /// The client's device code callback: a query outlives its client (they share the connection) and a
        /// later page may need a new token, so the delegate must live as long as the query too.
        /// </summary>
        internal DeviceCodeCallback? Callback { get; set; }

        protected override bool ReleaseHandle()
        {
            NativeMethods.azsb_usage_free(handle);
            return true;
        }
    }
}
