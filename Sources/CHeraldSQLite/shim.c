#include "CHeraldSQLite.h"

#include <sqlite3.h>

int CHeraldSQLite_disableMemoryStatistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
