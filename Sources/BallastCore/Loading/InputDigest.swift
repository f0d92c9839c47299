import Crypto
import Dispatch

/// A SHA-256 tree digest of input bytes: 1 MiB blocks hashed on every core, then the block
/// digests hashed in order. The block size is fixed, so the digest is the same on any machine.
public enum InputDigest {
    public static let blockSize = 1 << 20

    public static func digest(_ bytes: [UInt8]) -> String {
        let blocks = max(1, (bytes.count + blockSize - 1) / blockSize)
        if blocks == 1 { return SpecDigest.hex(SHA256.hash(data: bytes)) }
        let results = UnsafeMutableBufferPointer<SHA256.Digest?>.allocate(capacity: blocks)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        nonisolated(unsafe) let slots = results
        bytes.withUnsafeBytes { buffer in
            nonisolated(unsafe) let input = buffer
            DispatchQueue.concurrentPerform(iterations: blocks) { block in
                let start = block * blockSize
                let end = min(start + blockSize, input.count)
                slots[block] = SHA256.hash(data: UnsafeRawBufferPointer(rebasing: input[start..<end]))
            }
        }
        var combined = SHA256()
        for digest in results { digest.map { combined.update(data: Array($0)) } }
        return SpecDigest.hex(combined.finalize())
    }
}
