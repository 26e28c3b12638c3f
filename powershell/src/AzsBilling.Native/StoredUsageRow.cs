// The object Get-AzsStoredUsage emits for each stored row, and its reader of the library's row pages
// (azsb_store_rows_next), which reads the native bytes in place as UsageRows does a usage page.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AzsBilling.Native;

namespace AzsBilling
{
    /// <summary>
    /// A usage row as the store keeps it: the names of AzsBilling.UsageAggregate where they mean the same,
    /// with the exact [decimal] Quantity, the owner and the reported window it came in.
    /// </summary>
    public sealed class StoredUsageRow
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>The owner in the newest tenant list a sync stored; null when none names it.</summary>
        public string? Owner { get; set; }
        /// <summary>Kind Utc.</summary>
        public DateTime UsageStartTime { get; set; }
        /// <summary>Kind Utc.</summary>
        public DateTime UsageEndTime { get; set; }
        /// <summary>Exactly the quantity the service sent.</summary>
        public decimal Quantity { get; set; }
        /// <summary>As the service sent it.</summary>
        public string MeterId { get; set; } = "";
        public string? MeterName { get; set; }
        public string? Unit { get; set; }
        public string? MeterCategory { get; set; }
        public string? ResourceUri { get; set; }
        public string? ResourceGroup { get; set; }
        /// <summary>The namespace, e.g. Microsoft.Compute.</summary>
        public string? ResourceProvider { get; set; }
        /// <summary>The type without namespace, e.g. virtualMachines (as UsageAggregate's).</summary>
        public string? ResourceType { get; set; }
        public string? ResourceName { get; set; }
        public string? Location { get; set; }
        /// <summary>Case-insensitive names; empty when none; compact JSON in Export-Csv.</summary>
        public Hashtable Tags { get; set; } = new JsonHashtable();
        public object? AdditionalInfo { get; set; }
        public string? VmSize { get; set; }
        /// <summary>The reported window the row came in (part of its key), Kind Utc.</summary>
        public DateTime ReportedStartTime { get; set; }
        public DateTime ReportedEndTime { get; set; }
        /// <summary>The store's cursor that holds the row (Get-AzsUsageSyncState's CursorId).</summary>
        public long CursorId { get; set; }
        /// <summary>The record's ARM id as sent; not a row key (it repeats across days).</summary>
        public string? RecordId { get; set; }
    }
}

namespace AzsBilling.Native
{
    internal static class StoredRows
    {
        /// <summary>Parses a NUL-terminated UTF-8 JSON array of stored rows (docs/c-abi.md, "Stored row").</summary>
        internal static StoredUsageRow[] FromNativePage(IntPtr page) =>
            UsageRows.ReadArray(UsageRows.NativeText(page), "a page of stored rows", ReadRow);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static StoredUsageRow ReadRow(ref Utf8JsonReader reader)
        {
            UsageRows.Current(ref reader, JsonTokenType.StartObject, "a stored row");
            var row = new StoredUsageRow();
            while (UsageRows.Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("subscription_id")) { row.SubscriptionId = UsageRows.ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("owner")) { row.Owner = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("usage_start")) { row.UsageStartTime = UsageRows.ReadUtcTime(ref reader, "usage_start"); }
                else if (reader.ValueTextEquals("usage_end")) { row.UsageEndTime = UsageRows.ReadUtcTime(ref reader, "usage_end"); }
                else if (reader.ValueTextEquals("quantity")) { row.Quantity = UsageRows.ReadDecimalString(ref reader, "quantity"); }
                else if (reader.ValueTextEquals("meter_id")) { row.MeterId = UsageRows.ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("meter_name")) { row.MeterName = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("unit")) { row.Unit = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("category")) { row.MeterCategory = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("resource_uri")) { row.ResourceUri = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("resource_group")) { row.ResourceGroup = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("provider")) { row.ResourceProvider = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("resource_type")) { row.ResourceType = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("resource_name")) { row.ResourceName = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("location")) { row.Location = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("vm_size")) { row.VmSize = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("record_id")) { row.RecordId = UsageRows.ReadString(ref reader); }
                else if (reader.ValueTextEquals("reported_start")) { row.ReportedStartTime = UsageRows.ReadUtcTime(ref reader, "reported_start"); }
                else if (reader.ValueTextEquals("reported_end")) { row.ReportedEndTime = UsageRows.ReadUtcTime(ref reader, "reported_end"); }
                else if (reader.ValueTextEquals("cursor_id"))
                {
                    UsageRows.Next(ref reader);
                    row.CursorId = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : 0;
                }
                else if (reader.ValueTextEquals("tags"))
                {
                    UsageRows.Next(ref reader);
                    if (UsageRows.ReadValue(ref reader) is JsonHashtable tags) { row.Tags = tags; }
                }
                else if (reader.ValueTextEquals("additional_info")) { UsageRows.Next(ref reader); row.AdditionalInfo = UsageRows.ReadValue(ref reader); }
                else { UsageRows.Skip(ref reader); }
            }
            return row;
        }
    }
}
