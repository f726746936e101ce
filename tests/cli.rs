//! Black-box tests of the `patchstorm` command-line tool.
