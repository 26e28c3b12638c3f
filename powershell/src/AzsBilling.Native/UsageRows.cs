// Turns a page of usage records, as the library returns it (UTF-8 JSON in library-owned memory), into the
// AzsBilling.UsageAggregate objects the usage cmdlets emit. This runs once per row on pages of 1,000 rows, so
// it reads the native bytes in place with System.Text.Json instead of building a .NET string and going
// through ConvertFrom-Json and a script loop (which together cost several times the HTTP and parsing work).

using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace AzsBilling.Native
{
    // Every method here is compiled fully optimised at first call (AggressiveOptimization): tiered compilation
    // left them in unoptimised code for most of a query, at three times the cost per row.
    internal static class UsageRows
    {
        /// <summary>Parses a NUL-terminated UTF-8 JSON array of records (see azsb_usage_next_page).</summary>
        internal static UsageAggregate[] FromNativePage(IntPtr page) => FromJson(NativeText(page));

        /// <summary>The bytes of a NUL-terminated string the library returned, read in place.</summary>
        internal static unsafe ReadOnlySpan<byte> NativeText(IntPtr text)
        {
            // SAFETY: `text` is a NUL-terminated string the library returned and the caller frees only after
            // it is done with the span, so the span covers live, unchanging memory for the whole parse.
            return MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)text);
        }

        /// <summary>
        /// Reads the page with a forward-only Utf8JsonReader: building a JsonDocument of a 1.4 MB page cost as
        /// much as fetching it. Unknown members are skipped, so the library can add fields.
        /// </summary>
        internal static UsageAggregate[] FromJson(ReadOnlySpan<byte> utf8) => ReadArray(utf8, "a usage page", ReadRecord);

        /// <summary>Reads one item of an array at the current token.</summary>
        internal delegate T ItemReader<T>(ref Utf8JsonReader reader);

        /// <summary>A JSON array the library returned, each item read by <paramref name="item"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static T[] ReadArray<T>(ReadOnlySpan<byte> utf8, string what, ItemReader<T> item)
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            try
            {
                Expect(ref reader, JsonTokenType.StartArray, what);
                var items = new List<T>(1000);
                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    items.Add(item(ref reader));
                }
                return items.ToArray();
            }
            catch (JsonException e)
            {
                throw new InvalidOperationException($"The azs_billing library returned {what} that is not valid JSON: {e.Message}", e);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static UsageAggregate ReadRecord(ref Utf8JsonReader reader)
        {
            Current(ref reader, JsonTokenType.StartObject, "a usage record");
            var row = new UsageAggregate();
            bool haveStart = false, haveEnd = false;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id")) { row.Id = ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("name")) { row.Name = ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("type")) { row.Type = ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("subscription_id")) { row.SubscriptionId = ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("usage_start")) { row.UsageStartTime = ReadUtcTime(ref reader, "usage_start"); haveStart = true; }
                else if (reader.ValueTextEquals("usage_end")) { row.UsageEndTime = ReadUtcTime(ref reader, "usage_end"); haveEnd = true; }
                else if (reader.ValueTextEquals("meter_id")) { row.MeterId = ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("quantity")) { row.Quantity = ReadDouble(ref reader); }
                else if (reader.ValueTextEquals("instance_data_raw")) { row.InstanceData = ReadString(ref reader) ?? ""; }
                else if (reader.ValueTextEquals("meter_name")) { row.MeterName = ReadString(ref reader); }
                else if (reader.ValueTextEquals("unit")) { row.Unit = ReadString(ref reader); }
                else if (reader.ValueTextEquals("meter_category")) { row.MeterCategory = ReadString(ref reader); }
                else if (reader.ValueTextEquals("instance")) { ReadInstance(ref reader, row); }
                else { Skip(ref reader); }
            }
            if (!haveStart || !haveEnd)
            {
                throw new InvalidOperationException("The azs_billing library returned a usage record without usage_start or usage_end.");
            }
            return row;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void ReadInstance(ref Utf8JsonReader reader, UsageAggregate row)
        {
            if (!NextObjectOrNull(ref reader, "a record's instance"))
            {
                return;
            }
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resource_uri")) { row.ResourceUri = ReadString(ref reader); }
                else if (reader.ValueTextEquals("location")) { row.Location = ReadString(ref reader); }
                else if (reader.ValueTextEquals("vm_size")) { row.VmSize = ReadString(ref reader); }
                else if (reader.ValueTextEquals("additional_info")) { Next(ref reader); row.AdditionalInfo = ReadValue(ref reader); }
                else if (reader.ValueTextEquals("tags"))
                {
                    Next(ref reader);
                    if (ReadValue(ref reader) is JsonHashtable tags)
                    {
                        row.Tags = tags;
                        row.Tag = tags.Count > 0 ? tags : null;
                    }
                }
                else if (reader.ValueTextEquals("resource")) { ReadResource(ref reader, row); }
                else { Skip(ref reader); }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void ReadResource(ref Utf8JsonReader reader, UsageAggregate row)
        {
            if (!NextObjectOrNull(ref reader, "a record's resource"))
            {
                return;
            }
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resource_group")) { row.ResourceGroup = ReadString(ref reader); }
                else if (reader.ValueTextEquals("resource_type")) { row.ResourceType = ReadString(ref reader); }
                else if (reader.ValueTextEquals("resource_name")) { row.ResourceName = ReadString(ref reader); }
                else { Skip(ref reader); }
            }
        }

        /// <summary>
        /// The value at the current token as ConvertFrom-Json -AsHashtable would give it, objects as
        /// case-insensitive Hashtables (tag names and additionalInfo keys are case-insensitive, as in ARM and
        /// as @{} is in PowerShell) that print as compact JSON (what Export-Csv writes).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static object? ReadValue(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return reader.GetString();
                case JsonTokenType.Number:
                    if (reader.TryGetInt32(out int small)) { return small; }
                    if (reader.TryGetInt64(out long large)) { return large; }
                    return reader.GetDouble();
                case JsonTokenType.True:
                    return true;
                case JsonTokenType.False:
                    return false;
                case JsonTokenType.StartObject:
                    var table = new JsonHashtable();
                    while (Next(ref reader) == JsonTokenType.PropertyName)
                    {
                        string name = reader.GetString() ?? "";
                        Next(ref reader);
                        table[name] = ReadValue(ref reader);
                    }
                    return table;
                case JsonTokenType.StartArray:
                    var items = new List<object?>();
                    while (Next(ref reader) != JsonTokenType.EndArray)
                    {
                        items.Add(ReadValue(ref reader));
                    }
                    return items.ToArray();
                default:
                    return null;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static string? ReadString(ref Utf8JsonReader reader)
        {
            return Next(ref reader) == JsonTokenType.String ? reader.GetString() : SkipCurrent(ref reader);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static double ReadDouble(ref Utf8JsonReader reader)
        {
            if (Next(ref reader) == JsonTokenType.Number)
            {
                return reader.GetDouble();
            }
            SkipCurrent(ref reader);
            return 0.0;
        }

        /// <summary>The library writes RFC 3339 UTC times; the cmdlets promise DateTimes of Kind Utc.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static DateTime ReadUtcTime(ref Utf8JsonReader reader, string name)
        {
            if (Next(ref reader) == JsonTokenType.String && reader.TryGetDateTimeOffset(out DateTimeOffset time))
            {
                return time.UtcDateTime;
            }
            throw new InvalidOperationException($"The azs_billing library returned a usage record whose {name} is not an RFC 3339 time.");
        }

        /// <summary>The library writes stored quantities as decimal strings, exact; so is the [decimal].</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static decimal ReadDecimalString(ref Utf8JsonReader reader, string name)
        {
            if (Next(ref reader) == JsonTokenType.String &&
                decimal.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out decimal value))
            {
                return value;
            }
            throw new InvalidOperationException($"The azs_billing library returned a stored row whose {name} is not a decimal string.");
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static JsonTokenType Next(ref Utf8JsonReader reader)
        {
            if (!reader.Read())
            {
                throw new InvalidOperationException("The azs_billing library returned a usage page that ends early.");
            }
            return reader.TokenType;
        }

        /// <summary>Moves to the next value: true at the start of an object, false for null.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static bool NextObjectOrNull(ref Utf8JsonReader reader, string what)
        {
            if (Next(ref reader) == JsonTokenType.Null)
            {
                return false;
            }
            Current(ref reader, JsonTokenType.StartObject, what);
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
        {
            Next(ref reader);
            Current(ref reader, type, what);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void Current(ref Utf8JsonReader reader, JsonTokenType type, string what)
        {
            if (reader.TokenType != type)
            {
                throw new InvalidOperationException($"The azs_billing library returned {what} that is a JSON {reader.TokenType}, not {type}.");
            }
        }

        /// <summary>Skips the value of the property name at the current token.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void Skip(ref Utf8JsonReader reader)
        {
            Next(ref reader);
            SkipCurrent(ref reader);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static string? SkipCurrent(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.StartObject || reader.TokenType == JsonTokenType.StartArray)
            {
                reader.Skip();
            }
            return null;
        }
    }
}
