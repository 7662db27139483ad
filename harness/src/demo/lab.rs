//! The running lab of a demo: one scenario's fake upstreams (and fake DNS), started the way the
//! runner starts them, and one nginx session whose config changes phase by phase with a
//! reload of the same master, never a restart.
//!
//! Upstreams belong to the scenario, not to a phase: every phase's config names the same
//! servers (`{{upstream.app.primary}}`), so switching phases only re-renders nginx.conf.
//! A reset starts the servers afresh (new addresses, schedules from zero) and reloads the
//! current phase's config pointing at them.

use tokio_util::sync::CancellationToken;

use crate::names::NameService;
use crate::nginx::front_tls::FrontTls;
use crate::nginx::{ConfigTest, Live, NginxBackend, RunDir, Session, render};
use crate::runner::{expanded, start_upstreams};
use crate::scenario::{Phase, Scenario};
use crate::upstreams::Servers;

/// nginx and the fake servers of a demo.
pub struct Lab<'a> {
    s: &'a Scenario,
    session: Session<'a>,
    nginx: Live,
    servers: Servers,
    names: Option<NameService>,
    seed: u64,
    cancel: CancellationToken,
    /// The front end's CA, when the scenario's traffic speaks TLS to nginx.
    pub front_ca: Option<std::path::PathBuf>,
}

/// A lab that came up: on which of the candidate phases, after which refusals.
pub struct Opened<'a> {
    pub lab: Lab<'a>,
    /// Index (into the scenario's phases) of the phase nginx serves.
    pub phase: usize,
    /// Candidates nginx refused before it, with nginx's message: a phase whose broken config
    /// is the incident (nginx will not start with it).
    pub refused: Vec<(usize, String)>,
}

impl<'a> Lab<'a> {
    /// Start the servers, then nginx with the first of `candidates` (phase indices) whose
    /// config `nginx -t` accepts; schedules start now. Nothing is left running on `Err`.
    pub async fn open(
        s: &'a Scenario,
        backend: &'a NginxBackend,
        dir: RunDir,
        candidates: &[usize],
        seed: u64,
        cancel: &CancellationToken,
    ) -> Result<Opened<'a>, String> {
        let cancel = cancel.child_token();
        let (servers, names) = start_upstreams(s, seed, &dir, &cancel).await?;
        let session = Session::new(backend, dir, vec![servers.socket_dir().to_path_buf()]);
        let started = first_accepted(s, candidates, &session, (&servers, names.as_ref())).await;
        let (nginx, phase, refused) = match started {
            Ok(up) => up,
            Err(e) => {
                servers.stop().await;
                if let Some(names) = names {
                    names.stop().await;
                }
                return Err(e);
            }
        };
        let front_ca = Some(FrontTls::of(session.dir()).ca).filter(|ca| ca.exists());
        let lab = Lab {
            s,
            session,
            nginx,
            servers,
            names,
            seed,
            cancel,
            front_ca,
        };
        lab.start_schedules();
        Ok(Opened {
            lab,
            phase,
            refused,
        })
    }

    /// Where nginx listens.
    pub fn port(&self) -> u16 {
        self.nginx.ports()[0]
    }

    /// nginx's master process.
    pub fn master_pid(&self) -> Option<i32> {
        self.nginx.master_pid()
    }

    pub fn dir(&self) -> &RunDir {
        self.session.dir()
    }

    /// Apply `phase`'s config with `nginx -t` and a reload; a refused config leaves the old
    /// one serving and comes back as `Rejected`.
    pub async fn apply(&self, phase: &Phase) -> Result<ConfigTest, String> {
        let servers = (&self.servers, self.names.as_ref());
        let conf = config_of(self.s, phase, servers, &self.session)?;
        self.session.reload(&self.nginx, &conf).await
    }

    /// Start the fake servers afresh (counters, schedules) and reload `phase` pointing at them.
    pub async fn reset(&mut self, phase: &Phase) -> Result<ConfigTest, String> {
        let (servers, names) =
            start_upstreams(self.s, self.seed, self.session.dir(), &self.cancel).await?;
        let old_servers = std::mem::replace(&mut self.servers, servers);
        let old_names = std::mem::replace(&mut self.names, names);
        let applied = self.apply(phase).await;
        old_servers.stop().await;
        if let Some(names) = old_names {
            names.stop().await;
        }
        self.start_schedules();
        applied
    }

    fn start_schedules(&self) {
        self.servers.start_schedules();
        if let Some(names) = &self.names {
            names.start_schedule();
        }
    }

    /// Stop nginx (gracefully, as the runner does) and the fake servers.
    pub async fn close(self) {
        self.nginx.stop().await;
        self.servers.stop().await;
        if let Some(names) = self.names {
            names.stop().await;
        }
        self.session.remove_temp();
    }
}

/// nginx started on the first of `candidates` it accepts; the refusals before it.
async fn first_accepted(
    s: &Scenario,
    candidates: &[usize],
    session: &Session<'_>,
    servers: (&Servers, Option<&NameService>),
) -> Result<(Live, usize, Vec<(usize, String)>), String> {
    let mut refused = Vec::new();
    for &i in candidates {
        let phase = &s.phases[i];
        if s.nginx_for_load(phase).tls {
            FrontTls::write(session.dir()).map_err(|e| format!("front-end TLS files: {e}"))?;
        }
        let conf = config_of(s, phase, servers, session)?;
        match session.test(1, &conf).await? {
            ConfigTest::Rejected(why) => refused.push((i, why)),
            ConfigTest::Accepted => return Ok((session.start(1, &conf).await?, i, refused)),
        }
    }
    let why = refused.last().map_or("", |(_, why)| why.as_str());
    Err(format!(
        "nginx -t refused every phase's config; the last said:\n{why}"
    ))
}

/// The renderer of `phase`'s nginx.conf for the lab's servers.
fn config_of(
    s: &Scenario,
    phase: &Phase,
    servers: (&Servers, Option<&NameService>),
    session: &Session<'_>,
) -> Result<impl Fn(&[u16]) -> String + Send + Sync + 'static, String> {
    let fragments = expanded(s, phase, servers, session.dir())?;
    let header = format!("scenario {} / demo phase {}", s.name, phase.name);
    let settings = s.nginx_for_load(phase);
    let binary = session.backend().binary().clone();
    let dir = session.dir().clone();
    Ok(move |ports: &[u16]| render(&binary, &settings, &fragments, &dir, ports[0], &header))
}
