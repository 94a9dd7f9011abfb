#ifndef CHERALDSQLITE_H
#define CHERALDSQLITE_H

/// Turns off SQLite's memory statistics (`sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)`,
/// variadic, so not callable from Swift). With them on, every allocation and free of
/// every connection takes one process-wide mutex. Only effective before SQLite is
/// initialized (the first connection opened); returns the `sqlite3_config` result
/// (`SQLITE_MISUSE` once SQLite is initialized, which changes nothing).
int CHeraldSQLite_disableMemoryStatistics(void);

#endif
