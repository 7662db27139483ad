//! What the YAML form of `dns:` accepts and refuses, and what it resolves to.

use super::*;

fn parse(yaml: &str) -> Result<DnsSpec, serde_saphyr::Error> {
    serde_saphyr::from_str(yaml)
}

#[test]
fn records_off_loopback_are_refused() {
    for records in ["a: [10.0.0.5]", "aaaa: [\"2001:db8::1\"]"] {
        let spec = parse(&format!("app.internal: {{ {records} }}")).unwrap();
        let err = spec.validate().unwrap_err();
        assert!(
            err.contains("is not a loopback address"),
            "{records}: {err}"
        );
    }
    let spec = parse("app.internal: { a: [127.0.0.9], aaaa: [\"::1\"] }").unwrap();
    assert_eq!(spec.validate(), Ok(()));
}

#[test]
fn reads_servers_literals_and_schedules() {
    let spec = parse(
        "app.internal:\n  a: ['{{upstream.app.blue}}', 127.0.0.7]\n  ttl: 2s\n  schedule:\n    \
         - { after: 3s, a: ['{{ upstream.app.green }}'] }\ngone.internal: { answer: nxdomain }\n",
    )
    .unwrap();
    spec.validate().unwrap();
    let app = &spec.0["app.internal"];
    assert_eq!(app.a[1], Target::Ip(Ipv4Addr::new(127, 0, 0, 7)));
    assert_eq!(app.ttl, Duration::from_secs(2));
    assert_eq!(
        app.schedule[0].ttl,
        default_ttl(),
        "a step states the whole answer"
    );
    let servers = spec.servers();
    assert_eq!(
        servers,
        [
            ("app".into(), "blue".into()),
            ("app".into(), "green".into())
        ]
    );
    assert_eq!(spec.0["gone.internal"].answer, Answer::Nxdomain);
    assert_eq!(
        app.describe(),
        "A {{upstream.app.blue}}, A 127.0.0.7 (ttl 2s), then A {{upstream.app.green}} \
         (ttl 30s) after 3s"
    );
    assert_eq!(spec.0["gone.internal"].describe(), "nxdomain");
}

#[test]
fn a_bad_address_is_an_error_at_its_line_and_column() {
    let err = parse("app.internal:\n  ttl: 1s\n  a: [127.0.0.300]\n").unwrap_err();
    let loc = err.location().expect("serde-saphyr locates the value");
    assert_eq!(loc.line(), 3, "{err}");
    assert!(err.to_string().contains("not an IPv4 address"), "{err}");
    let err = parse("app.internal:\n  aaaa: [127.0.0.1]\n").unwrap_err();
    assert_eq!(err.location().map(|l| l.line()), Some(2), "{err}");
    assert!(parse("x.internal:\n  a: ['{{upstream.app}}']\n").is_err());
}

#[test]
fn unservable_data_is_refused() {
    let bad = [
        "App.Internal: { a: [127.0.0.1] }",
        "a..b: { a: [127.0.0.1] }",
        "x.internal: { answer: servfail, a: [127.0.0.1] }",
        "x.internal: { ttl: 1500ms }",
        "x.internal: { schedule: [{ after: 2s }, { after: 1s }] }",
    ];
    for yaml in bad {
        let spec = parse(yaml).unwrap();
        assert!(spec.validate().is_err(), "{yaml}");
    }
}

#[test]
fn servers_resolve_to_their_addresses_and_hosts_list_the_first_answers() {
    let spec = parse(
        "app.internal: { a: ['{{upstream.app.blue}}'] }\nlate.internal: { schedule: \
         [{ after: 1s, a: [127.0.0.1] }] }\nbad.internal: { answer: servfail }\n",
    )
    .unwrap();
    let addr_of = |u: &str, s: &str| {
        (u, s)
            .eq(&("app", "blue"))
            .then_some(Ipv4Addr::new(127, 0, 0, 2))
    };
    let hosts = spec.hosts_file(&addr_of);
    assert!(hosts.contains("127.0.0.2 app.internal\n"), "{hosts}");
    assert!(
        !hosts.contains("late.internal") && !hosts.contains("bad.internal"),
        "{hosts}"
    );
    assert!(spec.resolve(&|_: &str, _: &str| None).is_err());
}
