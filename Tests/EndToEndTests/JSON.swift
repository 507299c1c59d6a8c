import Foundation

/// JSON the built binary wrote (its `--json` output, a report file, an audit row's detail),
/// read for expectations.
enum JSON {
    /// The object `text` holds (it must hold one).
    static func object(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }
}
