//! Installing what the tasks need, one function per tool. Each checks first
//! and does nothing when the tool is already there; otherwise it prints one
//! line saying what it installs and how long that takes, then installs it.
//! The commands are the ones verified in /work/shared/toolchain.md.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cmd::{which, Cmd};
use crate::{Error, Repo, Result};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const WASM_PACK_VERSION: &str = "0.15.1";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's Firefox ESR, the second browser engine the crate's browser tests run in.
pub const FIREFOX: &str = "/usr/bin/firefox-esr";
/// geckodriver, built from crates.io (its npm package downloads a binary,
/// which cannot work here).
pub const GECKODRIVER_VERSION: &str = "0.37.1";

/// `cargo install` puts binaries in ~/.cargo/bin, which a fresh login shell
/// may not have on PATH. Put it first, so that the wasm-bindgen we install
/// wins over any other copy, for us and for every child process.
pub fn put_cargo_bin_on_path() {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    if let Some(bin) = cargo_home.map(|home| home.join("bin")) {
        put_first_on_path(bin);
    }
}

/// Puts `dir` first on PATH, for us and every child process (once: a
/// later copy of it is removed).
fn put_first_on_path(dir: PathBuf) {
    let old = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&old).collect();
    if dirs.first() == Some(&dir) {
        return;
    }
    dirs.retain(|d| d != &dir);
    dirs.insert(0, dir);
    if let Ok(path) = std::env::join_paths(dirs) {
        std::env::set_var("PATH", path);
    }
}

/// The Rust standard library for wasm32-unknown-unknown.
pub fn ensure_wasm_target() -> Result<()> {
    if which("rustup").is_some() {
        let installed = Cmd::new("rustup").args(["target", "list", "--installed"]).probe();
        if installed.is_some_and(|list| list.lines().any(|l| l.trim() == WASM_TARGET)) {
            return Ok(());
        }
        println!("installing the {WASM_TARGET} target (seconds, once)");
        return Cmd::new("rustup").args(["target", "add", WASM_TARGET]).run();
    }
    // Without rustup, ask the compiler whether it has the target's libraries.
    let libdir = Cmd::new("rustc").args(["--print", "target-libdir", "--target", WASM_TARGET]).probe();
    match libdir {
        Some(dir) if Path::new(dir.trim()).is_dir() => Ok(()),
        _ => Err(Error::new(format!(
            "the Rust standard library for {WASM_TARGET} is missing and rustup is not \
             installed to add it; install it with your Rust distribution"
        ))),
    }
}

pub fn ensure_wasm_pack() -> Result<()> {
    let found = version_of("wasm-pack");
    if found.as_deref() == Some(WASM_PACK_VERSION) {
        return Ok(());
    }
    println!("installing wasm-pack {WASM_PACK_VERSION} (about 6 minutes, once){}", replacing(found.as_deref()));
    Cmd::cargo().args(["install", "wasm-pack", "--version", WASM_PACK_VERSION, "--locked"]).run()?;
    expect_version("wasm-pack", WASM_PACK_VERSION)
}

/// The wasm-bindgen CLI (with its test runner) at exactly the version in
/// Cargo.lock: wasm-pack uses the one on PATH only when the versions match,
/// and otherwise tries to download one, which cannot work here.
pub fn ensure_wasm_bindgen(repo: &Repo) -> Result<()> {
    let version = wasm_bindgen_version(repo)?;
    let found = version_of("wasm-bindgen");
    let runner = version_of("wasm-bindgen-test-runner");
    if found.as_deref() == Some(&version) && runner.as_deref() == Some(&version) {
        return Ok(());
    }
    println!(
        "installing wasm-bindgen-cli {version}, the version in Cargo.lock (about 6 minutes, once){}",
        replacing(found.as_deref())
    );
    // No --locked: the registry mirror lacks a crate version that the CLI's
    // own lock file names, and the install fails with it.
    Cmd::cargo().args(["install", "wasm-bindgen-cli", "--version", &version]).run()?;
    expect_version("wasm-bindgen", &version)
}

/// wasm-opt from binaryen 132, installed from the npm registry through
/// `xtask/wasm-opt/package-lock.json`, and put first on PATH, where wasm-pack
/// looks for it (without one it tries to download binaryen, which cannot
/// work here). Debian's wasm-opt 108 points the `__wbindgen_externrefs`
/// export at the function table when it rewrites the module, and the page
/// then fails at start-up, so it must not be the one found.
pub fn ensure_wasm_opt(repo: &Repo) -> Result<()> {
    let dir = repo.root.join("xtask").join("wasm-opt");
    ensure_npm_packages(repo, &dir)?;
    let bin = dir.join("node_modules").join(".bin");
    if !bin.join("wasm-opt").is_file() {
        return Err(Error::new(format!("{} has no wasm-opt after npm ci", repo.rel(&bin))));
    }
    put_first_on_path(bin);
    Ok(())
}

