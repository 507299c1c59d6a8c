import Crypto

/// The key that names one action on one device of one request, the same for every
/// attempt: SHA-256 over length-prefixed fields, so that no two different (request,
/// action, device) give the same key (`a/b` on `c` and `a` on `b/c` do not collide). A
/// request without a request_id is named by its batch's sha256 and its line.
enum IdempotencyKey {
    static func make(requestID: String?, batchSHA256: String, line: Int, action: Action, deviceID: String) -> String {
        let request = requestID.map { "request:" + $0 } ?? "batch:\(batchSHA256):\(line)"
        var hasher = SHA256()
        for field in [request, action.rawValue, deviceID] {
            hasher.update(data: Array("\(field.utf8.count):".utf8))
            hasher.update(data: Array(field.utf8))
        }
        return hexString(hasher.finalize())
    }
}
