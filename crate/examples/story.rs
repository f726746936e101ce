//! Prints the story of a run (`evidence::story`): `cargo run --release -p
//! patchstorm --example story -- "preset=skype-2007&peers=100000"`.

use patchstorm::evidence::story::story;
use patchstorm::{Run, Scenario, Simulation};

fn main() {
    let mut queries: Vec<String> = std::env::args().skip(1).collect();
    if queries.is_empty() {
        queries = vec!["preset=skype-2007&peers=100000".into(), "preset=skype-2010&peers=100000".into()];
    }
    for query in queries {
        let mut sim = Simulation::new(&Scenario::from_query(&query).expect("a valid query"));
        sim.run();
        println!("{query}");
        for step in story(&Run::of(&sim)).steps {
            println!("  {:.2} h  {}  {}", step.t_ms as f64 / 3_600_000.0, step.kind, step.title);
            println!("    {}", step.text);
            println!("    look at: {}", step.look_at.join(", "));
            for c in &step.cites {
                println!("    [{}] {}{}", c.tag, c.text, c.source.map_or(String::new(), |s| format!(" ({s})")));
            }
        }
    }
}
