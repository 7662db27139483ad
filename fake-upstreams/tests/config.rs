//! Fault configs as scenario files write them: YAML mappings tagged with `kind:`.

use std::time::Duration;

use fake_upstreams::faults::{BigHeaders, CloseBeforeResponse, Healthy, Refuse, Reset, Stall};
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
