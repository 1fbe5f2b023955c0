import Crypto
import Foundation

/// SHA-256 digests as lower-case hex: artifact checksums, content hashes, token hashes, lineage and trial keys.
enum Digest {
    static func sha256(_ data: Data) -> String { hex(SHA256.hash(data: data)) }

    static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }

    /// Lower-case hex of any digest's bytes (a hasher's `finalize()` too).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
