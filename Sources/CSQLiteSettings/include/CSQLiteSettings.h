#ifndef CSQLITESETTINGS_H
#define CSQLITESETTINGS_H

/// Turns off SQLite's memory statistics for the whole process: every allocation and free
/// of SQLite then skips a global mutex. `sqlite3_config` is variadic, which Swift cannot
/// call, hence this C function. Effective only before SQLite is first used in the
/// process; returns SQLite's result code (SQLITE_MISUSE when it was too late).
int mdmbatch_sqlite_disable_memstatus(void);

#endif
