//! qiwi-rs maintenance tasks.
//!
//! ```text
//! cargo xtask codegen           regenerate crates/qiwi-sys/src/generated/, the API surface snapshots
//!                               and the wire tests tests/tests/wire.rs
//! cargo xtask codegen --check   fail with a diff when any of them is stale
//! ```

mod codegen;
mod lint;
mod secrets;
mod spec_ref;
mod surface;
mod wire;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => report(codegen::run(codegen::Mode::Write)),
        ["codegen", "--check"] => report(codegen::run(codegen::Mode::Check)),
        _ => {
            eprintln!("usage: cargo xtask codegen [--check]");
            ExitCode::from(2)
        }
    }
}

fn report(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::codegen;

    /// `cargo test` fails, with the diff, whenever a spec changed and `cargo xtask codegen`
    /// was not run.
    #[test]
    fn generated_code_is_fresh() {
        if let Err(e) = codegen::run(codegen::Mode::Check) {
            panic!("{e}");
        }
    }

    /// The reviewable API surface of each spec, as insta snapshots that `cargo xtask codegen`
    /// (or `cargo insta review`) updates.
    #[test]
    fn api_surface_snapshots() {
        for spec in codegen::SPECS {
            let api = codegen::load_spec(spec).unwrap_or_else(|e| panic!("{e}"));
            let text = crate::surface::render(&api);
            insta::with_settings!({
                snapshot_path => codegen::snapshot_dir(),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("surface_{spec}"), text);
            });
        }
    }
}
