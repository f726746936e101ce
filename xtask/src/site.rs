//! Building the page into a self-contained folder (`dist`, and the copies
//! that `serve` and the end-to-end tests serve).
//!
//! The folder holds www/ (minus npm's files and build inputs), the
//! wasm-pack output in pkg/, and the npm files that www/vendor.txt lists,
//! all at relative paths, so it can be deployed under any sub-path.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::cmd::Cmd;
use crate::{tools, Error, Repo, Result};

/// What the page imports; its absence means wasm-pack did not do its job.
const ENTRY_MODULE: &str = "patchstorm.js";

/// Files in www/ that are inputs to the build, not part of the site.
const WWW_BUILD_INPUTS: &[&str] = &["node_modules", "pkg", "package.json", "package-lock.json", "vendor.txt"];

pub fn build(repo: &Repo, out: &Path) -> Result<()> {
    let out = &normalize(out);
    check_out(repo, out)?;
    let www = repo.root.join("www");
    if !www.join("index.html").is_file() {
        return Err(Error::new("www/index.html does not exist (yet): there is no page to build"));
    }
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_pack()?;
    tools::ensure_wasm_bindgen(repo)?;
    tools::ensure_wasm_opt(repo)?;
    tools::ensure_npm_packages(repo, &www)?;

    // Check the manifest before the long wasm build, so a typo fails fast.
    let vendored = vendored_files(&www)?;

    let pkg = www.join("pkg");
    Cmd::new("wasm-pack")
        .arg("build")
        .arg(repo.root.join("crate"))
        .args(["--target", "web", "--release"])
        // Absolute: wasm-pack resolves a relative --out-dir against the crate.
        .arg("--out-dir")
        .arg(&pkg)
        .arg("--no-typescript")
        .run()?;
    if !pkg.join(ENTRY_MODULE).is_file() {
        return Err(Error::new(format!("wasm-pack did not produce www/pkg/{ENTRY_MODULE}")));
    }

    clear_out(out)?;
    let mut tally = Tally::default();
    copy_tree(&www, out, &mut tally, &|rel: &Path| {
        let top_level_input =
            rel.components().count() == 1 && WWW_BUILD_INPUTS.iter().any(|name| rel == Path::new(name));
        let name = rel.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        top_level_input || name.starts_with('.') || name == "node_modules"
    })?;
    // wasm-pack's package.json, README and .gitignore are for npm, not the page.
    // snippets/ holds JS that the bindings import from inline `#[wasm_bindgen(module)]`s.
    copy_tree(&pkg, &out.join("pkg"), &mut tally, &|rel: &Path| {
        let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("");
        !(rel.starts_with("snippets") || ext == "js" || ext == "wasm")
    })?;
    for entry in &vendored {
        let src = www.join(&entry.src);
        let dst = out.join(&entry.dst);
        if src.is_dir() {
            copy_tree(&src, &dst, &mut tally, &|_| false)?;
        } else {
            copy_file(&src, &dst, &mut tally)?;
        }
    }
    warn_about_absolute_paths(repo, out);
    println!(
        "site written to {}/ ({} files, {:.1} MiB)",
        repo.rel(out),
        tally.files,
        tally.bytes as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}

/// One line of www/vendor.txt: `node_modules/x/y.js -> vendor/y.js`.
#[derive(Debug, PartialEq)]
struct Vendored {
    src: PathBuf,
    dst: PathBuf,
}

fn vendored_files(www: &Path) -> Result<Vec<Vendored>> {
    let manifest = www.join("vendor.txt");
    let text = match fs::read_to_string(&manifest) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("reading", &manifest, e)),
    };
    let entries = parse_vendor_manifest(&text)?;
    for (line, entry) in &entries {
        if !www.join(&entry.src).exists() {
            return Err(Error::new(format!(
                "www/vendor.txt line {line}: www/{} does not exist (is the package in \
                 www/package.json, and is the path right?)",
                entry.src.display()
            )));
        }
    }
    Ok(entries.into_iter().map(|(_, entry)| entry).collect())
}

/// Parses the manifest into (line number, entry) pairs.
fn parse_vendor_manifest(text: &str) -> Result<Vec<(usize, Vendored)>> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| Error::new(format!("www/vendor.txt line {line_no}: {why}: `{line}`"));
        let (src, dst) = line.split_once("->").ok_or_else(|| bad("expected `SOURCE -> DESTINATION`"))?;
        let (src, dst) = (src.trim(), dst.trim());
        if src.is_empty() || dst.is_empty() || dst.contains("->") {
            return Err(bad("expected `SOURCE -> DESTINATION`"));
        }
        for path in [src, dst] {
            if !is_plain_relative(Path::new(path)) {
                return Err(bad("paths must be relative and stay inside the folder (no `..`)"));
            }
        }
        entries.push((line_no, Vendored { src: src.into(), dst: dst.into() }));
    }
    Ok(entries)
}

