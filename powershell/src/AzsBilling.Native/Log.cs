// The library's log records (azsb_set_log_callback) as the running command's verbose and debug stream. The
// library calls back on the thread that called it, which is the pipeline thread of the command inside
// Invoke-AzsBillingNative: that command is kept per thread while the call runs (Enter), so a record reaches
// the command that caused it, and a record with no command in scope (another runspace's thread, a call
// outside the wrapper) is dropped.

using System;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Threading;

namespace AzsBilling.Native
{
    public static class Log
    {
        /// <summary>
        /// Retries, registration and privileged endpoint steps (info) go to Write-Verbose; token requests and
        /// usage pages (debug) to Write-Debug; trace is never asked for.
        /// </summary>
        private const uint Level = (uint)AzsbLogLevel.Debug;

        [ThreadStatic]
        private static PSCmdlet? _current;

        // The library holds a pointer to this delegate for the life of the process: a static field keeps it
        // from being collected.
        private static readonly LogCallback Callback = OnRecord;

        private static int _registered;

        /// <summary>
        /// Makes <paramref name="cmdlet"/> the receiver of the records this thread's library calls make until
        /// the returned scope is disposed (scopes nest: the previous command is restored). Registers the
        /// callback with the library on first use.
        /// </summary>
        public static IDisposable Enter(PSCmdlet cmdlet)
        {
            Register();
            PSCmdlet? previous = _current;
            _current = cmdlet;
            return new Scope(previous);
        }

        private static void Register()
        {
            if (Interlocked.Exchange(ref _registered, 1) == 1)
            {
                return;
            }
            NativeLoader.EnsureLoaded();
            // Fails only when something else in the process installed a Rust logger; then there is no log.
            NativeMethods.azsb_set_log_callback(Level, Callback, IntPtr.Zero);
        }

        private static void OnRecord(IntPtr userdata, IntPtr parameters)
        {
            // An exception must never unwind into the native caller: it would end the process.
            try
            {
                PSCmdlet? cmdlet = _current;
                if (cmdlet == null || parameters == IntPtr.Zero)
                {
                    return;
                }
                AzsbLogParams record = Marshal.PtrToStructure<AzsbLogParams>(parameters);
                string message = Marshal.PtrToStringUTF8(record.Message, checked((int)record.MessageLength)) ?? "";
                if (record.Level <= (uint)AzsbLogLevel.Info)
                {
                    cmdlet.WriteVerbose(message);
                }
                else if (record.Level == (uint)AzsbLogLevel.Debug)
                {
                    cmdlet.WriteDebug(message);
                }
            }
            catch (Exception)
            {
                // The pipeline is stopping, or the host cannot write: a log line is not worth failing for.
            }
        }

        private sealed class Scope : IDisposable
        {
            private readonly PSCmdlet? _previous;
            private bool _disposed;

            internal Scope(PSCmdlet? previous) => _previous = previous;

            public void Dispose()
            {
                if (_disposed)
                {
                    return;
                }
                _disposed = true;
                _current = _previous;
            }
        }
    }
}
