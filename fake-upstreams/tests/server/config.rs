//! Fault configs as scenario files write them: YAML mappings tagged with `kind:`.

use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};
use fake_upstreams::faults::{
    BigHeaders, CloseBeforeResponse, CloseMidBody, Garbage, GarbageWhen, Healthy, IdleClose,
    IdleMode, InvalidHeader, Refuse, Reset, SingleWorker, SlowAccept, Stall, StallBody,
};
use fake_upstreams::{ByteSize, Fault};

fn yaml(text: &str) -> Fault {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn yaml_err(text: &str) -> String {
    serde_saphyr::from_str::<Fault>(text)
        .expect_err("should be rejected")
        .to_string()
}

#[test]
fn every_kind_parses_with_defaults() {
    let cases = [
        ("kind: healthy", Fault::Healthy(Healthy::default())),
        ("kind: refuse", Fault::Refuse(Refuse {})),
        (
            "kind: close_before_response",
            Fault::CloseBeforeResponse(CloseBeforeResponse {}),
        ),
        ("kind: reset", Fault::Reset(Reset {})),
        ("kind: stall", Fault::Stall(Stall::default())),
        (
            "kind: big_headers",
            Fault::BigHeaders(BigHeaders::default()),
        ),
        ("kind: garbage", Fault::Garbage(Garbage::default())),
        (
            "kind: invalid_header",
            Fault::InvalidHeader(InvalidHeader::default()),
        ),
        (
            "kind: close_mid_body",
            Fault::CloseMidBody(CloseMidBody::default()),
        ),
        ("kind: stall_body", Fault::StallBody(StallBody::default())),
        (
            "kind: slow_accept",
            Fault::SlowAccept(SlowAccept::default()),
        ),
        ("kind: idle_close", Fault::IdleClose(IdleClose::default())),
        (
            "kind: single_worker",
            Fault::SingleWorker(SingleWorker::default()),
        ),
    ];
    for (text, expected) in cases {
        let fault = yaml(text);
        assert_eq!(fault, expected);
        assert_eq!(format!("kind: {}", fault.kind()), text);
    }
    let Fault::Healthy(h) = yaml("kind: healthy") else {
        unreachable!()
    };
    assert_eq!(
        (h.status, h.body_size, h.delay),
        (200, ByteSize(1024), None)
    );
    assert!(h.headers.is_empty());
    assert_eq!(BigHeaders::default().size, ByteSize(12 * 1024));
    assert_eq!(Stall::default().delay, None);
}

#[test]
fn fields_parse_with_durations_and_sizes() {
    let fault = yaml(
        "kind: healthy\nstatus: 503\nbody_size: 16K\ndelay: 500ms\nheaders:\n  x-b: two\n  x-a: one\n",
    );
    assert_eq!(
        fault,
        Fault::Healthy(Healthy {
            status: 503,
            headers: vec![("x-b".into(), "two".into()), ("x-a".into(), "one".into())],
            body_size: ByteSize(16 * 1024),
            delay: Some(Duration::from_millis(500)),
            repeat_header: None,
        })
    );
    assert_eq!(
        yaml("kind: stall\ndelay: 2s\nbody_size: 512"),
        Fault::Stall(Stall {
            delay: Some(Duration::from_secs(2)),
            body_size: ByteSize(512),
        })
    );
    assert_eq!(
        yaml("kind: big_headers\nsize: 12k\nbody_size: \"1m\""),
        Fault::BigHeaders(BigHeaders {
            size: ByteSize(12_288),
            body_size: ByteSize(1024 * 1024),
        })
    );
}

#[test]
fn unknown_fields_and_kinds_are_rejected() {
    let err = yaml_err("kind: stall\ndelay: 1s\nbody: 3");
    assert!(err.contains("body"), "{err}");
    let err = yaml_err("kind: reset\nafter: 1s");
    assert!(err.contains("after"), "{err}");
    let err = yaml_err("kind: explode");
    assert!(err.contains("explode"), "{err}");
    let err = yaml_err("status: 200");
    assert!(err.contains("kind"), "{err}");
}

#[test]
fn bad_sizes_and_durations_are_rejected_with_the_bad_text() {
    let err = yaml_err("kind: big_headers\nsize: 12kb");
    assert!(err.contains("12kb") && err.contains("12k"), "{err}");
    let err = yaml_err("kind: healthy\nbody_size: -5");
    assert!(err.contains("-5"), "{err}");
    let err = yaml_err("kind: stall\ndelay: soon");
    assert!(err.contains("delay") || err.contains("soon"), "{err}");
}

#[test]
fn serializes_with_kind_tag_and_integer_sizes() {
    let fault = Fault::BigHeaders(BigHeaders {
        size: ByteSize(12_288),
        body_size: ByteSize(10),
    });
    let json = serde_json::to_value(&fault).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "big_headers", "size": 12288, "body_size": 10})
    );
    let fault = yaml("kind: healthy\ndelay: 50ms\nheaders: {x-a: one}");
    let back: Fault = serde_json::from_value(serde_json::to_value(&fault).unwrap()).unwrap();
    assert_eq!(back, fault);
}

