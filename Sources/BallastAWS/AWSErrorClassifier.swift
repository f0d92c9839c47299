import BallastCore
import BallastProviders
import Foundation

/// Turns an AWS error answer into a typed ``ProviderError``: throttling and 5xx are retryable,
/// validation and permission errors are terminal, and the message carries AWS's code and text.
public enum AWSErrorClassifier {
    static let throttling: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
        "LimitExceededException",
    ]
    static let forbidden: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
        "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "MissingAuthenticationToken", "IncompleteSignature",
    ]
    static let notFound: Set<String> = [
        "NoSuchBucket", "ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound",
    ]
    static let conflict: Set<String> = ["OperationAborted", "ResourceInUseException", "ConflictException", "AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"]

    /// The error code and message of an answer: the JSON `__type`/`message`, S3's XML
    /// `<Code>`/`<Message>`, or SQS's `x-amzn-query-error` header.
    public static func codeAndMessage(status: Int, headers: [(String, String)], body: [UInt8]) -> (code: String, message: String) {
        var code = ""
        var message = ""
        if let value = try? JSONValueParser.parse(body), case .map(let fields) = value {
            code = (fields["__type"] ?? fields["code"] ?? fields["Code"])?.stringValue ?? ""
            message = (fields["message"] ?? fields["Message"])?.stringValue ?? ""
        } else if let tree = XMLTree.parse(body) {
            code = tree.value("Code") ?? ""
            message = tree.value("Message") ?? ""
        }
        if let query = headers.first(where: { $0.0.lowercased() == "x-amzn-query-error" })?.1, let first = query.split(separator: ";").first {
            code = String(first)
        }
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        if code.isEmpty { code = "HTTP\(status)" }
        return (code, message)
    }

    public static func classify(status: Int, headers: [(String, String)], body: [UInt8], operation: String) -> ProviderError {
        let (code, message) = codeAndMessage(status: status, headers: headers, body: body)
        let text = "\(operation) failed: \(code)\(message.isEmpty ? "" : ": \(message)") (HTTP \(status))"
        if throttling.contains(code) || status == 429 { return ProviderError(.throttled, text) }
        if forbidden.contains(code) || status == 401 || status == 403 { return ProviderError(.forbidden, text) }
        if notFound.contains(code) { return ProviderError(.notFound, text) }
        if ["BucketNotEmpty", "BucketAlreadyExists"].contains(code) { return ProviderError(.invalid, text) }
        if conflict.contains(code) || status == 409 { return ProviderError(.conflict, text) }
        if status >= 500 { return ProviderError(.unavailable, text) }
        return ProviderError(.invalid, text)
    }
}
