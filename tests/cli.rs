//! The `blowback` binary run as a process: inputs of every format, exit codes, output
//! contract, and inputs left untouched. One test binary with themed modules.

mod cli {
    pub mod analyze;
    pub mod crash;
    pub mod golden;
    pub mod hostile;
    pub mod incremental;
    pub mod ingest;
    pub mod lookup;
    pub mod sanitize;
    pub mod trees;
    pub mod util;
}
