import Plot

/// A page that only says something (a section not open to this role yet, a missing record), inside the chrome.
public enum NoticePage {
    public static func render(viewer: Viewer, title: String, message: String) -> String {
        PageLayout.document(title: title, section: nil, viewer: viewer, content: .group(
            .h1(.text(title)),
            .p(.class("notice"), .text(message))
        ))
    }
}
