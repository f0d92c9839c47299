import BallastAWS
import BallastProviders
import BallastTesting
import Foundation
import Testing

@Suite struct CredentialChainTests {
    let home = TemporaryDirectory(prefix: "ballast-aws-home")

    init() {
        home.write(".aws/credentials", """
        # comment
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = secret-default

        [ci]
        aws_access_key_id=AKIACI
        aws_secret_access_key=secret-ci
        aws_session_token=session-ci
        """)
        home.write(".aws/config", """
        [profile sso-ish]
        region = eu-west-1
        aws_access_key_id = AKIACONFIG
        aws_secret_access_key = secret-config
        """)
    }

    @Test func environmentVariablesComeFirst() throws {
        let chain = AWSCredentialChain(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "secret-env", "AWS_SESSION_TOKEN": "t"], homeDirectory: home.path)
        let found = try chain.resolve()
        #expect(found.accessKeyId == "AKIAENV" && found.sessionToken == "t" && found.source == "the environment")
    }

    @Test func sharedFilesByProfile() throws {
        #expect(try AWSCredentialChain(environment: [:], homeDirectory: home.path).resolve().accessKeyId == "AKIADEFAULT")
        let ci = try AWSCredentialChain(environment: ["AWS_PROFILE": "ci"], homeDirectory: home.path).resolve()
        #expect(ci.accessKeyId == "AKIACI" && ci.sessionToken == "session-ci")
        // A site's profile wins over the environment's keys.
        let site = try AWSCredentialChain(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "x"], homeDirectory: home.path).resolve(profile: "sso-ish")
        #expect(site.accessKeyId == "AKIACONFIG")
    }

    @Test func missingCredentialsAreATerminalErrorWithoutSecrets() {
        do {
            _ = try AWSCredentialChain(environment: ["AWS_PROFILE": "nope"], homeDirectory: home.path).resolve()
            Issue.record("resolved a missing profile")
        } catch {
            #expect(error.code == .forbidden && !error.isRetryable)
            #expect(error.message.contains("profile 'nope'"))
        }
    }

    @Test func descriptionsNeverShowTheSecret() {
        let credentials = AWSCredentials(accessKeyId: "AKIAEXAMPLE", secretAccessKey: "very-secret", sessionToken: "tok", source: "test")
        for text in [credentials.description, "\(credentials)", String(reflecting: credentials)] {
            #expect(!text.contains("very-secret") && !text.contains("tok") && !text.contains("AKIAEXAMPLE"))
        }
    }
}
