import BallastCore
import Crypto
import Foundation

/// AWS Signature Version 4 (header auth), after the AWS General Reference: a canonical
/// request, a string to sign over its SHA-256, and an HMAC-SHA256 chain from the secret key
/// through date, region, service and `aws4_request`.
public struct SigV4Signer: Sendable {
    /// A request to sign. `path` is the decoded path (`/my bucket/ሴ`); it is URI-encoded here.
    public struct Request: Sendable, Hashable {
        public var method: String
        public var host: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        public var body: [UInt8]

        public init(method: String, host: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8] = []) {
            self.method = method
            self.host = host
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }

        public static func == (a: Request, b: Request) -> Bool {
            a.method == b.method && a.host == b.host && a.path == b.path && a.body == b.body
                && a.query.elementsEqual(b.query, by: ==) && a.headers.elementsEqual(b.headers, by: ==)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(method)
            hasher.combine(host)
            hasher.combine(path)
        }
    }

    /// Everything signing produced, for tests and debugging (never logged: no secrets in it,
    /// but the signature authorises the request).
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var authorization: String
        /// The headers to send: the request's, plus host, x-amz-date, the session token and
        /// (for S3) x-amz-content-sha256, plus Authorization.
        public var headers: [(String, String)]
    }

    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public func sign(_ request: Request, at date: Date) -> Signed {
        let amzDate = Self.amzDate(date)
        let day = String(amzDate.prefix(8))
        let payloadHash = SpecDigest.hex(SHA256.hash(data: request.body))
        var headers = request.headers
        headers.append(("host", request.host))
        headers.append(("x-amz-date", amzDate))
        if service == "s3" { headers.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        // Canonical headers: lowercase names, trimmed values with inner runs of spaces folded,
        // sorted by name; repeated names joined by commas.
        var byName: [String: [String]] = [:]
        for (name, value) in headers {
            let folded = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").trimmingCharacters(in: .whitespaces)
            byName[name.lowercased(), default: []].append(folded)
        }
        let names = byName.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            request.method,
            Self.canonicalPath(request.path, service: service),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, SpecDigest.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))].joined(separator: "\n")
        let key = signingKey(day: day)
        let signature = SpecDigest.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        headers.append(("Authorization", authorization))
        return Signed(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, authorization: authorization, headers: headers)
    }

    /// The derived key: HMAC chain over the day, region, service and `aws4_request`.
    public func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// `20150830T123600Z`, in UTC.
    public static func amzDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// Each segment URI-encoded; other services normalise and encode twice, S3 encodes once and
    /// keeps the path as given.
    static func canonicalPath(_ path: String, service: String) -> String {
        guard !path.isEmpty else { return "/" }
        if service == "s3" { return encodePath(path) }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        let normalised = "/" + segments.joined(separator: "/") + (path.hasSuffix("/") && !segments.isEmpty ? "/" : "")
        return encodePath(encodePath(normalised))
    }

    static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { uriEncode(String($0)) }.joined(separator: "/")
    }

    /// Sorted by encoded name, then value.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (uriEncode($0.0), uriEncode($0.1)) }
        let sorted = encoded.sorted { (a: (name: String, value: String), b: (name: String, value: String)) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX, uppercase.
    public static func uriEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.append(Character(UnicodeScalar(byte)))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static let unreserved = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))

}
