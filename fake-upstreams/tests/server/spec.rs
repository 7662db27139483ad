//! Server specs as scenario files write them: a fault plus the generic settings.

use std::time::Duration;

use fake_upstreams::faults::{Healthy, Refuse, Reset, SingleWorker, SlowAccept, Stall};
use fake_upstreams::{Fault, Limit, Listen, OverLimit, ServerSpec, Step};

fn spec(text: &str) -> ServerSpec {
    fake_upstreams::yaml::spec_from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn spec_err(text: &str) -> String {
    fake_upstreams::yaml::spec_from_str(text)
        .expect_err("should be rejected")
        .to_string()
}

fn invalid(text: &str) -> String {
    spec(text).validate().expect_err("should be invalid")
}

#[test]
fn a_bare_fault_is_a_spec_with_defaults() {
    let s = spec("{ kind: refuse }");
    assert_eq!(s, ServerSpec::from(Fault::Refuse(Refuse {})));
    assert_eq!(
        (s.probability, &s.limit, s.schedule.len(), s.listen),
        (None, &None, 0, Listen::Tcp)
    );
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn every_setting_parses() {
    let s = spec(
        "kind: reset\nprobability: 0.25\nlimit: { max_connections: 3, max_new_per_second: 10 }\n\
         schedule:\n  - { after: 2s, kind: refuse }\n  - after: 3s\n    kind: stall\n    delay: 1s\n\
         listen: unix_forbidden\n",
    );
    assert_eq!(s.fault, Fault::Reset(Reset {}));
    assert_eq!(s.probability, Some(0.25));
    assert_eq!(
        s.limit,
        Some(Limit {
            max_connections: Some(3),
            max_new_per_second: Some(10),
            over_limit: OverLimit::Reset,
        })
    );
    assert_eq!(
        s.schedule,
        vec![
            Step {
                after: Duration::from_secs(2),
                fault: Fault::Refuse(Refuse {}),
            },
            Step {
                after: Duration::from_secs(3),
                fault: Fault::Stall(Stall {
                    delay: Some(Duration::from_secs(1)),
                    ..Stall::default()
                }),
            },
        ]
    );
    assert_eq!(s.listen, Listen::UnixForbidden);
    for (text, listen) in [
        ("tcp", Listen::Tcp),
        ("unix", Listen::Unix),
        ("unix_missing", Listen::UnixMissing),
    ] {
        assert_eq!(
            spec(&format!("{{kind: healthy, listen: {text}}}")).listen,
            listen
        );
    }
    let s = spec("{kind: healthy, limit: {max_connections: 1, over_limit: close}}");
    assert_eq!(s.limit.unwrap().over_limit, OverLimit::Close);
}

#[test]
fn typos_are_rejected_in_the_wrapper_the_limit_and_steps() {
    let err = spec_err("{kind: healthy, probabilty: 0.5}");
    assert!(err.contains("probabilty"), "{err}");
    let err = spec_err("{kind: healthy, limit: {max_conections: 1}}");
    assert!(err.contains("max_conections"), "{err}");
    let err = spec_err("{kind: healthy, schedule: [{after: 1s, kind: reset, afer: 2}]}");
    assert!(err.contains("afer"), "{err}");
    let err = spec_err("{kind: healthy, schedule: [{kind: reset}]}");
    assert!(err.contains("after"), "{err}");
    let err = spec_err("{kind: healthy, listen: udp}");
    assert!(err.contains("udp"), "{err}");
    let err = spec_err("{kind: healthy, limit: {max_connections: 1, over_limit: drop}}");
    assert!(err.contains("drop"), "{err}");
}

#[test]
fn validate_checks_every_setting() {
    assert!(invalid("{kind: healthy, probability: 1.5}").contains("1.5"));
    assert!(invalid("{kind: healthy, probability: -0.1}").contains("-0.1"));
    assert!(invalid("{kind: refuse, probability: 0.5}").contains("refuse"));
    assert!(invalid("{kind: healthy, limit: {}}").contains("max_connections"));
    assert!(invalid("{kind: healthy, limit: {max_connections: 0}}").contains("0"));
    let err = invalid(
        "{kind: healthy, schedule: [{after: 2s, kind: reset}, {after: 1s, kind: healthy}]}",
    );
    assert!(err.contains("increasing"), "{err}");
    let err =
        invalid("{kind: healthy, schedule: [{after: 1s, kind: reset}], listen: unix_missing}");
    assert!(err.contains("unix_missing"), "{err}");
    let err = invalid("{kind: healthy, schedule: [{after: 1s, kind: healthy, status: 42}]}");
    assert!(err.contains("42"), "{err}");
    let err = invalid("{kind: healthy, schedule: [{after: 1s, kind: slow_accept}]}");
    assert!(err.contains("slow_accept"), "{err}");
    assert_eq!(spec("{kind: healthy, probability: 0}").validate(), Ok(()));
    assert_eq!(spec("{kind: reset, probability: 1}").validate(), Ok(()));
}

#[test]
fn backlog_is_a_generic_setting_except_for_slow_accept() {
    let s = spec("{ kind: single_worker, workers: 1, delay: 200ms, listen: unix, backlog: 1 }");
    assert_eq!(
        s.fault,
        Fault::SingleWorker(SingleWorker {
            workers: 1,
            delay: Some(Duration::from_millis(200)),
            ..SingleWorker::default()
        })
    );
    assert_eq!((s.listen, s.backlog), (Listen::Unix, Some(1)));
    assert_eq!(s.validate(), Ok(()));
    assert_eq!(spec("{kind: healthy}").backlog, None);
    assert_eq!(spec("{kind: healthy, backlog: 65535}").validate(), Ok(()));
    let s = spec("{kind: reset, backlog: 4, schedule: [{after: 1s, kind: refuse}]}");
    assert_eq!((s.backlog, s.validate()), (Some(4), Ok(())));

    // `backlog:` next to `kind: slow_accept` is still the fault's own field
    let s = spec("{kind: slow_accept, backlog: 2, listen: unix}");
    assert_eq!(
        (&s.fault, s.backlog),
        (&Fault::SlowAccept(SlowAccept { backlog: 2 }), None)
    );
    assert_eq!(s.validate(), Ok(()));
    let err = invalid("{kind: slow_accept, backlog: 200}");
    assert!(err.contains("200"), "{err}");

    let err = invalid("{kind: healthy, backlog: 0}");
    assert!(err.contains("backlog 0"), "{err}");
    let err = invalid("{kind: healthy, backlog: 65536}");
    assert!(err.contains("65536"), "{err}");
    let both = ServerSpec {
        backlog: Some(8),
        ..ServerSpec::from(Fault::SlowAccept(SlowAccept { backlog: 2 }))
    };
    let err = both.validate().expect_err("both backlogs");
    assert!(
        err.contains("slow_accept") && err.contains("own `backlog`"),
        "{err}"
    );
    let err = spec_err("{kind: healthy, backlog: -1}");
    assert!(err.contains("-1") || err.contains("backlog"), "{err}");
    let err = spec_err("{kind: single_worker, delay: soon}");
    assert!(err.contains("soon") || err.contains("delay"), "{err}");
}

#[test]
fn serializes_back_to_the_same_spec() {
    let s = spec(
        "kind: healthy\nbody_size: 2k\nprobability: 0.5\nlimit: {max_connections: 2}\n\
         schedule: [{after: 1s, kind: refuse}]\nlisten: unix\nbacklog: 16\n",
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["kind"], "healthy");
    assert_eq!(json["listen"], "unix");
    assert_eq!(json["backlog"], 16);
    assert_eq!(json["schedule"][0]["kind"], "refuse");
    let back: ServerSpec = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
    let slow = spec("{kind: slow_accept, backlog: 3}");
    let json = serde_json::to_value(&slow).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "slow_accept", "backlog": 3})
    );
    assert_eq!(serde_json::from_value::<ServerSpec>(json).unwrap(), slow);
    let bare = serde_json::to_value(ServerSpec::from(Fault::Healthy(Healthy::default()))).unwrap();
    assert_eq!(
        bare,
        serde_json::json!({"kind": "healthy", "status": 200, "headers": [], "repeat_header": null, "body_size": 1024, "delay": null})
    );
}
