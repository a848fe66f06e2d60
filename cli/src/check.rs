//! Expected outcomes: each is checked, printed when it fails, and counted; a command ends
//! with [`Checks::finish`], which turns any failure into [`CliError::Failed`].

use crate::CliError;

/// A list of checks made during a run.
#[derive(Debug, Default)]
pub struct Checks {
    failed: Vec<String>,
    passed: usize,
}

impl Checks {
    /// Records `what`; prints `FAILED: what` (to stderr and stdout) when `ok` is false.
    pub fn expect(&mut self, ok: bool, what: impl Into<String>) -> bool {
        if ok {
            self.passed += 1;
        } else {
            let what = what.into();
            println!("FAILED: {what}");
            eprintln!("FAILED: {what}");
            self.failed.push(what);
        }
        ok
    }

    /// Records that `a == b`, showing both when they differ.
    pub fn equal<T: PartialEq + std::fmt::Debug>(&mut self, a: T, b: T, what: &str) -> bool {
        let ok = a == b;
        self.expect(ok, if ok { what.to_string() } else { format!("{what}: {a:?} != {b:?}") })
    }

    /// Checks passed so far.
    pub fn passed(&self) -> usize {
        self.passed
    }

    /// Checks failed so far.
    pub fn failed(&self) -> usize {
        self.failed.len()
    }

    /// `Ok` if every check held.
    pub fn finish(self) -> Result<usize, CliError> {
        match self.failed.first() {
            None => Ok(self.passed),
            Some(first) => Err(CliError::Failed { count: self.failed.len(), first: first.clone() }),
        }
    }
}
