use patchstorm::*;
fn main() {
    let q = std::env::args().nth(1).unwrap_or_default();
    let s = Scenario::from_query(&q).unwrap();
    let mut sim = Simulation::new(&s);
    sim.run();
    let rows = validation::compare(&sim);
    for r in &rows { println!("{} {:6.2}h pub {:9.0} share {:.3} sim {:.3} diff {:+.3}  {}", r.utc, r.t_hours, r.published, r.published_share, r.simulated_share, r.difference, r.note); }
    println!("mean abs diff {:?}", validation::mean_abs_difference(&rows));
}
