// The object the usage cmdlets emit. A .NET class rather than a PSCustomObject: PowerShell builds a 21-property
// PSCustomObject in ~15 µs, more than the library spends fetching and parsing the row, while this is one
// allocation (Azs.Commerce.Admin's cmdlet emits a .NET model class too, so scripts see the same kind of object).

using System;
using System.Collections;

namespace AzsBilling
{
    /// <summary>
    /// One usage aggregate: the properties of Azs.Commerce.Admin's UsageAggregate (Id, Name, Type, Location,
    /// Tag, SubscriptionId, UsageStartTime, UsageEndTime, InstanceData, Quantity, MeterId) in that order, then
    /// what the library parsed from InstanceData and found in the meter catalogue.
    /// </summary>
    public sealed class UsageAggregate
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Type { get; set; } = "";
        public string? Location { get; set; }
        /// <summary>The resource's tags, or null when it has none (as Azs.Commerce.Admin shows them).</summary>
        public Hashtable? Tag { get; set; }
        public string SubscriptionId { get; set; } = "";
        /// <summary>Kind Utc.</summary>
        public DateTime UsageStartTime { get; set; }
        /// <summary>Kind Utc.</summary>
        public DateTime UsageEndTime { get; set; }
        /// <summary>The instanceData JSON string as the service sent it.</summary>
        public string InstanceData { get; set; } = "";
        public double Quantity { get; set; }
        /// <summary>As the service sent it.</summary>
        public string MeterId { get; set; } = "";
        public string? MeterName { get; set; }
        public string? Unit { get; set; }
        public string? MeterCategory { get; set; }
        public string? ResourceUri { get; set; }
        public string? ResourceGroup { get; set; }
        public string? ResourceType { get; set; }
        public string? ResourceName { get; set; }
        /// <summary>The resource's tags (case-insensitive names); empty when it has none. A JsonHashtable,
        /// so Export-Csv writes it as compact JSON.</summary>
        public Hashtable Tags { get; set; } = new JsonHashtable();
        /// <summary>additionalInfo decoded: Hashtable for an object, else the plain value.</summary>
        public object? AdditionalInfo { get; set; }
        public string? VmSize { get; set; }
    }
}
