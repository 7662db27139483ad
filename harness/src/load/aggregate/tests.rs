use super::*;

fn sample(outcome: Outcome, latency_ms: u64, started_ms: u64) -> Sample {
    Sample {
        id: started_ms,
        method: http::Method::GET,
        outcome,
        latency: Duration::from_millis(latency_ms),
        started_at: Duration::from_millis(started_ms),
        detail: None,
        body: BodyCheck::NotChecked,
        stage: "1".into(),
        h2: None,
    }
}

#[test]
fn outcomes_are_counted_per_stage_and_merge() {
    let mut agg = Aggregator::new();
    let mut other = Aggregator::new();
    agg.record(&sample(Outcome::Status(502), 1, 0));
    let mut after = sample(Outcome::Status(200), 1, 0);
    after.stage = "after".into();
    agg.record(&after);
    other.record(&after);
    agg.merge(other);
    let r = agg.finish(Duration::from_secs(1), false);
    let names: Vec<&str> = r.by_stage.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["1", "after"], "in the order they first sent");
    assert_eq!(
        r.stage("1").unwrap().outcomes,
        BTreeMap::from([(Outcome::Status(502), 1)])
    );
    assert_eq!(
        r.stage("after").unwrap().outcomes,
        BTreeMap::from([(Outcome::Status(200), 2)])
    );
}

#[test]
fn counts_outcomes_and_rate() {
    let mut agg = Aggregator::new();
    for _ in 0..3 {
        agg.record(&sample(Outcome::Status(200), 1, 0));
    }
    agg.record(&sample(Outcome::Status(502), 1, 0));
    agg.record(&sample(Outcome::Reset, 1, 0));
    let r = agg.finish(Duration::from_millis(500), false);
    assert_eq!(r.total, 5);
    assert_eq!(r.count(Outcome::Status(200)), 3);
    assert_eq!(r.count(Outcome::Status(502)), 1);
    assert_eq!(r.count(Outcome::Reset), 1);
    assert_eq!(r.successes(), 3);
    assert!((r.requests_per_sec - 10.0).abs() < 1e-9);
    assert_eq!(r.wall_ms, 500);
    assert!(!r.cancelled);
}

#[test]
fn percentiles_follow_the_distribution() {
    let mut agg = Aggregator::new();
    for ms in 1..=100 {
        agg.record(&sample(Outcome::Status(200), ms, 0));
    }
    let l = agg.finish(Duration::from_secs(1), false).latency;
    let near = |got: f64, want: f64| (got - want).abs() <= want * 0.01 + 0.01;
    assert!(near(l.p50_ms, 50.0), "{l:?}");
    assert!(near(l.p90_ms, 90.0), "{l:?}");
    assert!(near(l.p99_ms, 99.0), "{l:?}");
    assert!(near(l.max_ms, 100.0), "{l:?}");
    assert!(near(l.mean_ms, 50.5), "{l:?}");
}

#[test]
fn empty_run_reports_zeros() {
    let r = Aggregator::new().finish(Duration::ZERO, true);
    assert_eq!(r.total, 0);
    assert_eq!(r.latency, LatencySummary::default());
    assert!(r.timeline.is_empty());
    assert_eq!(r.requests_per_sec, 0.0);
    assert_eq!(r.share(Outcome::Status(200)), 0.0);
    assert!(r.cancelled);
}

#[test]
fn timeline_buckets_by_start_time_without_gaps() {
    let mut agg = Aggregator::new();
    agg.record(&sample(Outcome::Status(200), 5, 10));
    agg.record(&sample(Outcome::Status(200), 5, 99));
    agg.record(&sample(Outcome::Status(502), 5, 250));
    let r = agg.finish(Duration::from_millis(300), false);
    assert_eq!(r.timeline_bucket_ms, 100);
    let starts: Vec<u64> = r.timeline.iter().map(|b| b.start_ms).collect();
    assert_eq!(starts, [0, 100, 200]);
    assert_eq!(r.timeline[0].counts[&Outcome::Status(200)], 2);
    assert!(r.timeline[1].counts.is_empty());
    assert_eq!(r.timeline[2].counts[&Outcome::Status(502)], 1);
}

#[test]
fn examples_are_bounded_distinct_and_only_for_named_outcomes() {
    let mut agg = Aggregator::new();
    for i in 0..20 {
        let mut s = sample(Outcome::Reset, 1, 0);
        s.detail = Some(format!("reset #{}", i % 10));
        agg.record(&s);
        let mut s = sample(Outcome::Closed, 1, 0);
        s.detail = Some("same".to_string());
        agg.record(&s);
        let mut s = sample(Outcome::Status(502), 1, 0);
        s.detail = Some("not kept".to_string());
        agg.record(&s);
    }
    let r = agg.finish(Duration::from_secs(1), false);
    assert_eq!(r.examples[&Outcome::Reset].len(), MAX_EXAMPLES);
    assert_eq!(r.examples[&Outcome::Closed], ["same"]);
    assert!(!r.examples.contains_key(&Outcome::Status(502)));
}

