//! blowback: turns backscatter into action.
//!
//! The pipeline is one module per stage (see DESIGN.md): `ingest` reads messages,
//! `bounce` classifies a message and carves the returned original M out of it,
//! `verdict` decides whether a bounce is backscatter, `received` walks the Received
//! chain to the origin IP, `contacts` lists what M advertises. `app` runs the stages
//! over every input and `output` writes the results. Pure stages do no I/O.

pub mod accuse;
pub mod annotate;
pub mod app;
pub mod bounce;
pub mod cases;
pub mod cli;
pub mod config;
pub mod contacts;
pub mod deliver;
pub mod enrich;
pub mod evidence;
pub mod fsutil;
pub mod hash;
pub mod hostname;
pub mod html_text;
pub mod ingest;
pub mod intake;
pub mod lookup_table;
pub mod mailparse;
pub mod output;
pub mod phrases;
pub mod received;
pub mod render;
pub mod sanitize;
pub mod store;
#[cfg(test)]
mod test_corpus;
pub mod timefmt;
pub mod utf8;
pub mod verdict;
