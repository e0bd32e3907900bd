//! The generator's only `unsafe` code: thin wrappers over the libc calls it needs for the
//! throw-away cluster and for cleaning up after runs that were killed. The crate denies
//! `unsafe_code`; this module alone allows it, and each block says why it is sound.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Whether this process runs as root (PostgreSQL refuses to, so the cluster runs as `postgres`).
pub fn is_root() -> bool {
    // SAFETY: geteuid(2) cannot fail and has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of the user `name`, if it exists.
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let name = CString::new(name).ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to a static passwd record, which is read at
    // once, before any other call could overwrite it (the CLI looks users up on one thread).
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        if pw.is_null() {
            None
        } else {
            Some(((*pw).pw_uid, (*pw).pw_gid))
        }
    }
}

/// Sends `signal` to process `pid`; errors (the process is gone) are ignored.
pub fn send_signal(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid <= 0 {
        // 0 and negative pids address process groups: never what is meant here.
        return;
    }
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Whether a process `pid` exists (in this PID namespace). A process owned by another user
/// counts as alive (`EPERM`): only `ESRCH` says it is gone.
pub fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks for existence and permission.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Makes the program `command` starts receive `signal` when the thread that spawned it ends
/// (`PR_SET_PDEATHSIG`), so a throw-away server does not outlive a `messenger-gen` that was
/// killed with SIGKILL. Linux resets this setting when the credentials change, so it is set
/// after `Command::uid`/`gid` have taken effect: std runs `pre_exec` hooks after them.
///
/// The signal is tied to the spawning *thread*: spawn from a thread that lives as long as the
/// child should.
pub fn die_with_parent(command: &mut Command, signal: libc::c_int) {
    let parent = std::process::id();
    // SAFETY: the hook runs in the child between fork and exec, where only async-signal-safe
    // functions may be called: prctl(2) and getppid(2) are plain system calls, and the hook
    // allocates nothing.
    unsafe {
        command.pre_exec(move || {
            let signal = libc::c_ulong::try_from(signal).unwrap_or(libc::SIGKILL as libc::c_ulong);
            if libc::prctl(libc::PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody would signal us.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                // (ESRCH, "no such process": an error without allocating, which is not allowed
                // here.)
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}
