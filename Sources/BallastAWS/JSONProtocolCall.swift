import BallastCore
import BallastProviders

/// One call of an AWS JSON 1.0 protocol service (SQS, DynamoDB): `POST /` with
/// `X-Amz-Target: PREFIX.Operation` and a JSON body.
struct JSONProtocolCall: Sendable {
    let client: AWSClient
    let signer: SigV4Signer
    let endpoint: AWSEndpoint
    let targetPrefix: String
    let serviceName: String

    func callAsFunction(_ operation: String, _ body: Value) async throws(ProviderError) -> Fields {
        let request = SigV4Signer.Request(
            method: "POST", host: endpoint.authority, path: "/",
            headers: [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "\(targetPrefix).\(operation)")],
            body: Array(JSONText.string(body).utf8))
        let response = try await client.send(request, signer: signer, endpoint: endpoint, operation: "\(serviceName) \(operation)")
        guard !response.body.isEmpty else { return Fields() }
        guard case .map(let fields) = try? JSONValueParser.parse(response.body) else {
            throw ProviderError(.failed, "\(serviceName) \(operation): the answer is not a JSON object")
        }
        return fields
    }
}
