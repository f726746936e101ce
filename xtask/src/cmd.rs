//! Running other programs, with the command line printed before it runs
//! and repeated in the error when it fails.

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{Error, Result};

/// A `std::process::Command` that remembers how to print itself.
pub struct Cmd {
    command: Command,
    program: String,
    /// The program and its arguments, quoted for a shell.
    line: String,
    /// `KEY=value ` assignments, in the order given.
    envs: String,
    /// Where it runs, when not in the current directory.
    dir: Option<String>,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let program = program.as_ref();
        let name = program.to_string_lossy().into_owned();
        Cmd { command: Command::new(program), line: quote(&name), program: name, envs: String::new(), dir: None }
    }

    /// `cargo`, the same one that is running us when there is one.
    pub fn cargo() -> Cmd {
        let mut cmd = Cmd::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.line = "cargo".to_string();
        cmd
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        let arg = arg.as_ref();
        self.line.push(' ');
        self.line.push_str(&quote(&arg.to_string_lossy()));
        self.command.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        let value = value.as_ref();
        self.envs += &format!("{key}={} ", quote(&value.to_string_lossy()));
        self.command.env(key, value);
        self
    }

    /// Runs in `dir` (relative to the repository root, where xtask works).
    pub fn dir(mut self, dir: &Path) -> Cmd {
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| dir.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| dir.to_path_buf());
        self.dir = Some(quote(&shown.display().to_string()));
        self.command.current_dir(dir);
        self
    }

    /// The command line as a user could paste it into a shell.
    fn shown(&self) -> String {
        match &self.dir {
            Some(dir) => format!("(cd {dir} && {}{})", self.envs, self.line),
            None => format!("{}{}", self.envs, self.line),
        }
    }

    /// Prints the command, runs it with our stdin/stdout/stderr, and fails
    /// with the command line if it does not exit successfully.
    pub fn run(mut self) -> Result<()> {
        println!("$ {}", self.shown());
        let status = self.command.status().map_err(|e| self.spawn_error(e))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::new(format!("command failed ({}): {}", describe(status), self.shown())))
        }
    }

    /// Runs quietly and returns stdout, or `None` when the program is
    /// missing or fails: for probing what is installed.
    pub fn probe(mut self) -> Option<String> {
        let output = self.command.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
        if !output.status.success() {
            return None;
        }
        Some(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs with stdout captured (stderr shown) and returns it; fails like `run`.
    pub fn output(mut self) -> Result<String> {
        let output =
            self.command.stdin(Stdio::null()).stderr(Stdio::inherit()).output().map_err(|e| self.spawn_error(e))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(Error::new(format!("command failed ({}): {}", describe(output.status), self.shown())))
        }
    }

    /// Runs quietly (stdout discarded, stderr shown) and fails like `run`.
    pub fn run_quiet(mut self) -> Result<()> {
        let status = self.command.stdout(Stdio::null()).status().map_err(|e| self.spawn_error(e))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::new(format!("command failed ({}): {}", describe(status), self.shown())))
        }
    }

    fn spawn_error(&self, err: std::io::Error) -> Error {
        if err.kind() == ErrorKind::NotFound {
            Error::new(format!("`{}` is not installed or not on PATH (needed for: {})", self.program, self.shown()))
        } else {
            Error::new(format!("could not start `{}`: {err}", self.shown()))
        }
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(signal) = status.signal() {
                    return format!("killed by signal {signal}");
                }
            }
            status.to_string()
        }
    }
}

/// Shell-quotes an argument only when it needs it, so printed commands stay readable.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The full path of `program` if it is on PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_commands_can_be_pasted() {
        let cmd = Cmd::new("wasm-pack")
            .args(["test", "--headless", "crate"])
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300");
        assert_eq!(
            cmd.shown(),
            "CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300 wasm-pack test --headless crate"
        );
        let cmd = Cmd::new("npm").arg("ci").env("A", "b c").dir(Path::new("/x/www"));
        assert_eq!(cmd.shown(), "(cd /x/www && A='b c' npm ci)");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn failures_name_the_command() {
        let err = Cmd::new("false").run().unwrap_err().to_string();
        assert_eq!(err, "command failed (exit status 1): false");
        let err = Cmd::new("no-such-program-xtask").run().unwrap_err().to_string();
        assert!(err.contains("`no-such-program-xtask` is not installed"), "{err}");
    }
}
