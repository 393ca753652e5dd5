//! A tree in memory for the resolver's tests: stream `s` of the
//! representations given (timing reference `v`), with a programme when
//! one is set, and the resolver asked at a fixed instant.

use super::plan::Plan;
use super::resolve::{Request, Resolver, Target, TreeView};
use crate::drm::signal::StreamDrm;
use crate::media::Representation;
use crate::mpd::live::LoopMap;
use crate::mpd::manifest::StreamView;
use crate::mpd::mps::Programme;
use crate::mpd::render::Renderer;
use crate::options::Defaults;

pub(crate) struct FakeTree {
    pub reps: Vec<Representation>,
    /// The loop map of each of `reps`, in order; empty: none.
    pub maps: Vec<LoopMap>,
    pub defaults: Defaults,
    pub site: Defaults,
    pub drm: StreamDrm,
    pub programme: Option<Programme>,
}

impl FakeTree {
    /// Stream `s` of `reps`, without loop maps, defaults or programme.
    pub fn new(reps: Vec<Representation>) -> FakeTree {
        FakeTree {
            reps,
            maps: Vec::new(),
            defaults: Defaults::new(),
            site: Defaults::new(),
            drm: Default::default(),
            programme: None,
        }
    }

    /// What the resolver plans for `target` with `query` at `now_ms`.
    pub fn resolve(&self, target: Target, query: &str, now_ms: i64) -> Plan {
        let renderer = Renderer::new().unwrap();
        let r = Resolver {
            tree: self,
            renderer: &renderer,
            cache: None,
        };
        r.resolve(&Request {
            target,
            query,
            now_ms,
            now_override: false,
            site_url: Some("http://h/"),
            url: Some("http://h/x"),
            fault_counts: None,
        })
    }
}

impl TreeView for FakeTree {
    fn site_defaults(&self) -> &Defaults {
        &self.site
    }
    fn stream(&self, directory: &str) -> Option<StreamView<'_>> {
        (directory == "s").then(|| StreamView {
            directory: "s",
            title: "S",
            timing_ref: "v",
            representations: &self.reps,
            defaults: &self.defaults,
            drm: &self.drm,
        })
    }
    fn loop_map(&self, stream: &str, rep: &str) -> Option<&LoopMap> {
        let i = self.reps.iter().position(|r| r.id == rep)?;
        self.maps.get(i).filter(|_| stream == "s")
    }
    fn stream_names(&self) -> Vec<&str> {
        vec!["s"]
    }
    fn content_key(&self, kid: &crate::drm::Kid) -> Option<crate::drm::ContentKey> {
        self.drm.key(kid).map(|k| k.key)
    }
    fn programme(&self, name: &str) -> Option<&Programme> {
        self.programme.as_ref().filter(|p| p.name == name)
    }
}