#[test]
fn byte_size_parses_integers_and_suffixes() {
    assert_eq!("12k".parse::<ByteSize>().unwrap(), ByteSize(12_288));
    assert_eq!(
        serde_saphyr::from_str::<ByteSize>("12k").unwrap(),
        ByteSize(12_288)
    );
    assert_eq!(
        serde_saphyr::from_str::<ByteSize>("4096").unwrap(),
        ByteSize(4096)
    );
    assert_eq!(
        serde_saphyr::from_str::<ByteSize>("\"512\"").unwrap(),
        ByteSize(512)
    );
    assert_eq!(ByteSize(12_288).to_string(), "12k");
    let err = "lots".parse::<ByteSize>().unwrap_err().to_string();
    assert!(
        err.contains("\"lots\"") && err.contains("512, 12k"),
        "{err}"
    );
}

#[test]
fn new_kinds_have_the_documented_defaults_and_fields() {
    assert_eq!(
        Garbage::default().bytes,
        "HELLO this is not HTTP\r\n".into()
    );
    assert_eq!(InvalidHeader::default().line, "X-Bad Header: yes".into());
    let c = CloseMidBody::default();
    assert_eq!((c.body_size, c.send), (ByteSize(16_384), ByteSize(4096)));
    let s = StallBody::default();
    assert_eq!(
        (s.body_size, s.send, s.delay),
        (ByteSize(16_384), ByteSize(4096), None)
    );
    assert_eq!(SlowAccept::default().backlog, 1);
    let i = IdleClose::default();
    assert_eq!(
        (i.idle, i.body_size, i.mode),
        (
            Duration::from_secs(1),
            ByteSize(1024),
            IdleMode::RequestFirst
        )
    );
    let w = SingleWorker::default();
    assert_eq!((w.body_size, w.workers, w.delay), (ByteSize(1024), 1, None));

    assert_eq!(
        yaml("kind: garbage\nbytes: \"SSH-2.0-OpenSSH\\r\\n\""),
        Fault::Garbage(Garbage {
            bytes: "SSH-2.0-OpenSSH\r\n".into(),
            when: GarbageWhen::Request,
        })
    );
    assert_eq!(
        yaml("kind: stall_body\nbody_size: 1m\nsend: 1k\ndelay: 3s"),
        Fault::StallBody(StallBody {
            body_size: ByteSize(1 << 20),
            send: ByteSize(1024),
            delay: Some(Duration::from_secs(3)),
        })
    );
    assert_eq!(
        yaml("kind: idle_close\nidle: 5s\nmode: timer"),
        Fault::IdleClose(IdleClose {
            idle: Duration::from_secs(5),
            mode: IdleMode::Timer,
            ..IdleClose::default()
        })
    );
    assert_eq!(
        yaml("{kind: single_worker, workers: 2, body_size: 2k, delay: 200ms}"),
        Fault::SingleWorker(SingleWorker {
            workers: 2,
            body_size: ByteSize(2048),
            delay: Some(Duration::from_millis(200)),
        })
    );
    let err = yaml_err("kind: idle_close\nmode: sometimes");
    assert!(err.contains("sometimes"), "{err}");
    let err = yaml_err("kind: slow_accept\nbacklg: 3");
    assert!(err.contains("backlg"), "{err}");
}