fn is_plain_relative(path: &Path) -> bool {
    path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Refuses an output folder that is not clearly empty or a previous build:
/// it is about to be deleted.
fn check_out(repo: &Repo, out: &Path) -> Result<()> {
    let refuse = |why: &str| Err(Error::new(format!("refusing to write the site to {}: {why}", out.display())));
    if repo.root.starts_with(out) {
        return refuse("it contains the repository");
    }
    if out.starts_with(repo.root.join("www")) {
        return refuse("it is inside www/, the page's source");
    }
    match fs::read_dir(out) {
        Ok(mut entries) => {
            let empty = entries.next().is_none();
            let previous_build = out.join("index.html").is_file() && out.join("pkg").is_dir();
            if !empty && !previous_build {
                return refuse(
                    "it is not empty and does not look like an earlier build \
                     (index.html and pkg/); remove it or choose another --out",
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if out.is_file() => refuse(&format!("it is a file ({e})")),
        Err(e) => Err(Error::io("reading", out, e)),
    }
}

/// Empties `out`, which `check_out` accepted.
fn clear_out(out: &Path) -> Result<()> {
    if out.exists() {
        fs::remove_dir_all(out).map_err(|e| Error::io("removing", out, e))?;
    }
    fs::create_dir_all(out).map_err(|e| Error::io("creating", out, e))
}

/// Resolves `.` and `..` without touching the file system (the folder may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    files: usize,
    bytes: u64,
}

fn copy_file(src: &Path, dst: &Path, tally: &mut Tally) -> Result<()> {
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    }
    let bytes =
        fs::copy(src, dst).map_err(|e| Error::new(format!("copying {} to {}: {e}", src.display(), dst.display())))?;
    tally.files += 1;
    tally.bytes += bytes;
    Ok(())
}

/// Copies the files under `src` to `dst`, skipping every path (relative
/// to `src`) for which `skip` says so; a skipped folder is not entered.
fn copy_tree(src: &Path, dst: &Path, tally: &mut Tally, skip: &dyn Fn(&Path) -> bool) -> Result<()> {
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let dir = src.join(&rel);
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| Error::io("reading", &dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::io("reading", &dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let child = rel.join(entry.file_name());
            if skip(&child) {
                continue;
            }
            // Follows symlinks: the site gets the files, not links into the repository.
            if src.join(&child).is_dir() {
                pending.push(child);
            } else {
                copy_file(&src.join(&child), &dst.join(&child), tally)?;
            }
        }
    }
    Ok(())
}

/// Root-absolute references (`src="/x.js"`) break when the site is deployed
/// under a sub-path; say so, without failing the build.
fn warn_about_absolute_paths(repo: &Repo, out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        for (index, line) in text.lines().enumerate() {
            for attr in ["src=\"/", "href=\"/", "src='/", "href='/"] {
                let absolute = line.match_indices(attr).any(|(at, _)| !line[at + attr.len()..].starts_with('/'));
                if absolute {
                    println!(
                        "warning: {} line {}: a root-absolute path ({attr}...) breaks when the site is deployed under a sub-path; use a relative one (./...)",
                        repo.rel(&path),
                        index + 1
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(manifest: &str, expected: Result<Vec<(&str, &str)>, &str>) {
        let got = parse_vendor_manifest(manifest).map(|entries| {
            entries
                .into_iter()
                .map(|(_, e)| (e.src.display().to_string(), e.dst.display().to_string()))
                .collect::<Vec<_>>()
        });
        match (got, expected) {
            (Ok(got), Ok(want)) => {
                let want: Vec<_> = want.iter().map(|(s, d)| (s.to_string(), d.to_string())).collect();
                assert_eq!(got, want);
            }
            (Err(got), Err(want)) => assert!(got.to_string().contains(want), "`{got}` should contain `{want}`"),
            (got, want) => panic!("got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn vendor_manifest_lines() {
        check(
            "# uPlot, the charts\n\nnode_modules/uplot/dist/uPlot.iife.min.js -> vendor/uPlot.iife.min.js\n  node_modules/uplot/dist/uPlot.min.css->vendor/uPlot.min.css  \n",
            Ok(vec![
                ("node_modules/uplot/dist/uPlot.iife.min.js", "vendor/uPlot.iife.min.js"),
                ("node_modules/uplot/dist/uPlot.min.css", "vendor/uPlot.min.css"),
            ]),
        );
        check("", Ok(vec![]));
    }

    #[test]
    fn vendor_manifest_mistakes_name_the_line() {
        check("# ok\nnode_modules/a.js vendor/a.js", Err("line 2: expected `SOURCE -> DESTINATION`"));
        check("a.js -> ", Err("line 1: expected"));
        check("a.js -> b.js -> c.js", Err("line 1: expected"));
        check("a.js -> ../outside.js", Err("line 1: paths must be relative"));
        check("/etc/passwd -> vendor/p", Err("paths must be relative"));
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
    }
}
