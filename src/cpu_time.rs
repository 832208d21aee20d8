//! CPU time of a process from `/proc/PID/stat` (user + system), so a benchmark can say how the
//! machine's cores were split between a node and the load generator driving it.

use std::time::Duration;

/// User plus system CPU time `pid` has used so far (`None`: not Linux, or no such process).
pub(crate) fn of_process(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    of_stat_line(&stat, ticks_per_s()?)
}

/// This process's CPU time so far.
pub(crate) fn of_self() -> Option<Duration> {
    of_process(std::process::id())
}

fn ticks_per_s() -> Option<u64> {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0)
}

/// `utime` and `stime` are fields 14 and 15 of the line; the command name (field 2) may hold
/// spaces and parentheses, so fields are counted from its closing parenthesis.
fn of_stat_line(stat: &str, ticks_per_s: u64) -> Option<Duration> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 1000 / ticks_per_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_system_ticks_are_read_after_the_command_name() {
        let line = "42 (a (weird) name) S 1 42 42 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1";
        assert_eq!(of_stat_line(line, 100), Some(Duration::from_secs(3)));
        assert_eq!(of_stat_line("garbage", 100), None);
    }
}
