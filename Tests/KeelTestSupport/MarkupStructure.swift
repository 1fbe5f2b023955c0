/// The tag structure of an HTML document: each start tag with its attribute names, in order. Data placed in a page
/// (a client's name, a typed value) must never change it: a page rendered with hostile text has the same structure
/// as the same page rendered with plain text, head included.
public enum MarkupStructure {
    public static func tags(of html: String) -> [String] {
        var tags: [String] = []
        let bytes = Array(html.utf8)
        var i = 0
        func isNameByte(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 45 || b == 58 || b == 95 }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<"), i + 1 < bytes.count, isNameByte(bytes[i + 1]) || bytes[i + 1] == UInt8(ascii: "/") else { i += 1; continue }
            i += 1
            var name = [UInt8]()
            if bytes[i] == UInt8(ascii: "/") { name.append(bytes[i]); i += 1 }
            while i < bytes.count, isNameByte(bytes[i]) { name.append(bytes[i]); i += 1 }
            var attributes: [String] = []
            // Attributes up to the closing `>`, skipping quoted values.
            while i < bytes.count, bytes[i] != UInt8(ascii: ">") {
                if isNameByte(bytes[i]) {
                    var attribute = [UInt8]()
                    while i < bytes.count, isNameByte(bytes[i]) { attribute.append(bytes[i]); i += 1 }
                    attributes.append(String(decoding: attribute, as: UTF8.self).lowercased())
                } else if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                    let quote = bytes[i]
                    i += 1
                    while i < bytes.count, bytes[i] != quote { i += 1 }
                    i += 1
                } else {
                    i += 1
                }
            }
            tags.append(String(decoding: name, as: UTF8.self).lowercased() + (attributes.isEmpty ? "" : "[" + attributes.joined(separator: ",") + "]"))
            i += 1
        }
        return tags
    }

    /// The head's tags alone.
    public static func headTags(of html: String) -> [String] {
        let all = tags(of: html)
        guard let start = all.firstIndex(where: { $0 == "head" || $0.hasPrefix("head[") }), let end = all.firstIndex(of: "/head") else { return all }
        return Array(all[start...end])
    }
}
