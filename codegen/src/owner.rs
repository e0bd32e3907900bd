//! Which run created a scratch database, a throw-away cluster's directory or a staging
//! directory: their names carry an owner tag `<pid>_<host>`, so that a later run can remove
//! what a killed run (SIGKILL, a crash, a power cut) left behind — and only that.
//!
//! `<host>` identifies this machine *and* PID namespace (a hash of the host name and the
//! namespace's inode): a PostgreSQL server or a temp directory shared by several machines or
//! containers must never have one run decide that another's live process is gone because its
//! pid means nothing here.

use std::sync::OnceLock;

use crate::sys;

/// This process's owner tag, `<pid>_<host>`.
pub fn tag() -> String {
    format!("{}_{}", std::process::id(), host())
}

/// The owner tag at the start of `rest` (`<pid>_<host>` followed by `_`, `-` or the end), as
/// (pid, host), and what follows it.
pub fn parse(rest: &str) -> Option<(u32, &str, &str)> {
    let (pid, rest) = rest.split_once('_')?;
    let pid: u32 = pid.parse().ok()?;
    let host_len = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    if host_len != 8 {
        return None;
    }
    let (host, rest) = rest.split_at(host_len);
    Some((pid, host, rest))
}

/// Whether the run that wrote `(pid, host)` is over: it ran on this machine and namespace,
/// and no process with its pid exists. (A reused pid keeps a leftover a little longer; that
/// errs on the safe side.)
pub fn is_gone(pid: u32, host: &str) -> bool {
    host == self::host() && pid != std::process::id() && !sys::process_exists(pid)
}

/// This machine and PID namespace, as 8 hex digits.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let namespace = std::fs::read_link("/proc/self/ns/pid").unwrap_or_default();
        // FNV-1a: stable across Rust releases (unlike std's DefaultHasher), so a newer
        // messenger-gen still recognises what an older one left.
        let mut hash: u32 = 0x811c_9dc5;
        for byte in name
            .trim()
            .bytes()
            .chain([0])
            .chain(namespace.to_string_lossy().bytes())
        {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        format!("{hash:08x}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_back_and_only_dead_local_runs_are_gone() {
        let tag = tag();
        let name = format!("{tag}_3_123");
        let (pid, host, rest) = parse(&name).unwrap();
        assert_eq!(pid, std::process::id());
        assert_eq!(rest, "_3_123");
        assert!(!is_gone(pid, host), "this process is alive");
        // No process has the largest pid; another host's pids are never judged here.
        let unused = i32::MAX as u32;
        assert!(is_gone(unused, host));
        if host != "00000000" {
            assert!(!is_gone(unused, "00000000"));
        }
        assert_eq!(parse("12_abc"), None);
        assert_eq!(parse("x_0123abcd"), None);
    }
}
