//! What one host sample costs (it runs twice a second): the live machine, and a cgroup v2 tree.

use criterion::{Criterion, criterion_group, criterion_main};
use hls_swarm_host::HostSampler;

fn live(c: &mut Criterion) {
    let mut host = HostSampler::live().expect("this machine has /proc");
    host.sample();
    c.bench_function("host/sample_live", |b| b.iter(|| host.sample()));
}

criterion_group!(benches, live);
criterion_main!(benches);
