// The Hashtable type of a usage row's Tags, Tag and AdditionalInfo. Export-Csv and ConvertTo-Csv write a
// property as its value's ToString(), which for a plain Hashtable is "System.Collections.Hashtable": this
// subclass gives compact JSON there instead, while it stays a case-insensitive Hashtable for scripts
// ($row.Tags['env'], -is [hashtable], ConvertTo-Json, Export-Clixml all behave as before).

using System;
using System.Buffers;
using System.Collections;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AzsBilling
{
    /// <summary>A case-insensitive Hashtable whose ToString() is compact JSON, keys in ordinal order.</summary>
    public sealed class JsonHashtable : Hashtable
    {
        // Relaxed escaping keeps tag values readable in a CSV cell; the text is never embedded in HTML.
        private static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

        public JsonHashtable() : base(StringComparer.OrdinalIgnoreCase) { }

        /// <summary>The table as compact JSON, e.g. {"env":"prod","owner":"ops"}; {} when empty.</summary>
        public override string ToString()
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                Write(writer, this);
            }
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        private static void Write(Utf8JsonWriter writer, object? value)
        {
            switch (value)
            {
                case null:
                    writer.WriteNullValue();
                    break;
                case string text:
                    writer.WriteStringValue(text);
                    break;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    break;
                case int small:
                    writer.WriteNumberValue(small);
                    break;
                case long large:
                    writer.WriteNumberValue(large);
                    break;
                case double number when double.IsFinite(number):
                    writer.WriteNumberValue(number);
                    break;
                case IDictionary table:
                    writer.WriteStartObject();
                    // Sorted, so the same tags give the same cell whatever order the hash table holds them in.
                    foreach (DictionaryEntry entry in table.Cast<DictionaryEntry>()
                                 .OrderBy(e => Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal))
                    {
                        writer.WritePropertyName(Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                        Write(writer, entry.Value);
                    }
                    writer.WriteEndObject();
                    break;
                case IEnumerable items:
                    writer.WriteStartArray();
                    foreach (object? item in items)
                    {
                        Write(writer, item);
                    }
                    writer.WriteEndArray();
                    break;
                default:
                    writer.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
    }
}
