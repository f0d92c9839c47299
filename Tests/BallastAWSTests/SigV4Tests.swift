import BallastAWS
import Foundation
import Testing

/// AWS's published Signature Version 4 test-suite cases (credentials AKIDEXAMPLE, service
/// "service", us-east-1, 2015-08-30T12:36:00Z), and the S3 GET Object example from the S3 API
/// reference. Each checks the canonical request, the string to sign and the signature.
@Suite struct SigV4Tests {
    let suiteCredentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    var signer: SigV4Signer { SigV4Signer(credentials: suiteCredentials, region: "us-east-1", service: "service") }

    @Test func getVanilla() {
        let signed = signer.sign(.init(method: "GET", host: "example.amazonaws.com", path: "/"), at: suiteDate)
        #expect(signed.canonicalRequest == """
        GET
        /

        host:example.amazonaws.com
        x-amz-date:20150830T123600Z

        host;x-amz-date
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
        """)
        #expect(signed.stringToSign == """
        AWS4-HMAC-SHA256
        20150830T123600Z
        20150830/us-east-1/service/aws4_request
        bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
        """)
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func getVanillaQueryOrderKeyCase() {
        let signed = signer.sign(.init(method: "GET", host: "example.amazonaws.com", path: "/", query: [("Param2", "value2"), ("Param1", "value1")]), at: suiteDate)
        #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2] == "Param1=value1&Param2=value2")
        #expect(signed.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func postVanilla() {
        let signed = signer.sign(.init(method: "POST", host: "example.amazonaws.com", path: "/"), at: suiteDate)
        #expect(signed.signature == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    /// Outside S3 the path is encoded once for the wire and again in the canonical request.
    /// (The suite's get-utf8 case signs the raw request line `GET /ሴ`, so it encodes once;
    /// these values are botocore's for the same request sent as `/%E1%88%B4`.)
    @Test func nonS3PathsAreEncodedTwice() {
        let signed = signer.sign(.init(method: "GET", host: "example.amazonaws.com", path: "/ሴ"), at: suiteDate)
        #expect(signed.canonicalRequest.split(separator: "\n")[1] == "/%25E1%2588%25B4")
        #expect(signed.signature == "697b34846207a3f72246f99d74ae1ee4fe54f44bb06730c58a0d339eb079596d")
        let s3 = SigV4Signer(credentials: suiteCredentials, region: "us-east-1", service: "s3").sign(.init(method: "GET", host: "example.amazonaws.com", path: "/ሴ"), at: suiteDate)
        #expect(s3.canonicalRequest.split(separator: "\n")[1] == "/%E1%88%B4")
    }

    /// The S3 API reference's worked example: GET /test.txt with a Range header.
    @Test func s3GetObjectExample() {
        let credentials = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let s3 = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
        let signed = s3.sign(.init(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", headers: [("Range", "bytes=0-9")]), at: date)
        #expect(signed.stringToSign.hasSuffix("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"))
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func aSessionTokenIsSigned() {
        var credentials = suiteCredentials
        credentials.sessionToken = "token"
        let signed = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service").sign(.init(method: "GET", host: "example.amazonaws.com", path: "/"), at: suiteDate)
        #expect(signed.authorization.contains("SignedHeaders=host;x-amz-date;x-amz-security-token"))
        #expect(signed.headers.contains { $0.0 == "x-amz-security-token" && $0.1 == "token" })
    }

    @Test func uriEncodingKeepsOnlyUnreserved() {
        #expect(SigV4Signer.uriEncode("a b/c~d-e_f.g*h") == "a%20b%2Fc~d-e_f.g%2Ah")
    }
}
