//! Tokenizer and grammar cases, each checked against nginx 1.22.1 (`nginx -t`) by hand when
//! written; the corpus under `tests/fixtures/nginx/tricky/` keeps the valid ones checked.

use super::*;

fn p(s: &str) -> Result<Vec<Node>, ParseError> {
    parse(s, Path::new("t.conf"))
}

/// The directives of `s` as `name [values]`, depth-first.
fn flat(s: &str) -> Vec<String> {
    fn walk(nodes: &[Node], out: &mut Vec<String>) {
        for n in nodes {
            if let Node::Directive(d) = n {
                let args: Vec<String> = d.args.iter().map(Arg::value).collect();
                out.push(format!("{} {:?}", d.name, args));
                walk(d.block.as_deref().unwrap_or_default(), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&p(s).unwrap_or_else(|e| panic!("{s}: {e}")), &mut out);
    out
}

fn err(s: &str) -> ParseError {
    p(s).expect_err(s)
}

#[test]
fn directives_blocks_quotes_and_comments() {
    let nodes = p("a 1 'x y';\n# c\nhttp { b \"q\\\"r\" ${v}z; }\n").unwrap();
    assert_eq!(nodes.len(), 3);
    let Node::Directive(a) = &nodes[0] else {
        panic!()
    };
    assert_eq!((a.name.as_str(), a.args.len()), ("a", 2));
    assert_eq!(a.arg(1).as_deref(), Some("x y"));
    assert!(matches!(&nodes[1], Node::Comment(c) if c == "# c"));
    let Node::Directive(http) = &nodes[2] else {
        panic!()
    };
    let b = http.children().next().unwrap();
    assert_eq!(b.arg(0).as_deref(), Some("q\"r"));
    assert_eq!(b.args[1].raw, "${v}z");
    assert_eq!((b.at.line, b.at.col), (3, 8));
}

#[test]
fn a_closing_quote_may_be_followed_by_a_parenthesis() {
    assert_eq!(
        flat("if ($request_method = 'OPTIONS') { return 204; }"),
        [
            "if [\"($request_method\", \"=\", \"OPTIONS\", \")\"]",
            "return [\"204\"]"
        ]
    );
    // `)` starts a word of its own, which then runs on to whitespace, `;` or `{`.
    assert_eq!(
        flat("if ($a = \"x\")){}"),
        ["if [\"($a\", \"=\", \"x\", \"))\"]"]
    );
    assert_eq!(flat("a \"x\";b 'y'{}"), ["a [\"x\"]", "b [\"y\"]"]);
}

#[test]
fn after_a_closing_quote_anything_else_is_unexpected() {
    for (src, what, col) in [
        ("a \"x\"y;", "y", 6),
        ("a 'x'\"y\";", "\"", 6),
        ("a \"x\"#c\n;", "#", 6),
        ("s { a \"x\"}", "}", 10),
    ] {
        let e = err(src);
        assert_eq!(e.message, format!("unexpected \"{what}\""), "{src}");
        assert_eq!((e.line, e.col), (1, col), "{src}");
    }
}

#[test]
fn plain_words_keep_braces_quotes_and_hashes_inside() {
    assert_eq!(flat("return 200 x}y;"), ["return [\"200\", \"x}y\"]"]);
    assert_eq!(flat("a b\"c\"d e'f;"), ["a [\"b\\\"c\\\"d\", \"e'f\"]"]);
    assert_eq!(flat("a b#c;"), ["a [\"b#c\"]"]);
    // `{` ends a word unless it follows `$`; the variable's `}` is an ordinary character.
    assert_eq!(flat("set $a ${b}c;"), ["set [\"$a\", \"${b}c\"]"]);
    assert_eq!(flat("a ${x}{ b; }"), ["a [\"${x}\"]", "b []"]);
    assert_eq!(flat("location /x{}"), ["location [\"/x\"]"]);
    // A variable's braces do not swallow whitespace: `${b c}` is two words.
    assert_eq!(flat("a ${b c};"), ["a [\"${b\", \"c}\"]"]);
}

#[test]
fn backslashes_escape_in_and_out_of_quotes() {
    // `\;` keeps its backslash: nginx unescapes only quotes, backslash, t, r and n.
    assert_eq!(flat("a \\\"x \\;;"), ["a [\"\\\"x\", \"\\\\;\"]"]);
    assert_eq!(flat("a x\\ y;"), ["a [\"x\\\\ y\"]"]);
    assert_eq!(
        flat("a \"t\\tn\\nq\\\\\" '\\d';"),
        ["a [\"t\\tn\\nq\\\\\", \"\\\\d\"]"]
    );
    // A backslash hides a quote from the quote's end, and `$` from starting a variable.
    assert_eq!(flat("a 'it\\'s';"), ["a [\"it's\"]"]);
    assert_eq!(flat("a \\${ b; }"), ["a [\"\\\\$\"]", "b []"]);
}

#[test]
fn comments_start_words_only() {
    assert_eq!(flat("a # c ; d\n 1;"), ["a [\"1\"]"]);
    let nodes = p("a 1;   # trailing   \n").unwrap();
    assert!(matches!(&nodes[1], Node::Comment(c) if c == "# trailing"));
    assert_eq!(flat("# only\n# comments"), Vec::<String>::new());
}

#[test]
fn empty_and_multi_line_quoted_arguments() {
    assert_eq!(flat("a \"\" '';"), ["a [\"\", \"\"]"]);
    let nodes = p("a \"x\ny\";\nb;").unwrap();
    let Node::Directive(b) = &nodes[1] else {
        panic!()
    };
    assert_eq!(b.at.line, 3);
    assert_eq!(flat("a \"x\ny\";"), ["a [\"x\\ny\"]"]);
}

#[test]
fn whitespace_is_only_space_tab_cr_and_lf() {
    assert_eq!(flat("a\r\n\tb;"), ["a [\"b\"]"]);
    // A form feed or a no-break space is part of a word, as in nginx.
    assert_eq!(flat("a b\u{c}c;"), ["a [\"b\\u{c}c\"]"]);
    assert_eq!(flat("a b\u{a0}c;"), [format!("a {:?}", ["b\u{a0}c"])]);
}

#[test]
fn nesting_is_bounded() {
    let deep = "a {".repeat(10_000);
    let e = err(&deep);
    assert!(e.message.contains("nested deeper than 100"), "{e}");
    assert_eq!((e.line, e.col), (1, 3 * MAX_NESTING + 3));
    let ok = format!("{}{}", "a {".repeat(MAX_NESTING), "}".repeat(MAX_NESTING));
    assert!(p(&ok).is_ok());
}

#[test]
fn tokens_must_fit_nginx_read_buffer() {
    // Measured on nginx 1.22.1: a plain word of 4095 bytes passes and 4096 fails; a quoted
    // one of 4094 passes and 4095 fails; a comment line of 4095 bytes (with `#`) passes.
    let word = |n: usize| "a".repeat(n);
    assert!(p(&format!("a {};", word(4095))).is_ok());
    let e = err(&format!("a\n {};", word(4096)));
    assert_eq!(e.message, "too long parameter \"aaaaaaaaaa...\" started");
    assert_eq!((e.line, e.col), (2, 2));
    assert!(p(&format!("a \"{}\";", word(4094))).is_ok());
    assert!(
        err(&format!("a \"{}\";", word(4095)))
            .message
            .contains("started")
    );
    let e = err(&format!("a \"{}", word(5000)));
    assert!(
        e.message.contains("probably missing terminating \"\"\""),
        "{e}"
    );
    assert!(p(&format!("#{}\na;", word(4094))).is_ok());
    assert!(
        err(&format!("#{}\na;", word(4095)))
            .message
            .contains("too long")
    );
    // Bytes, not characters.
    assert!(p(&format!("a {};", "é".repeat(2048))).is_err());
}

#[test]
fn unbalanced_input_uses_nginx_words_and_points_at_the_fix() {
    let e = err("http {\n  listen 80\n}\n");
    assert_eq!(e.message, "unexpected \"}\"");
    assert_eq!((e.line, e.col), (3, 1));
    assert!(
        e.hint.contains("\"listen\" at line 2, column 3"),
        "{}",
        e.hint
    );
    let e = err("events {}\nhttp {\n  server {\n  a;\n");
    assert!(
        e.message
            .starts_with("unexpected end of file, expecting \"}\""),
        "{e}"
    );
    assert!(e.message.contains("\"server\" block"), "{e}");
    assert_eq!((e.line, e.col), (3, 10));
    let e = err("a;\n}\n");
    assert_eq!(
        (e.line, e.col, e.message.as_str()),
        (2, 1, "unexpected \"}\"")
    );
    let e = err("a\n");
    assert!(e.message.contains("expecting \";\" or \"}\""), "{e}");
    assert_eq!((e.line, e.col), (1, 1));
    let e = err("x {\n  a \"open;\n}\n");
    assert!(e.message.contains("unterminated"), "{e}");
    assert_eq!((e.line, e.col), (2, 5));
    assert_eq!(err("  ;").message, "unexpected \";\"");
    assert_eq!(err("a; {").message, "unexpected \"{\"");
}
