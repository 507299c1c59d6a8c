import Foundation

/// The fields of one JSON object: its members matched to fields (loosely, as CSV headers
/// are), each a scalar, without a NUL character, at most `maxFieldBytes` long.
package enum JSONFields {
    /// The texts by field index, and the member name each came from.
    package static func values(of object: [String: JSONValue], map: ColumnMap, fieldCount: Int,
                       limits: InputLimits) throws(RowError) -> (texts: [String?], keys: [String?]) {
        var texts = [String?](repeating: nil, count: fieldCount)
        var keys = [String?](repeating: nil, count: fieldCount)
        for (key, value) in object {
            guard let field = map.columns[looseKey(key)] else { continue }
            if let earlier = keys[field] {
                throw RowError(fieldIndex: field, message: "\"\(key)\" repeats \"\(earlier)\"")
            }
            switch value {
            case .array, .object:
                throw RowError(fieldIndex: field, message: "\"\(key)\": expected a string, found a nested value")
            default:
                let text = value.scalarText
                if let text {
                    if text.utf8.count > limits.maxFieldBytes {
                        throw RowError(fieldIndex: field, message: "\"\(key)\": longer than \(limits.maxFieldBytes) bytes")
                    }
                    if text.utf8.contains(0) { throw RowError(fieldIndex: field, message: "\"\(key)\": a NUL character") }
                }
                texts[field] = text
                keys[field] = key
            }
        }
        return (texts, keys)
    }

    /// A JSON object, or a message saying why the bytes are not one.
    package static func object(_ bytes: some Collection<UInt8>) -> Result<[String: JSONValue], RowError> {
        // the decoder's own message would be "Expected to decode Dictionary<String, Any>"
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return .failure(RowError(fieldIndex: nil, message: "invalid UTF-8"))
        }
        do {
            return .success(try JSONDecoder().decode([String: JSONValue].self, from: Data(bytes)))
        } catch {
            return .failure(RowError(fieldIndex: nil, message: "expected a JSON object: \(describe(error))"))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        if case DecodingError.typeMismatch(_, let context) = error { return context.debugDescription }
        return "\(error)"
    }
}
