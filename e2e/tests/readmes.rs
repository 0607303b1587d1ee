//! Every README with a Rust block is compiled as a doctest (see `src/lib.rs`): this test fails
//! when a README is added without being included there.

use std::fs;
use std::path::{Path, PathBuf};

fn readmes(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                readmes(&path, found);
            }
        } else if name == "README.md" {
            found.push(path);
        }
    }
}

#[test]
fn every_readme_with_rust_code_is_a_doctest() {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = e2e.parent().unwrap();
    let lib = fs::read_to_string(e2e.join("src/lib.rs")).unwrap();
    let mut found = Vec::new();
    readmes(root, &mut found);
    assert!(found.len() >= 5, "{found:?}");
    for readme in found {
        let text = fs::read_to_string(&readme).unwrap();
        if !text.lines().any(|l| l.trim_start().starts_with("```rust")) {
            continue;
        }
        let relative = readme
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let include = format!("include_str!(\"../../{relative}\")");
        assert!(
            lib.contains(&include),
            "{relative} is not compiled: add `#[doc = {include}]` to e2e/src/lib.rs"
        );
    }
}
