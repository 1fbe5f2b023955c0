import Plot

/// A length as the markup writes it: a computed coordinate with two decimals (small, stable markup), a whole
/// number as it is.
protocol SVGLength: Sendable { var markup: String { get } }
extension Double: SVGLength { var markup: String { Markup.number(self) } }
extension Int: SVGLength { var markup: String { String(self) } }

/// The inline SVG the charts draw, as Plot nodes. Every attribute value is escaped here, once (Plot writes
/// attribute values as given and escapes text itself).
public enum SVG {
    /// A chart's `<svg>`: a labelled image of the given size, with its title first.
    static func chart(width: Double, height: Double, label: String, _ children: [Node<SVG>]) -> Node<HTML.BodyContext> {
        .element(named: "svg", nodes: frame(width: width, height: height, label: label) + [title(label)] + children)
    }

    /// The chart that stands in when there is nothing to draw.
    static func empty(width: Double, label: String, message: String) -> Node<HTML.BodyContext> {
        .element(named: "svg", nodes: frame(width: width, height: 60, label: label) + [text(message, x: 8, y: 34)])
    }

    static func frame(width: Double, height: Double, label: String) -> [Node<SVG>] {
        [attribute("class", "chart"), attribute("viewBox", "0 0 \(Int(width)) \(Int(height))"), attribute("role", "img"), attribute("aria-label", label)]
    }

    static func title(_ text: String) -> Node<SVG> { .element(named: "title", text: text) }

    static func line(x1: any SVGLength, x2: any SVGLength, y1: any SVGLength, y2: any SVGLength, stroke: String, strokeWidth: String? = nil,
                     title: String? = nil) -> Node<SVG> {
        shape("line", [("x1", x1.markup), ("x2", x2.markup), ("y1", y1.markup), ("y2", y2.markup), ("stroke", stroke), ("stroke-width", strokeWidth)], title: title)
    }

    static func rect(x: any SVGLength, y: any SVGLength, width: any SVGLength, height: any SVGLength, fill: String, stroke: String? = nil,
                     title: String? = nil) -> Node<SVG> {
        shape("rect", [("x", x.markup), ("y", y.markup), ("width", width.markup), ("height", height.markup), ("fill", fill), ("stroke", stroke)], title: title)
    }

    static func polyline(_ points: [(x: Double, y: Double)], stroke: String, strokeWidth: String, title: String? = nil) -> Node<SVG> {
        shape("polyline", [("fill", "none"), ("stroke", stroke), ("stroke-width", strokeWidth),
                           ("points", points.map { "\($0.x.markup),\($0.y.markup)" }.joined(separator: " "))], title: title)
    }

    static func circle(cx: any SVGLength, cy: any SVGLength, r: any SVGLength, fill: String) -> Node<SVG> {
        shape("circle", [("cx", cx.markup), ("cy", cy.markup), ("r", r.markup), ("fill", fill)], title: nil)
    }

    static func text(_ content: String, x: any SVGLength, y: any SVGLength, anchor: String? = nil, baseline: String? = nil) -> Node<SVG> {
        .element(named: "text", nodes: [attribute("x", x.markup), attribute("y", y.markup), attribute("text-anchor", anchor),
                                        attribute("dominant-baseline", baseline), .text(content)])
    }

    /// A shape, closed by itself or around its tooltip title; attributes without a value are left out.
    static func shape(_ name: String, _ attributes: [(name: String, value: String?)], title: String?) -> Node<SVG> {
        guard let title else {
            return .selfClosedElement(named: name, attributes: attributes.compactMap { entry in
                entry.value.map { Attribute<SVG>(name: entry.name, value: Markup.escape($0)) }
            })
        }
        return .element(named: name, nodes: attributes.map { attribute($0.name, $0.value) } + [Self.title(title)])
    }

    static func attribute(_ name: String, _ value: String?) -> Node<SVG> {
        value.map { .attribute(named: name, value: Markup.escape($0)) } ?? .empty
    }
}
