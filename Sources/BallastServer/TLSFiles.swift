import NIOSSL

/// The hub's TLS certificate and key, as PEM files (`--tls-cert`, `--tls-key`).
public enum TLSFiles {
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A server configuration serving the certificate chain in `certificate` with the private
    /// key in `key`.
    public static func serverConfiguration(certificate: String, key: String) throws(Unreadable) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw Unreadable(description: "--tls-cert \(certificate) holds no PEM certificate that can be read: \(error)")
        }
        guard !chain.isEmpty else { throw Unreadable(description: "--tls-cert \(certificate) holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw Unreadable(description: "--tls-key \(key) holds no PEM private key that can be read: \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }
}
