using System;

namespace AzsBilling.Native
{
    /// <summary>
    /// A failure the native library reported: its status, message, and the service's answer (HTTP status,
    /// error code, request and correlation ids) when there was one. The library never puts secrets in messages.
    /// </summary>
    public sealed class AzsBillingException : Exception
    {
        public AzsBillingException(
            AzsbStatus status,
            string statusName,
            string message,
            int httpStatus,
            string? code,
            string? requestId,
            string? correlationId)
            : base(message)
        {
            Status = status;
            StatusName = statusName;
            HttpStatus = httpStatus;
            Code = code;
            RequestId = requestId;
            CorrelationId = correlationId;
        }

        /// <summary>The library's status (Service, Authentication, Transport, ...).</summary>
        public AzsbStatus Status { get; }

        /// <summary>The status as the C header names it ("AZSB_STATUS_SERVICE").</summary>
        public string StatusName { get; }

        /// <summary>The HTTP status of the service's answer, or 0 when nothing was answered.</summary>
        public int HttpStatus { get; }

        /// <summary>The service's error code ("InvalidProperty", "invalid_client"), or null.</summary>
        public string? Code { get; }

        /// <summary>x-ms-request-id of the failed request, or null.</summary>
        public string? RequestId { get; }

        /// <summary>x-ms-correlation-request-id of the failed request, or null.</summary>
        public string? CorrelationId { get; }
    }
}