/// The CLI's fault subcommands, as the `fake-upstream` binary parses them (snake_case names
/// as in YAML, kebab-case aliases).
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    fault: Fault,
}

fn cli(args: &[&str]) -> Fault {
    let argv = std::iter::once("fake-upstream").chain(args.iter().copied());
    let matches = fake_upstreams::faults::with_kebab_aliases(Cli::command())
        .try_get_matches_from(argv)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    Cli::from_arg_matches(&matches).unwrap().fault
}

#[test]
fn every_new_kind_is_a_cli_subcommand() {
    assert_eq!(
        cli(&["garbage", "--bytes", "hex:6e6f", "--when", "accept"]),
        Fault::Garbage(Garbage {
            bytes: "no".into(),
            when: GarbageWhen::Accept,
        })
    );
    assert_eq!(
        cli(&[
            "invalid-header",
            "--line",
            "X\u{1}: y",
            "--content-length",
            "false"
        ]),
        Fault::InvalidHeader(InvalidHeader {
            line: "X\u{1}: y".into(),
            content_length: false,
        })
    );
    assert_eq!(
        cli(&["close_mid_body", "--send", "1k"]),
        Fault::CloseMidBody(CloseMidBody {
            send: ByteSize(1024),
            ..CloseMidBody::default()
        })
    );
    assert_eq!(
        cli(&["stall-body", "--delay", "2s"]),
        Fault::StallBody(StallBody {
            delay: Some(Duration::from_secs(2)),
            ..StallBody::default()
        })
    );
    assert_eq!(
        cli(&["slow-accept", "--backlog", "4"]),
        Fault::SlowAccept(SlowAccept { backlog: 4 })
    );
    assert_eq!(
        cli(&["idle-close", "--idle", "5s", "--mode", "timer"]),
        Fault::IdleClose(IdleClose {
            idle: Duration::from_secs(5),
            mode: IdleMode::Timer,
            ..IdleClose::default()
        })
    );
    assert_eq!(cli(&["idle_close"]), Fault::IdleClose(IdleClose::default()));
    assert_eq!(
        cli(&["single-worker", "--workers", "3", "--delay", "50ms"]),
        Fault::SingleWorker(SingleWorker {
            workers: 3,
            delay: Some(Duration::from_millis(50)),
            ..SingleWorker::default()
        })
    );
    for kind in [
        "garbage",
        "invalid-header",
        "close-mid-body",
        "stall-body",
        "slow-accept",
        "single-worker",
    ] {
        let fault = cli(&[kind]);
        assert_eq!(fault.kind(), kind.replace('-', "_"));
        let text = format!("kind: {}", fault.kind());
        assert_eq!(yaml(&text), fault, "CLI and YAML defaults agree");
    }
}

#[test]
fn bad_hex_or_base64_bytes_point_at_their_line_with_a_hint() {
    let err =
        fake_upstreams::yaml::fault_from_str("kind: garbage\nbytes: \"hex:abc\"\n").unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert!(
        err.message.contains("odd number") && err.message.contains("base64:"),
        "{err}"
    );
    let text = "kind: invalid_header\ncontent_length: false\nline: \"base64:a*\"\n";
    let err = fake_upstreams::yaml::fault_from_str(text).unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert!(err.message.contains("not a base64 character"), "{err}");
}

#[test]
fn headers_load_as_pairs_or_as_the_old_mapping() {
    let pairs = yaml("kind: healthy\nheaders: [[Set-Cookie, a=1], [Set-Cookie, b=2]]\n");
    let mapping = yaml("kind: healthy\nheaders: { Set-Cookie: a=1 }\n");
    let (Fault::Healthy(pairs), Fault::Healthy(mapping)) = (pairs, mapping) else {
        unreachable!()
    };
    assert_eq!(pairs.headers.len(), 2);
    assert_eq!(
        mapping.headers,
        [("Set-Cookie".to_string(), "a=1".to_string())]
    );
    let repeat = yaml("kind: healthy\nrepeat_header: { name: Set-Cookie, count: 3, size: 64 }\n");
    let Fault::Healthy(repeat) = repeat else {
        unreachable!()
    };
    assert_eq!(repeat.repeat_header.unwrap().count, 3);
}
