//! What Linux says about a process: its CPU time and resident memory.

/// Clock ticks per second in `/proc/<pid>/stat`: `USER_HZ`, 100 on every Linux architecture
/// this runs on (reading it properly needs `sysconf`, which is `unsafe` to call).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user and system) used by process `pid` so far; 0 if it is gone.
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name (field 2) may hold spaces; the fields after its ')' are plain.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; this list starts at field 3.
    let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok());
    (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / TICKS_PER_SECOND
}

/// Resident memory of process `pid` in bytes (`VmRSS`); 0 if it is gone.
pub(crate) fn resident_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let kib = line.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?;
                kib.trim().parse::<u64>().ok()
            })
        })
        .map_or(0, |kib| kib * 1024)
}
