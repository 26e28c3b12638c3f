// The usage warehouse (src/ffi/warehouse.rs): stores, their state and sums, and a sync that runs on a thread
// of its own so the pipeline thread stays free to show progress and to be stopped (Ctrl+C) while it runs.

using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace AzsBilling.Native
{
    /// <summary>An azsb_store (one thread at a time: a running sync owns it until it ends).</summary>
    public sealed class StoreHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public StoreHandle() : base(ownsHandle: true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.azsb_store_free(handle);
            return true;
        }
    }

    /// <summary>An azsb_store_rows (keeps its store open while it lives).</summary>
    public sealed class StoreRowsHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public StoreRowsHandle() : base(ownsHandle: true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.azsb_store_rows_free(handle);
            return true;
        }
    }

    /// <summary>An azsb_cancel.</summary>
    internal sealed class CancelHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public CancelHandle() : base(ownsHandle: true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.azsb_cancel_free(handle);
            return true;
        }
    }

    public static class WarehouseApi
    {
        /// <summary>The URL of the per-user store (sqlite:...), opened when no store is named.</summary>
        public static string DefaultStoreUrl()
        {
            NativeLoader.EnsureLoaded();
            return Api.Call((out IntPtr url, out IntPtr error) => NativeMethods.azsb_store_default_url(out url, out error));
        }

        /// <summary>Opens (creating and migrating) the store a URL names; null or empty (what PowerShell passes for
        /// $null): the per-user store. With <paramref name="mustExist"/> (commands that only read), a SQLite
        /// file that does not exist, or a PostgreSQL database never synced into, is an AzsbStatus.NotFound
        /// failure instead of a new, empty store.</summary>
        public static StoreHandle StoreOpen(string? url, bool mustExist = false)
        {
            NativeLoader.EnsureLoaded();
            StoreHandle store;
            IntPtr error;
            AzsbStatus status;
            if (mustExist)
            {
                status = NativeMethods.azsb_store_open_existing(string.IsNullOrEmpty(url) ? DefaultStoreUrl() : url, out store, out error);
            }
            else
            {
                status = string.IsNullOrEmpty(url)
                    ? NativeMethods.azsb_store_open_default(out store, out error)
                    : NativeMethods.azsb_store_open(url, out store, out error);
            }
            Api.Check(status, error);
            return store;
        }

        /// <summary>The open store's URL without a password (sqlite:PATH or postgresql://USER@HOST:PORT/DB), to show.</summary>
        public static string StoreUrl(StoreHandle store) =>
            Api.Call((out IntPtr url, out IntPtr error) => NativeMethods.azsb_store_url(store, out url, out error));

        /// <summary>Every cursor's state, a JSON array (docs/c-abi.md, "Sync state").</summary>
        public static string SyncState(StoreHandle store) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_store_sync_state(store, out json, out error));

        /// <summary>Exact sums per period, subscription and meter, a JSON array (docs/c-abi.md, "Aggregate row").</summary>
        public static string Aggregate(StoreHandle store, string queryJson) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_store_aggregate(store, queryJson, out json, out error));

        /// <summary>Opens a reader of stored rows (docs/c-abi.md, "Row query"); nothing is read yet.</summary>
        public static StoreRowsHandle RowsOpen(StoreHandle store, string queryJson)
        {
            Api.Check(NativeMethods.azsb_store_rows_open(store, queryJson, out StoreRowsHandle rows, out IntPtr error), error);
            return rows;
        }

        /// <summary>The next page of rows as AzsBilling.StoredUsageRow objects, or null after the last; the
        /// page is read in the library's memory and freed before returning.</summary>
        public static StoredUsageRow[]? RowsNext(StoreRowsHandle rows, int maxRows)
        {
            Api.Check(NativeMethods.azsb_store_rows_next(rows, (UIntPtr)Math.Max(0, maxRows), out IntPtr page, out IntPtr error), error);
            if (page == IntPtr.Zero)
            {
                return null;
            }
            try
            {
                return StoredRows.FromNativePage(page);
            }
            finally
            {
                NativeMethods.azsb_string_free(page);
            }
        }

        /// <summary>Writes a row query's rows to a file (docs/c-abi.md, "Export options"); the report JSON.</summary>
        public static string Export(StoreHandle store, string queryJson, string optionsJson) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_store_export(store, queryJson, optionsJson, out json, out error));

        /// <summary>Writes a usage query's rows straight from the API to a file (azsb_usage_export); the report JSON.</summary>
        public static string UsageExport(ClientHandle client, string queryJson, string optionsJson) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_usage_export(client, queryJson, optionsJson, out json, out error));

        /// <summary>Starts a sync (options JSON: docs/c-abi.md, "Sync options") on a thread of its own.</summary>
        public static UsageSync SyncStart(ClientHandle client, StoreHandle store, string optionsJson)
        {
            NativeLoader.EnsureLoaded();
            return new UsageSync(client, store, optionsJson);
        }
    }

    /// <summary>
    /// A running azsb_usage_sync. The pipeline thread takes the progress records the sync's thread queues
    /// (the library calls back on the thread that called it, where no cmdlet may write) and, once the sync
    /// has ended, its result. Disposing it cancels a sync still running and waits for it: committed windows
    /// stay, the window in progress is rolled back.
    /// </summary>
    public sealed class UsageSync : IDisposable
    {
        private readonly BlockingCollection<string> _progress = new BlockingCollection<string>();
        private readonly CancelHandle _cancel;
        private readonly Thread _thread;
        // The library holds a pointer to this delegate while the sync runs.
        private readonly SyncProgressCallback _callback;
        private CallResult? _result;
        private bool _disposed;

        internal UsageSync(ClientHandle client, StoreHandle store, string optionsJson)
        {
            _cancel = NativeMethods.azsb_cancel_new();
            _callback = (_, json) => OnProgress(json);
            _thread = new Thread(() => Run(client, store, optionsJson))
            {
                IsBackground = true,
                Name = "azs-billing sync",
            };
            _thread.Start();
        }

        /// <summary>The next progress record (docs/c-abi.md, "Sync progress"), or null when none came within
        /// <paramref name="timeoutMilliseconds"/> or the sync has ended and every record was taken.</summary>
        public string? TakeProgress(int timeoutMilliseconds)
        {
            try
            {
                return _progress.TryTake(out string? json, timeoutMilliseconds) ? json : null;
            }
            catch (InvalidOperationException)
            {
                // Completed and empty.
                return null;
            }
        }

        /// <summary>True once the sync has ended and its progress records were all taken.</summary>
        public bool IsCompleted => _progress.IsCompleted;

        /// <summary>After the sync ended: the report JSON as Value (docs/c-abi.md, "Sync report"), or the
        /// library's failure as Error. Waits for the end.</summary>
        public CallResult Result
        {
            get
            {
                _thread.Join();
                return _result!;
            }
        }

        /// <summary>Asks the sync to stop; it ends with AZSB_STATUS_CANCELLED soon after.</summary>
        public void Cancel() => NativeMethods.azsb_cancel_request(_cancel);

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_thread.IsAlive)
            {
                Cancel();
                _thread.Join();
            }
            _cancel.Dispose();
            _progress.Dispose();
        }

        private void Run(ClientHandle client, StoreHandle store, string optionsJson)
        {
            try
            {
                AzsbStatus status = NativeMethods.azsb_usage_sync(
                    client, store, optionsJson, _callback, IntPtr.Zero, _cancel, out IntPtr report, out IntPtr error);
                try
                {
                    Api.Check(status, error);
                    _result = new CallResult(Api.TakeString(report), null);
                }
                catch (AzsBillingException e)
                {
                    _result = new CallResult(null, e);
                }
            }
            catch (Exception e)
            {
                // Not a library failure (the runtime's own): reported as the library would an internal error.
                _result = new CallResult(null, new AzsBillingException(
                    AzsbStatus.Panic, "AZSB_STATUS_PANIC", $"The sync failed: {e.Message}", 0, null, null, null));
            }
            finally
            {
                GC.KeepAlive(_callback);
                _progress.CompleteAdding();
            }
        }

        private void OnProgress(IntPtr json)
        {
            // An exception must never unwind into the native caller: it would end the process.
            try
            {
                string? text = Marshal.PtrToStringUTF8(json);
                if (text != null)
                {
                    _progress.Add(text);
                }
            }
            catch (Exception)
            {
                // A progress record is not worth failing the sync for.
            }
        }
    }
}