/// Headless Chromium and its WebDriver, for the browser tests.
pub fn ensure_browser() -> Result<()> {
    if Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file() {
        return Ok(());
    }
    println!("installing chromium and chromedriver (Debian packages chromium chromium-driver, about a minute, once)");
    apt_install(&["chromium", "chromium-driver"], true, "Chromium and chromedriver")?;
    for path in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(path).is_file() {
            return Err(Error::new(format!("{path} is still missing after installing Chromium")));
        }
    }
    Ok(())
}

/// Headless Firefox (Debian's firefox-esr) for the browser tests in a second engine.
pub fn ensure_firefox() -> Result<()> {
    if Path::new(FIREFOX).is_file() {
        return Ok(());
    }
    println!("installing Firefox ESR (Debian package firefox-esr, about a minute, once)");
    apt_install(&["firefox-esr"], true, "Firefox ESR")?;
    if !Path::new(FIREFOX).is_file() {
        return Err(Error::new(format!("{FIREFOX} is still missing after installing firefox-esr")));
    }
    Ok(())
}

/// geckodriver, Firefox's WebDriver, from crates.io; returns its path.
pub fn ensure_geckodriver() -> Result<PathBuf> {
    if version_of("geckodriver").as_deref() != Some(GECKODRIVER_VERSION) {
        let found = version_of("geckodriver");
        println!(
            "installing geckodriver {GECKODRIVER_VERSION} from crates.io (a few minutes, once){}",
            replacing(found.as_deref())
        );
        Cmd::cargo().args(["install", "geckodriver", "--version", GECKODRIVER_VERSION, "--locked"]).run()?;
        expect_version("geckodriver", GECKODRIVER_VERSION)?;
    }
    which("geckodriver").ok_or_else(|| Error::new("geckodriver was installed but is not on PATH"))
}

/// `npm ci` in `dir` when it has a package-lock.json, unless node_modules
/// was already installed from exactly this lock file.
pub fn ensure_npm_packages(repo: &Repo, dir: &Path) -> Result<()> {
    let shown = repo.rel(dir);
    let lock = dir.join("package-lock.json");
    if !lock.is_file() {
        if dir.join("package.json").is_file() {
            return Err(Error::new(format!(
                "{shown}/package.json has no package-lock.json next to it: run `npm install` \
                 in {shown}/ and commit package-lock.json, so every machine gets the same packages"
            )));
        }
        return Ok(());
    }
    let lock_text = fs::read(&lock).map_err(|e| Error::io("reading", &lock, e))?;
    // A copy of the lock file that node_modules was installed from. Content,
    // not mtimes: a git checkout touches files without changing them.
    let stamp = dir.join("node_modules").join(".xtask-installed-from-package-lock.json");
    if fs::read(&stamp).is_ok_and(|installed| installed == lock_text) {
        return Ok(());
    }
    if which("npm").is_none() {
        return Err(Error::new(format!(
            "npm is needed to install the packages in {shown}/ (Node 20 and npm: \
             `apt-get install -y nodejs npm`)"
        )));
    }
    println!("installing npm packages in {shown}/ (npm ci, under a minute)");
    Cmd::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .dir(dir)
        .run()?;
    fs::write(&stamp, &lock_text).map_err(|e| Error::io("writing", &stamp, e))
}

/// The exact wasm-bindgen version the crate resolves to, from Cargo.lock.
fn wasm_bindgen_version(repo: &Repo) -> Result<String> {
    let lock = repo.root.join("Cargo.lock");
    let read = || -> Result<Option<String>> {
        match fs::read_to_string(&lock) {
            Ok(text) => locked_version(&text, "wasm-bindgen"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", &lock, e)),
        }
    };
    if let Some(version) = read()? {
        return Ok(version);
    }
    // Resolving for all targets writes the wasm32-only dependencies into Cargo.lock.
    println!("resolving dependencies to find the wasm-bindgen version (cargo metadata)");
    Cmd::cargo().args(["metadata", "--format-version", "1"]).run_quiet()?;
    read()?.ok_or_else(|| {
        Error::new(
            "Cargo.lock has no wasm-bindgen package: crate/Cargo.toml should depend on \
                    wasm-bindgen for wasm32",
        )
    })
}

/// The version of the `[[package]]` called `name` in a Cargo.lock text.
fn locked_version(lock: &str, name: &str) -> Result<Option<String>> {
    let mut versions = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
            })
        };
        if field("name").as_deref() == Some(name) {
            if let Some(version) = field("version") {
                versions.push(version);
            }
        }
    }
    match versions.len() {
        0 => Ok(None),
        1 => Ok(versions.pop()),
        _ => Err(Error::new(format!(
            "Cargo.lock has several {name} versions ({}); pin one with `{name} = \"=X.Y.Z\"`",
            versions.join(", ")
        ))),
    }
}

