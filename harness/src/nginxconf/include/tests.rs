//! Loading from disk: includes (relative to the conf prefix, globs, dotfiles, loops, limits),
//! bad files, and snippet wrapping, on throwaway folders.

use super::*;
use crate::nginxconf::write;

/// A folder with `files` (name, content) written, and the path of `nginx.conf` in it.
fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let main = dir.path().join("nginx.conf");
    (dir, main)
}

fn loaded_text(main: &Path) -> String {
    write(&load(main).unwrap_or_else(|e| panic!("{e}")).nodes)
}

#[test]
fn includes_are_inlined_relative_to_the_prefix_with_globs() {
    let (_dir, main) = tree(&[
        ("conf.d/b.conf", "b 2;\n"),
        ("conf.d/a.conf", "a 1;\n"),
        ("one.inc", "one;\n"),
        (
            "nginx.conf",
            "http {\n include conf.d/*.conf;\n include one.inc;\n include none/*.x;\n}\n",
        ),
    ]);
    let text = loaded_text(&main);
    let a = text.find("a 1;").unwrap();
    assert!(
        a < text.find("b 2;").unwrap() && text.contains("one;"),
        "{text}"
    );
    std::fs::write(&main, "include missing.conf;\n").unwrap();
    let e = load(&main).unwrap_err();
    assert_eq!(e.position, Some((1, 1)));
    assert!(
        e.message.starts_with("open() \"") && e.message.contains("No such file"),
        "{e}"
    );
}

#[test]
fn nested_includes_resolve_against_the_main_files_folder_in_any_block() {
    // nginx resolves every relative include against the conf prefix, not the including file.
    let (_dir, main) = tree(&[
        (
            "sites/app.conf",
            "server { location / { include snippets/p.conf; } }\n",
        ),
        ("snippets/p.conf", "proxy_pass http://app;\n"),
        ("up.conf", "server 10.0.0.1;\n"),
        (
            "nginx.conf",
            "events {}\nhttp { upstream app { include up.conf; } include sites/*.conf; }\n",
        ),
    ]);
    let text = loaded_text(&main);
    assert!(text.contains("server 10.0.0.1;"), "{text}");
    assert!(text.contains("proxy_pass http://app;"), "{text}");
}

#[test]
fn globs_skip_dotfiles_unless_the_pattern_names_them() {
    let (_dir, main) = tree(&[
        ("conf.d/.disabled.conf", "disabled;\n"),
        ("conf.d/on.conf", "on;\n"),
        ("nginx.conf", "include conf.d/*.conf;\n"),
    ]);
    let text = loaded_text(&main);
    assert!(text.contains("on;") && !text.contains("disabled"), "{text}");
    std::fs::write(&main, "include conf.d/.*.conf;\n").unwrap();
    assert!(loaded_text(&main).contains("disabled;"));
}

#[test]
fn an_include_loop_is_an_error_naming_the_chain() {
    let (_dir, main) = tree(&[
        ("a.conf", "x;\ninclude b.conf;\n"),
        ("b.conf", "include a.conf;\n"),
        ("nginx.conf", "include a.conf;\n"),
    ]);
    let e = load(&main).unwrap_err();
    assert!(e.message.starts_with("include loop: "), "{e}");
    assert!(
        e.file.ends_with("b.conf") && e.position == Some((1, 1)),
        "{e}"
    );
    assert!(e.message.contains("a.conf includes") && e.message.ends_with("a.conf"));
    std::fs::write(&main, "include nginx.conf;\n").unwrap();
    assert!(load(&main).unwrap_err().message.contains("include loop"));
    // The same file twice, side by side, is no loop.
    std::fs::write(&main, "include b2.conf;\ninclude b2.conf;\n").unwrap();
    std::fs::write(main.with_file_name("b2.conf"), "y;\n").unwrap();
    assert_eq!(loaded_text(&main).matches("y;").count(), 2);
}

