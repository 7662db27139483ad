//! Stories, guide steps and phase notes are Markdown; this renders them to HTML with
//! pulldown-cmark, safely: raw HTML in the text (block or inline) is turned into text, so a
//! `<script>` in a story shows as `<script>`, and link targets are kept only for `http`,
//! `https`, `mailto` and in-page `#` addresses (a `javascript:` link becomes plain text).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// `markdown` as HTML, with no raw HTML and no script links passed through.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_link = Vec::new();
    let events = Parser::new_ext(markdown.trim(), options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { dest_url, .. }) if !safe_url(&dest_url) => {
            unsafe_link.push(true);
            None
        }
        Event::Start(Tag::Link { .. }) => {
            unsafe_link.push(false);
            Some(event)
        }
        Event::End(TagEnd::Link) => (!unsafe_link.pop().unwrap_or(false)).then_some(event),
        Event::Start(Tag::Image { dest_url, .. }) => {
            Some(Event::Text(CowStr::from(format!("[image: {dest_url}]"))))
        }
        Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// Link targets that cannot run script or load anything by themselves.
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:", "#"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html() {
        let html = render("A **bold** claim with `proxy_pass`.\n\n- one\n- two");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<code>proxy_pass</code>"), "{html}");
        assert!(html.contains("<ul>\n<li>one</li>"), "{html}");
    }

    #[test]
    fn raw_html_in_a_story_is_escaped_not_passed_through() {
        let html = render(
            "Inline <script>alert(1)</script> here.\n\n<script>alert(2)</script>\n\n\
             <img src=x onerror=alert(3)>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn script_links_and_images_lose_their_targets() {
        let html =
            render("[click](javascript:alert(1)) and [docs](https://nginx.org/) ![x](y.png)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("click"), "{html}");
        assert!(
            html.contains("<a href=\"https://nginx.org/\">docs</a>"),
            "{html}"
        );
        assert!(!html.contains("<img"), "{html}");
    }
}