/// The version a tool reports with `--version` ("wasm-pack 0.15.1" -> "0.15.1").
fn version_of(program: &str) -> Option<String> {
    let out = Cmd::new(program).arg("--version").probe()?;
    out.split_whitespace().nth(1).map(str::to_string)
}

fn expect_version(program: &str, version: &str) -> Result<()> {
    match version_of(program) {
        Some(found) if found == version => Ok(()),
        found => Err(Error::new(format!(
            "after installing, `{program} --version` reports {} instead of {version}; \
             is another {program} earlier on PATH ({})?",
            found.as_deref().unwrap_or("nothing"),
            which(program).map(|p| p.display().to_string()).unwrap_or_default(),
        ))),
    }
}

fn replacing(found: Option<&str>) -> String {
    found.map(|v| format!(", replacing {v}")).unwrap_or_default()
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// `apt-get install -y PACKAGES`, as root or through sudo. Updates the
/// package lists first when asked, when there are none (fresh containers
/// ship without them), or after an install fails on stale lists.
fn apt_install(packages: &[&str], update: bool, what: &str) -> Result<()> {
    let list = packages.join(" ");
    let Some(prefix) = root_prefix() else {
        return Err(Error::new(format!(
            "{what} is missing and installing it needs root: run `sudo apt-get install -y {list}` \
             (or install {what} another way), then run this again"
        )));
    };
    if which("apt-get").is_none() {
        return Err(Error::new(format!(
            "{what} is missing and apt-get is not available: install the package(s) {list} \
             (or {what}) with this system's package manager"
        )));
    }
    let apt = || {
        let cmd = match prefix {
            Some(sudo) => Cmd::new(sudo).arg("apt-get"),
            None => Cmd::new("apt-get"),
        };
        // Wait for another apt run to finish instead of failing on its lock.
        cmd.env("DEBIAN_FRONTEND", "noninteractive").args(["-o", "DPkg::Lock::Timeout=600"])
    };
    let update_lists = || -> Result<()> {
        apt().arg("update").run()?;
        APT_UPDATED.store(true, Ordering::SeqCst);
        Ok(())
    };
    if (update || !have_apt_lists()) && !APT_UPDATED.load(Ordering::SeqCst) {
        update_lists()?;
    }
    let install = || apt().args(["install", "-y"]).args(packages).run();
    match install() {
        Ok(()) => Ok(()),
        Err(_) if !APT_UPDATED.load(Ordering::SeqCst) => {
            println!("retrying after updating the package lists");
            update_lists()?;
            install()
        }
        Err(err) => Err(err),
    }
}

/// `Some(None)` when we are root, `Some(Some("sudo"))` when sudo can make us
/// root, `None` when neither.
fn root_prefix() -> Option<Option<&'static str>> {
    if is_root() {
        Some(None)
    } else if which("sudo").is_some() {
        Some(Some("sudo"))
    } else {
        None
    }
}

fn is_root() -> bool {
    // The effective uid is the second number on the Uid: line.
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            return line.split_whitespace().nth(2) == Some("0");
        }
    }
    Cmd::new("id").arg("-u").probe().is_some_and(|uid| uid.trim() == "0")
}

fn have_apt_lists() -> bool {
    fs::read_dir("/var/lib/apt/lists")
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().contains("_Packages")))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.131"
"#;

    #[test]
    fn finds_the_locked_wasm_bindgen_version() {
        assert_eq!(locked_version(LOCK, "wasm-bindgen").unwrap().as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(LOCK, "serde").unwrap(), None);
        let two = format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.99\"\n");
        let err = locked_version(&two, "wasm-bindgen").unwrap_err().to_string();
        assert!(err.contains("0.2.130, 0.2.99"), "{err}");
    }
}