#[test]
fn bad_files_are_named_with_a_hint() {
    let (dir, main) = tree(&[
        ("bin.conf", "x;\n\0\u{1}"),
        ("sub/x.conf", "x;\n"),
        ("nginx.conf", "http {\n  include bin.conf;\n}\n"),
    ]);
    let e = load(&main).unwrap_err();
    assert!(
        e.file.ends_with("bin.conf") && e.position == Some((2, 1)),
        "{e}"
    );
    assert!(e.message.contains("NUL byte"), "{e}");
    assert!(e.to_string().contains("included at"), "{e}");
    let e = load(dir.path()).unwrap_err();
    assert!(e.message.contains("is a folder") && e.hint.is_some(), "{e}");
    let e = load(&dir.path().join("nope.conf")).unwrap_err();
    assert!(e.message.contains("does not exist"), "{e}");
    std::fs::write(&main, "include sub;\n").unwrap();
    let e = load(&main).unwrap_err();
    assert!(
        e.message.contains("is a folder") && e.position == Some((1, 1)),
        "{e}"
    );
    std::fs::write(&main, "include a b;\n").unwrap();
    let e = load(&main).unwrap_err();
    assert!(e.message.contains("invalid number of arguments"), "{e}");
}

#[test]
fn a_file_outside_the_config_tree_is_never_quoted() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    std::fs::write(&secret, "root:SECRET-HASH:19000:0:99999:7:::\n").unwrap();
    let (_dir, main) = tree(&[("nginx.conf", "")]);
    std::fs::write(&main, format!("include {};\n", secret.display())).unwrap();
    let e = load(&main).unwrap_err();
    let shown = e.to_string();
    assert!(
        !shown.contains("SECRET") && !shown.contains("root:"),
        "{shown}"
    );
    assert!(shown.contains("shadow") && e.position.is_some(), "{shown}");
    // Inside the tree, the offending line is quoted as usual.
    std::fs::write(main.with_file_name("bad.conf"), "oops {\n").unwrap();
    std::fs::write(&main, "include bad.conf;\n").unwrap();
    assert!(load(&main).unwrap_err().to_string().contains("oops"));
}

#[test]
fn a_sites_enabled_snippet_is_wrapped_with_a_note() {
    let (_dir, main) = tree(&[(
        "nginx.conf",
        "user www-data;\nmap $a $b { default 1; }\nupstream app { server 10.0.0.1; }\n\
         server { listen 80; }\n",
    )]);
    let config = load(&main).unwrap();
    assert!(config.wrapped_snippet);
    let names: Vec<&str> = config.directives().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["user", "events", "http"]);
    let http = config.directives().last().unwrap();
    let inside: Vec<&str> = http.children().map(|d| d.name.as_str()).collect();
    assert_eq!(inside, ["map", "upstream", "server"]);
    assert_eq!(config.notes.len(), 1, "{:?}", config.notes);
    assert!(
        config.notes[0].contains("`map`, `upstream`, `server`"),
        "{:?}",
        config.notes
    );
    // A main config, or one with only main-context directives, is left alone.
    for text in [
        "events {}\nhttp { server {} }\n",
        "worker_processes 1;\nerror_log x;\n",
    ] {
        std::fs::write(&main, text).unwrap();
        let config = load(&main).unwrap();
        assert!(!config.wrapped_snippet && config.notes.is_empty(), "{text}");
    }
}

#[test]
fn a_snippet_beside_nginx_conf_reads_includes_from_there() {
    let (dir, _) = tree(&[
        (
            "nginx.conf",
            "events {}\nhttp { include sites-enabled/*; }\n",
        ),
        ("snippets/p.conf", "proxy_pass http://app;\n"),
        (
            "sites-enabled/app",
            "server { location / { include snippets/p.conf; } }\n",
        ),
    ]);
    let config = load(&dir.path().join("sites-enabled/app")).unwrap();
    assert_eq!(config.prefix(), dir.path());
    assert!(write(&config.nodes).contains("proxy_pass http://app;"));
    assert!(
        config
            .notes
            .iter()
            .any(|n| n.contains("relative includes are read from"))
    );
    assert!(config.wrapped_snippet);
}
