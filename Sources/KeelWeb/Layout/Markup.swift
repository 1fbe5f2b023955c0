/// Escaping for markup Plot writes raw: attribute values (Plot escapes text nodes but writes `name="value"` as
/// given). Every value that is not a literal goes through `escape`, so no data can close an attribute or open a
/// tag. The one HTML escaper of the code base (the Schwab sandbox's consent page uses it too).
public enum Markup {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A coordinate with two decimals (keeps the markup small and stable for snapshots).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return String(format: "%.2f", value)
    }
}
