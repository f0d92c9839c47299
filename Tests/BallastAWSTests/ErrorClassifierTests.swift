import BallastAWS
import BallastProviders
import Testing

@Suite struct ErrorClassifierTests {
    func classify(_ status: Int, _ body: String, headers: [(String, String)] = []) -> ProviderError {
        AWSErrorClassifier.classify(status: status, headers: headers, body: Array(body.utf8), operation: "DynamoDB CreateTable")
    }

    @Test func throttlingAndServerErrorsAreRetryable() {
        let throttled = classify(400, #"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}"#)
        #expect(throttled.code == .throttled && throttled.isRetryable)
        #expect(throttled.message == "DynamoDB CreateTable failed: ThrottlingException: Rate exceeded (HTTP 400)")
        let slowDown = classify(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
        #expect(slowDown.code == .throttled && slowDown.message.contains("SlowDown: Please reduce your request rate."))
        #expect(classify(400, "<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>").code == .throttled)
        #expect(classify(500, "oops").code == .unavailable)
        #expect(classify(429, "").isRetryable)
    }

    @Test func validationAndPermissionErrorsAreTerminal() {
        let invalid = classify(400, #"{"__type":"com.amazon.coral.validate#ValidationException","message":"1 validation error"}"#)
        #expect(invalid.code == .invalid && !invalid.isRetryable && invalid.message.contains("ValidationException: 1 validation error"))
        let denied = classify(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
        #expect(denied.code == .forbidden && !denied.isRetryable)
        let sqs = classify(400, #"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"}"#, headers: [("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender")])
        #expect(sqs.code == .notFound)
        #expect(classify(409, "<Error><Code>BucketNotEmpty</Code></Error>").code == .invalid)
    }
}