#[test]
fn memory_does_not_grow_with_the_number_of_samples() {
    // 200k requests over 2 s with failures and two methods: every collection stays the
    // size of what is distinct (outcomes, methods, 100 ms buckets, capped examples), and
    // the latency histogram keeps its fixed bucket array.
    let mut agg = Aggregator::new();
    let histogram_slots = agg.latency.distinct_values();
    let outcomes = [Outcome::Status(200), Outcome::Status(502), Outcome::Reset];
    for i in 0..200_000u64 {
        let mut s = sample(outcomes[(i % 3) as usize], 1 + i % 5_000, i / 100);
        if i % 2 == 1 {
            s.method = http::Method::POST;
        }
        s.detail = Some(format!("failure #{i}"));
        agg.record(&s);
    }
    assert_eq!(agg.latency.distinct_values(), histogram_slots);
    assert_eq!(agg.outcomes.len(), 3);
    assert_eq!(agg.by_method.len(), 2);
    assert!(agg.by_method.values().all(|m| m.len() <= 3));
    assert_eq!(agg.timeline.len(), 20, "one entry per 100 ms of run time");
    assert!(agg.timeline.values().all(|b| b.len() <= 3));
    assert_eq!(
        agg.examples.len(),
        1,
        "only the named failure keeps examples"
    );
    assert!(agg.examples.values().all(|e| e.len() <= MAX_EXAMPLES));
    assert_eq!(agg.total(), 200_000);
}

#[test]
fn merged_aggregators_report_like_one() {
    let samples: Vec<Sample> = (0..300u64)
        .map(|i| {
            let outcome =
                [Outcome::Status(200), Outcome::Status(502), Outcome::Reset][(i % 3) as usize];
            let mut s = sample(outcome, 1 + i % 40, i * 3);
            s.body = if i % 3 == 0 {
                BodyCheck::Verified
            } else {
                BodyCheck::NotChecked
            };
            if i % 4 == 0 {
                s.method = http::Method::POST;
            }
            s.detail = Some(format!("detail {}", i % 7));
            s
        })
        .collect();
    let mut one = Aggregator::new();
    let mut parts = [Aggregator::new(), Aggregator::new(), Aggregator::new()];
    for (i, s) in samples.iter().enumerate() {
        one.record(s);
        parts[i % 3].record(s);
    }
    let mut merged = Aggregator::new();
    for part in parts {
        merged.merge(part);
    }
    let wall = Duration::from_secs(1);
    let (a, b) = (one.finish(wall, false), merged.finish(wall, false));
    assert_eq!(a.examples[&Outcome::Reset].len(), MAX_EXAMPLES);
    assert_eq!(
        a.examples[&Outcome::Reset].len(),
        b.examples[&Outcome::Reset].len()
    );
    let strip = |mut r: LoadReport| {
        r.examples.clear(); // which distinct details are kept depends on the order
        r
    };
    assert_eq!(strip(a), strip(b));
}

#[test]
fn integrity_counts_body_checks() {
    let mut agg = Aggregator::new();
    let checks = [
        (Outcome::Status(200), BodyCheck::Verified),
        (Outcome::Status(200), BodyCheck::Verified),
        (Outcome::Corrupt, BodyCheck::Mismatch),
        (Outcome::Status(204), BodyCheck::NoDigest),
        (Outcome::Status(502), BodyCheck::NotChecked),
    ];
    for (outcome, body) in checks {
        let mut s = sample(outcome, 1, 0);
        s.body = body;
        agg.record(&s);
    }
    let i = agg.finish(Duration::from_secs(1), false).integrity;
    assert_eq!(
        i,
        Integrity {
            verified: 2,
            corrupt: 1,
            unverified_2xx: 1
        }
    );
}

#[test]
fn outcomes_are_counted_per_method() {
    let mut agg = Aggregator::new();
    let mut post = sample(Outcome::Status(502), 1, 0);
    post.method = http::Method::POST;
    agg.record(&post);
    agg.record(&post);
    agg.record(&sample(Outcome::Status(200), 1, 0));
    agg.record(&sample(Outcome::Reset, 1, 0));
    let r = agg.finish(Duration::from_secs(1), false);
    assert_eq!(r.count_method("POST", Outcome::Status(502)), 2);
    assert_eq!(r.count_method("POST", Outcome::Status(200)), 0);
    assert_eq!(r.count_method("GET", Outcome::Status(200)), 1);
    assert_eq!(r.total_method("GET"), 2);
    assert_eq!(r.total_method("POST"), 2);
    assert_eq!(r.total_method("PUT"), 0);
    let keys: Vec<&str> = r.by_method.keys().map(String::as_str).collect();
    assert_eq!(keys, ["GET", "POST"]);
}

#[test]
fn window_sums_the_buckets_starting_in_the_range() {
    let mut agg = Aggregator::new();
    for (outcome, started_ms) in [
        (Outcome::Status(502), 10),
        (Outcome::Status(502), 150),
        (Outcome::Status(200), 199),
        (Outcome::Status(502), 230),
        (Outcome::Status(200), 310),
        (Outcome::Reset, 420),
        (Outcome::Status(200), 480),
    ] {
        agg.record(&sample(outcome, 1, started_ms));
    }
    let r = agg.finish(Duration::from_millis(500), false);
    let ms = Duration::from_millis;
    let all = r.window(Duration::ZERO, None);
    assert_eq!(all, r.outcomes);
    // [100, 300): buckets 100 and 200.
    assert_eq!(
        r.window(ms(100), Some(ms(300))),
        BTreeMap::from([(Outcome::Status(502), 2), (Outcome::Status(200), 1)])
    );
    // Only a bucket's start matters: bucket 100 (starting before 150) is out, 300 is in.
    assert_eq!(
        r.window(ms(150), Some(ms(301))),
        BTreeMap::from([(Outcome::Status(502), 1), (Outcome::Status(200), 1)])
    );
    assert_eq!(
        r.window(ms(300), None),
        BTreeMap::from([(Outcome::Status(200), 2), (Outcome::Reset, 1)])
    );
    assert!(r.window(ms(200), Some(ms(200))).is_empty());
    assert!(r.window(ms(300), Some(ms(100))).is_empty());
    assert!(r.window(ms(10_000), None).is_empty());
}
